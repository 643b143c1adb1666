import ArgumentParser
import PodrigCore
import PodrigPod

struct StartContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start created containers.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String]

    func run() throws {
        global.apply()
        let cri = CRIContainers(pods: try makePodManager(global, network))
        try forEachContainer(ids, in: cri, doing: "starting") { try cri.start($0) }
    }
}
