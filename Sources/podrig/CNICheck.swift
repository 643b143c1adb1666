import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigSandbox

struct CNICheck: ParsableCommand, CNITargetCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "CNI CHECK against the cached result.",
        discussion: """
            As libcni's CheckNetworkList (and cnitool): a network below cniVersion 0.4.0 has no CHECK and fails (exit 1);
            one with disableCheck passes without running plugins.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var tool: CNIToolOptions

    @Argument(help: ArgumentHelp("Netns path or sandbox ID.", valueName: "target"))
    var target: String

    func run() throws {
        try withTarget(holdingCNILock: false) { t, cni in
            let engine = cni.engine(trace: t.trace, owner: nil)
            let lists = try t.lists(cni: cni, tool: tool, attachedByDefault: true)
            let names = CNITarget.networkNames(CNINetwork.attached(t.record?.network), lists.map(\.list))
            for (k, item) in lists.enumerated() {
                let ifName = item.ifName ?? CNIOptions.ifName(k)
                if item.list.version < .v040 {
                    throw PodrigError.invalid("CNI network \"\(item.list.name)\": configuration version \"\(item.list.cniVersion)\" does not support the CHECK command (needs 0.4.0)")
                }
                switch try engine.check(item.list, t.runtime(ifName: ifName, networks: names), fallbackResult: item.result) {
                case .passed: print("network \(item.list.name) (\(ifName)): CHECK passed")
                case .skipped(let why): print("network \(item.list.name) (\(ifName)): CHECK skipped: \(why)")
                }
            }
        }
    }
}
