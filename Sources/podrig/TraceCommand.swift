import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigSandbox

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show every CNI plugin exec of a sandbox: command, env, stdin, stdout, stderr, exit, duration.",
        discussion: "--replay N prints a shell script that reruns exec N exactly (same binary, environment and stdin).")

    @OptionGroup var global: GlobalOptions
    /// Accepted so every command takes the same flags; listing reads only the state root.
    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("Print a script that reruns exec N (1-based, as listed).", valueName: "n"))
    var replay: Int?

    @Option(name: .shortAndLong, help: "Output format: table (readable) or json.")
    var output: OutputFormat = .table

    @Flag(help: "Show the whole environment, not only CNI_* variables.")
    var fullEnv = false

    @Argument(help: ArgumentHelp("Sandbox ID or unique prefix, or a trace file path.", valueName: "pod-id"))
    var id: String

    func run() throws {
        global.apply()
        let path: String
        if id.contains("/") {
            path = id
        } else {
            let store = SandboxStore(root: global.root)
            path = CNINetwork.tracePath(directory: store.directory(try store.resolve(id)))
        }
        let records: [JSON]
        do { records = try CNITrace.read(path) } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "no CNI trace at \(path) (no plugin ran for this sandbox)") }
            throw error
        }
        if let n = replay {
            guard records.indices.contains(n - 1) else { throw ValidationError("--replay: there are \(records.count) execs; pick 1…\(records.count)") }
            print(CNITrace.replayScript(records[n - 1], number: n), terminator: "")
            return
        }
        switch output {
        case .json: print(JSON.array(records).pretty)
        case .yaml: printDocument(.array(records), .yaml)
        case .table:
            for (i, r) in records.enumerated() {
                let status = r["timedOut"]?.bool == true ? "TIMED OUT" : r["signal"].map { "signal \($0.compact)" } ?? "exit \(r["exitCode"]?.compact ?? "?")"
                print("#\(i + 1) \(r["time"]?.string ?? "") \(r["command"]?.string ?? "") \(r["plugin"]?.string ?? "") network=\(r["network"]?.string ?? "") \(status) \(r["durationMs"]?.compact ?? "?") ms")
                print("  path:   \(r["path"]?.string ?? "")")
                let env = (r["env"]?.array ?? []).compactMap(\.string).filter { fullEnv || $0.hasPrefix("CNI_") }
                print("  env:    \(env.joined(separator: " "))")
                for key in ["stdin", "stdout", "stderr", "error"] {
                    guard let v = r[key]?.string, !v.isEmpty else { continue }
                    print("  \(key):" + String(repeating: " ", count: 7 - key.count) + v.trimmed.split(separator: "\n").joined(separator: "\n          "))
                }
            }
        }
    }
}
