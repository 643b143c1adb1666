import ArgumentParser
import PodrigCore
import PodrigSandbox

struct InspectPodSandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspectp",
        abstract: "Show a pod sandbox's status and info, in the shape `crictl inspectp` prints."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: DocumentFormat = .json

    @Argument(help: ArgumentHelp("Sandbox ID or unique prefix.", valueName: "pod-id"))
    var id: String

    func run() throws {
        global.apply()
        let store = SandboxStore(root: global.root)
        let record = try store.load(try store.resolve(id))
        printDocument(SandboxView.inspect(record), output)
    }
}
