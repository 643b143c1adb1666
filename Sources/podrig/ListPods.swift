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

    @Option(name: .shortAndLong, help: "Only sandboxes in this state: ready or notready.")
    var state: String?

    @Option(help: ArgumentHelp("Only the sandbox with this ID (or prefix).", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("Only sandboxes with this label (repeatable; all must match).", valueName: "key=value"))
    var label: [String] = []

    @Flag(name: .shortAndLong, help: "Only the most recently created sandbox.")
    var latest = false

    @Option(help: ArgumentHelp("Only the n most recently created sandboxes.", valueName: "n"))
    var last: Int?

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @Flag(help: "Show full IDs.")
    var noTrunc = false

    func validate() throws {
        if let state, !["ready", "notready"].contains(state.lowercased()) {
            throw ValidationError("--state must be ready or notready, got \"\(state)\"")
        }
        if let n = last, n < 0 { throw ValidationError("--last must be ≥ 0, got \(n)") }
        try LabelFilters.check(label)
        for (option, re) in [("--name", name), ("--namespace", namespace)] {
            if let re, (try? Regex(re)) == nil { throw ValidationError("\(option): \"\(re)\" is not a regular expression") }
        }
    }

    var query: PodsQuery {
        PodsQuery(quiet: quiet, name: name, namespace: namespace, state: state, id: id, labels: label, latest: latest,
                  last: last, output: output, noTrunc: noTrunc)
    }

    func run() throws {
        global.apply()
        try Self.execute(root: global.root, query)
    }

    /// crictl pods' filters; --latest and --last cut after them, newest first.
    static func execute(root: String, _ q: PodsQuery) throws {
        let (quiet, name, namespace, state, id, output, noTrunc) = (q.quiet, q.name, q.namespace, q.state, q.id, q.output, q.noTrunc)
        let labels = LabelFilters.parse(q.labels) ?? []
        let store = SandboxStore(root: root)
        // The hot verbs' parser skips validate(): the same words here.
        func regex(_ option: String, _ text: String?) throws(PodrigError) -> Regex<AnyRegexOutput>? {
            guard let text else { return nil }
            do { return try Regex(text) } catch { throw PodrigError(.invalidInput, "\(option): \"\(text)\" is not a regular expression") }
        }
        let nameRE = try regex("--name", name)
        let nsRE = try regex("--namespace", namespace)
        let warn: (String, PodrigError) -> Void = { id, error in Log.warn("sandbox \(id.prefix(13)): \(error)") }
        // Each pause is checked once (a /proc read), then the state is what the views show. The
        // table and -q need only each record's summary; -o json|yaml print whole records.
        let whole = (!quiet && output != .table) || !labels.isEmpty
        let records = whole ? try store.list(effectiveState: true, onError: warn) : []
        let rows = whole ? records.map(SandboxSummary.init) : try store.summaries(effectiveState: true, onError: warn)
        var shown = rows.indices.filter { i in
            let r = rows[i]
            if let nameRE, (try? nameRE.firstMatch(in: r.name)) == nil { return false }
            if let nsRE, (try? nsRE.firstMatch(in: r.namespace)) == nil { return false }
            if let state, (r.state == .ready) != (state.lowercased() == "ready") { return false }
            if let id, !r.id.hasPrefix(id) { return false }
            if !labels.isEmpty, !LabelFilters.matches(labels, records[i].config.labels) { return false }
            return true
        }
        shown.sort { rows[$0].createdAt > rows[$1].createdAt }
        if q.latest { shown = Array(shown.prefix(1)) } else if let n = q.last, n > 0 { shown = Array(shown.prefix(n)) }
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

/// What `pods` was asked, from ArgumentParser or the hot verbs' parser alike.
struct PodsQuery: Equatable {
    var quiet = false
    var name: String?
    var namespace: String?
    var state: String?
    var id: String?
    /// key=value each.
    var labels: [String] = []
    var latest = false
    var last: Int?
    var output = OutputFormat.table
    var noTrunc = false
}
