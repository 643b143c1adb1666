import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigSandbox

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show every CNI plugin exec of a sandbox: command, env, stdin, stdout, stderr, exit, duration.",
        discussion: """
            --replay N prints a shell script that reruns exec N exactly (same binary, environment and stdin). \
            --diff A B shows what changed from exec A to exec B: the exec (command, plugin, exit), every \
            environment variable, and stdin and the result field by field. --redact KEY (repeatable) replaces \
            the value of an environment variable, a CNI_ARGS key or a JSON key of stdin/result named KEY, and \
            every other place that value appears, with REDACTED (a redacted replay no longer reruns faithfully).
            """)

    @OptionGroup var global: GlobalOptions
    /// Accepted so every command takes the same flags; listing reads only the state root.
    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("Print a script that reruns exec N (1-based, as listed).", valueName: "n"))
    var replay: Int?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Show what changed from exec A to exec B (as listed).", valueName: "a b"))
    var diff: [Int] = []

    @Option(help: ArgumentHelp("Replace this env variable's, CNI_ARGS key's or JSON key's value with REDACTED (repeatable).", valueName: "key"))
    var redact: [String] = []

    @Option(name: .shortAndLong, help: "Output format: table (readable), json or yaml.")
    var output: OutputFormat = .table

    @Flag(help: "Show the whole environment, not only CNI_* variables.")
    var fullEnv = false

    @Argument(help: ArgumentHelp("Sandbox ID or unique prefix, or a trace file path.", valueName: "pod-id"))
    var id: String

    func validate() throws {
        if !diff.isEmpty && diff.count != 2 { throw ValidationError("--diff takes two exec numbers: --diff A B") }
        if !diff.isEmpty && replay != nil { throw ValidationError("--diff and --replay exclude each other") }
        if let bad = redact.first(where: { $0.isEmpty || $0.contains("=") }) { throw ValidationError("--redact: \"\(bad)\" is not a variable or key name") }
    }

    func run() throws {
        global.apply()
        let path: String
        if id.contains("/") {
            path = id
        } else {
            let store = SandboxStore(root: global.root)
            path = CNINetwork.tracePath(directory: store.directory(try store.resolve(id)))
        }
        var records: [JSON]
        do { records = try CNITrace.read(path) } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "no CNI trace at \(path) (no plugin ran for this sandbox)") }
            throw error
        }
        let redaction = CNITraceRedaction(keys: redact)
        records = records.map(redaction.apply)
        func pick(_ n: Int, _ flag: String) throws -> JSON {
            guard records.indices.contains(n - 1) else { throw ValidationError("\(flag): there are \(records.count) execs; pick 1…\(records.count)") }
            return records[n - 1]
        }
        if let n = replay {
            var script = CNITrace.replayScript(try pick(n, "--replay"), number: n)
            if !redaction.isEmpty, let nl = script.firstIndex(of: "\n") {
                script.insert(contentsOf: "\n# redacted: \(redact.joined(separator: ", ")) (not the values the exec had)", at: nl)
            }
            print(script, terminator: "")
            return
        }
        if diff.count == 2 {
            let a = try pick(diff[0], "--diff"), b = try pick(diff[1], "--diff")
            let d = CNITraceDiff.between(a, b)
            switch output {
            case .table:
                print("--- #\(diff[0]) \(TraceCommand.headline(a))")
                print("+++ #\(diff[1]) \(TraceCommand.headline(b))")
                print(d.text, terminator: "")
            case .json, .yaml:
                let doc: JSON = ["a": .int(diff[0]), "b": .int(diff[1]), "identical": .bool(d.identical), "changes": d.json]
                printDocument(doc, output == .json ? .json : .yaml)
            }
            return
        }
        switch output {
        case .json: print(JSON.array(records).pretty)
        case .yaml: printDocument(.array(records), .yaml)
        case .table:
            for (i, r) in records.enumerated() {
                print("#\(i + 1) \(TraceCommand.headline(r))")
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

    /// "<time> ADD bridge network=n exit 0 12.3 ms": one exec on one line.
    static func headline(_ r: JSON) -> String {
        let status = r["timedOut"]?.bool == true ? "TIMED OUT" : r["signal"].map { "signal \($0.compact)" } ?? "exit \(r["exitCode"]?.compact ?? "?")"
        return "\(r["time"]?.string ?? "") \(r["command"]?.string ?? "") \(r["plugin"]?.string ?? "") network=\(r["network"]?.string ?? "") \(status) \(r["durationMs"]?.compact ?? "?") ms"
    }
}
