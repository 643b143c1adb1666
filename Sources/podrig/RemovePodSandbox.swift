import ArgumentParser
import PodrigCore
import PodrigSandbox

struct RemovePodSandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rmp",
        abstract: "Remove pod sandboxes (a ready one only with --force, which stops it first).",
        discussion: "Removing a sandbox that is already gone succeeds, as in CRI."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Flag(name: .shortAndLong, help: "Stop ready sandboxes before removing them.")
    var force = false

    @Flag(name: .shortAndLong, help: "Remove every sandbox.")
    var all = false

    @Argument(help: ArgumentHelp("Sandbox IDs or unique prefixes.", valueName: "pod-id"))
    var ids: [String] = []

    func validate() throws {
        if ids.isEmpty && !all { throw ValidationError("give at least one sandbox ID, or --all") }
    }

    func run() throws {
        try Self.execute(SandboxFlags(global, network), force: force, all: all, ids: ids)
    }

    static func execute(_ flags: SandboxFlags, force: Bool, all: Bool, ids: [String]) throws {
        flags.apply()
        let manager = try flags.podManager().sandboxes
        var targets = ids
        if all { targets = try manager.store.ids() }
        var failures = 0
        for prefix in targets {
            do {
                // An ID that matches nothing is already removed, as CRI says.
                guard let id = try manager.resolveIfPresent(prefix) else { print("Removed sandbox \(prefix)"); continue }
                try manager.remove(id, force: force)
                print("Removed sandbox \(id)")
            } catch {
                Log.write("podrig: error: removing sandbox \"\(prefix)\": \(error.asPodrigError)\n")
                failures += 1
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
