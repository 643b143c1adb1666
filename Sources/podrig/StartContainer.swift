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
        try Self.execute(SandboxFlags(global, network), ids: ids)
    }

    static func execute(_ flags: SandboxFlags, ids: [String]) throws {
        flags.apply()
        let cri = CRIContainers(pods: try flags.podManager())
        try forEachContainer(ids, in: cri, doing: "starting") { try cri.start($0) }
    }
}
