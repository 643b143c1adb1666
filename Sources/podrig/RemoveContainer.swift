import ArgumentParser
import PodrigCore
import PodrigPod

struct RemoveContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers (a running one only with --force).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Flag(name: .shortAndLong, help: "Stop running containers first.")
    var force = false

    @Flag(name: .shortAndLong, help: "Every CRI container (running ones only with --force), as crictl rm -a.")
    var all = false

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String] = []

    func validate() throws {
        if ids.isEmpty && !all { throw ValidationError("Missing expected argument '<container-id> ...' (or -a)") }
    }

    func run() throws {
        try Self.execute(SandboxFlags(global, network), force: force, all: all, ids: ids)
    }

    static func execute(_ flags: SandboxFlags, force: Bool, all: Bool = false, ids: [String]) throws {
        flags.apply()
        let cri = CRIContainers(pods: try flags.podManager())
        let targets = all ? try cri.list().map(\.id) : ids
        try forEachContainer(targets, in: cri, doing: "removing", goneIsDone: true) { try cri.remove($0, force: force) }
    }
}
