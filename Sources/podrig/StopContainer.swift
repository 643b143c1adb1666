import ArgumentParser
import PodrigCore
import PodrigPod

struct StopContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop running containers: SIGTERM, the timeout, SIGKILL.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .shortAndLong, help: "Seconds to wait after SIGTERM before SIGKILL.")
    var timeout: Int = 10

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String]

    func run() throws {
        global.apply()
        let cri = CRIContainers(pods: try makePodManager(global, network))
        try forEachContainer(ids, in: cri, doing: "stopping", goneIsDone: true) { cri.stop($0, timeout: timeout) }
    }
}
