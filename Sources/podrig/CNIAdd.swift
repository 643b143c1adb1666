import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigSandbox

struct CNIAdd: ParsableCommand, CNITargetCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "CNI ADD of a network to a netns or sandbox; prints the result and caches it.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var tool: CNIToolOptions

    @Argument(help: ArgumentHelp("Netns path or sandbox ID.", valueName: "target"))
    var target: String

    func run() throws {
        try withTarget(holdingCNILock: true) { t, cni in
            let lists = try t.lists(cni: cni, tool: tool, attachedByDefault: false)
            if tool.ifname != nil && lists.count > 1 { throw ValidationError("--ifname works with one network only") }
            let engine = cni.engine(trace: t.trace, owner: t.record == nil ? nil : global.root)
            var state = CNINetwork.attached(t.record?.network)
            var results: [JSON] = []
            let names = CNITarget.networkNames(state, lists.map(\.list))
            for item in lists {
                if state.contains(where: { $0.list.name == item.list.name }) {
                    throw PodrigError(.alreadyExists, "sandbox \(t.containerID.prefix(13)) is already attached to network \"\(item.list.name)\"")
                }
                let ifName = item.ifName ?? CNIOptions.ifName(t.record == nil ? results.count : state.count)
                try CNIValidate.ifName(ifName)
                let result = try engine.add(item.list, t.runtime(ifName: ifName, networks: names))
                results.append(result.json)
                state.append(.init(list: item.list, ifName: ifName, result: result))
                try t.save(state)
            }
            print((results.count == 1 ? results[0] : .array(results)).pretty)
        }
    }
}
