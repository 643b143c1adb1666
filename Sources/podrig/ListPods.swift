import ArgumentParser
import PodrigCore
import PodrigSandbox

struct ListPods: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods",
        abstract: "List pod sandboxes, like `crictl pods`, with their Pod IPs."
    )

    @OptionGroup var global: GlobalOptions
    /// Accepted so every command takes the same flags; listing reads only the state root.
    @OptionGroup var network: NetworkOptions

    @Flag(name: .shortAndLong, help: "Print only sandbox IDs.")
    var quiet = false

    @Option(help: "Only sandboxes whose name matches this regular expression.")
    var name: String?

    @Option(help: "Only sandboxes in this namespace (regular expression).")
    var namespace: String?

    @Option(help: "Only sandboxes in this state: ready or notready.")
    var state: String?

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @Flag(help: "Show full IDs.")
    var noTrunc = false

    func validate() throws {
        if let state, !["ready", "notready"].contains(state.lowercased()) {
            throw ValidationError("--state must be ready or notready, got \"\(state)\"")
        }
    }

    func run() throws {
        global.apply()
        try Self.execute(root: global.root, quiet: quiet, name: name, namespace: namespace, state: state,
                         output: output, noTrunc: noTrunc)
    }

    static func execute(root: String, quiet: Bool, name: String?, namespace: String?, state: String?,
                        output: OutputFormat, noTrunc: Bool) throws {
        let store = SandboxStore(root: root)
        let nameRE = try name.map { try Regex($0) }
        let nsRE = try namespace.map { try Regex($0) }
        // Each pause is checked once (a /proc read), then the state is what the views show.
        var records = try store.list(effectiveState: true) { id, error in Log.warn("sandbox \(id.prefix(13)): \(error)") }
        records = records.filter { r in
            if let nameRE, (try? nameRE.firstMatch(in: r.config.name)) == nil { return false }
            if let nsRE, (try? nsRE.firstMatch(in: r.config.namespace)) == nil { return false }
            if let state, (r.state == .ready) != (state.lowercased() == "ready") { return false }
            return true
        }
        records.sort { $0.createdAt > $1.createdAt }
        if quiet {
            for r in records { print(r.id) }
            return
        }
        switch output {
        case .table:
            printTable(
                ["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "IP"],
                records.map { r in
                    [noTrunc ? r.id : String(r.id.prefix(13)), ago(nanos: r.createdAt),
                     r.state == .ready ? "Ready" : "NotReady", r.config.name, r.config.namespace,
                     String(r.config.attempt), r.podIPs.isEmpty ? "-" : r.podIPs.joined(separator: ",")]
                })
        case .json:
            printDocument(["items": .array(records.map(SandboxView.summary))], .json)
        case .yaml:
            printDocument(["items": .array(records.map(SandboxView.summary))], .yaml)
        }
    }
}
