import ArgumentParser
import PodrigCore
import PodrigPod

struct RemoveContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers (a running one only with --force).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Flag(name: .shortAndLong, help: "Stop running containers first.")
    var force = false

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String]

    func run() throws {
        try Self.execute(SandboxFlags(global, network), force: force, ids: ids)
    }

    static func execute(_ flags: SandboxFlags, force: Bool, ids: [String]) throws {
        flags.apply()
        let cri = CRIContainers(pods: try flags.podManager())
        try forEachContainer(ids, in: cri, doing: "removing", goneIsDone: true) { try cri.remove($0, force: force) }
    }
}
