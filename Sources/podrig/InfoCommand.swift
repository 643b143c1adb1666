import ArgumentParser
import PodrigCore
import PodrigPod

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Runtime conditions and configuration, like `crictl info` (CRI Status).",
        discussion: """
            RuntimeReady: root, podrig-pause and podrig-supervisor found. NetworkReady: the networks runp would attach \
            have their plugins and pass CNI STATUS (cniVersion 1.1); `--network none` is always ready. A condition that \
            is not ready has a reason and a message. Exits 0 either way, as crictl does.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: DocumentFormat = .json

    func run() throws {
        global.apply()
        printDocument(RuntimeStatus.info(pods: try makePodManager(global, network), cni: try network.cniOptions()), output)
    }
}
