import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigSandbox

struct CNIDel: ParsableCommand, CNITargetCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "CNI DEL (plugins in reverse, cached prevResult); idempotent, works when the netns is gone.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var tool: CNIToolOptions

    @Argument(help: ArgumentHelp("Netns path or sandbox ID.", valueName: "target"))
    var target: String

    func run() throws {
        try withTarget(holdingCNILock: true) { t, cni in
            if !CNINetns.isMounted(t.netns) { t.netns = "" }
            let lists = try t.lists(cni: cni, tool: tool, attachedByDefault: true)
            let engine = cni.engine(trace: t.trace, owner: t.record == nil ? nil : global.root)
            var state = CNINetwork.attached(t.record?.network)
            let names = CNITarget.networkNames(state, lists.map(\.list))
            for (k, item) in lists.enumerated().reversed() {
                let ifName = item.ifName ?? CNIOptions.ifName(k)
                try engine.del(item.list, t.runtime(ifName: ifName, networks: names), fallbackResult: item.result)
                state.removeAll { $0.list.name == item.list.name && $0.ifName == ifName }
                try t.save(state)
                print("Deleted network \(item.list.name) (\(ifName)) from \(t.containerID)")
            }
        }
    }
}
