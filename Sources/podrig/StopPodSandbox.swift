import ArgumentParser
import PodrigCore
import PodrigSandbox

struct StopPodSandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stopp",
        abstract: "Stop pod sandboxes: containers, pause, network (CNI DEL) and netns go; the record stays.",
        discussion: "Stopping a stopped sandbox, or one that is gone, succeeds (CRI). IDs may be any unique prefix."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Argument(help: ArgumentHelp("Sandbox IDs or unique prefixes.", valueName: "pod-id"))
    var ids: [String]

    func validate() throws {
        if ids.isEmpty { throw ValidationError("give at least one sandbox ID") }
    }

    func run() throws {
        try Self.execute(SandboxFlags(global, network), ids: ids)
    }

    static func execute(_ flags: SandboxFlags, ids: [String]) throws {
        flags.apply()
        let manager = try flags.podManager().sandboxes
        var failures = 0
        for prefix in ids {
            do {
                // An ID that matches nothing is already stopped, as CRI says.
                guard let id = try manager.resolveIfPresent(prefix) else { print("Stopped sandbox \(prefix)"); continue }
                try manager.stop(id)
                print("Stopped sandbox \(id)")
            } catch {
                Log.write("podrig: error: stopping sandbox \"\(prefix)\": \(error.asPodrigError)\n")
                failures += 1
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
