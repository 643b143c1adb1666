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
        let warn: (String, PodrigError) -> Void = { id, error in Log.warn("sandbox \(id.prefix(13)): \(error)") }
        // Each pause is checked once (a /proc read), then the state is what the views show. The
        // table and -q need only each record's summary; -o json|yaml print whole records.
        let whole = !quiet && output != .table
        let records = whole ? try store.list(effectiveState: true, onError: warn) : []
        let rows = whole ? records.map(SandboxSummary.init) : try store.summaries(effectiveState: true, onError: warn)
        var shown = rows.indices.filter { i in
            let r = rows[i]
            if let nameRE, (try? nameRE.firstMatch(in: r.name)) == nil { return false }
            if let nsRE, (try? nsRE.firstMatch(in: r.namespace)) == nil { return false }
            if let state, (r.state == .ready) != (state.lowercased() == "ready") { return false }
            return true
        }
        shown.sort { rows[$0].createdAt > rows[$1].createdAt }
        if quiet {
            for i in shown { print(rows[i].id) }
            return
        }
        switch output {
        case .table:
            printTable(
                ["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "IP"],
                shown.map { i in
                    let r = rows[i]
                    return [noTrunc ? r.id : String(r.id.prefix(13)), ago(nanos: r.createdAt),
                            r.state == .ready ? "Ready" : "NotReady", r.name, r.namespace,
                            String(r.attempt), r.podIPs.isEmpty ? "-" : r.podIPs.joined(separator: ",")]
                })
        case .json:
            printDocument(["items": .array(shown.map { SandboxView.summary(records[$0]) })], .json)
        case .yaml:
            printDocument(["items": .array(shown.map { SandboxView.summary(records[$0]) })], .yaml)
        }
    }
}
