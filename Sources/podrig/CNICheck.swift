import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigSandbox

struct CNICheck: ParsableCommand, CNITargetCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "CNI CHECK against the cached result (skipped below cniVersion 0.4.0 or with disableCheck).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var tool: CNIToolOptions

    @Argument(help: ArgumentHelp("Netns path or sandbox ID.", valueName: "target"))
    var target: String

    func run() throws {
        try withTarget(holdingCNILock: false) { t, cni in
            let engine = cni.engine(trace: t.trace, owner: nil)
            for (k, item) in try t.lists(cni: cni, tool: tool, attachedByDefault: true).enumerated() {
                let ifName = item.ifName ?? CNIOptions.ifName(k)
                switch try engine.check(item.list, t.runtime(ifName: ifName), fallbackResult: item.result) {
                case .passed: print("network \(item.list.name) (\(ifName)): CHECK passed")
                case .skipped(let why): print("network \(item.list.name) (\(ifName)): CHECK skipped: \(why)")
                }
            }
        }
    }
}
