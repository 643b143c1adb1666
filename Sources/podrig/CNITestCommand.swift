import ArgumentParser
import PodrigCNI
import PodrigConformance
import PodrigCore
#if canImport(Glibc)
import Glibc
#endif

enum CNITestOutput: String, ExpressibleByArgument, CaseIterable {
    case table, json, markdown
}

struct CNITestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "CNI plugin conformance: every spec rule a plugin must keep, black-box, in throwaway namespaces.",
        discussion: """
            Tests one plugin config (a bare .conf: podrig provides the netns and, for a chained plugin, a prevResult \
            from its own bridge + host-local ADD) or a whole conflist, for each cniVersion the plugin claims. Everything \
            runs in a node netns pr-ct<run> and container netns pr-ct<run>-<n> that are removed afterwards; host-local \
            leases go to a scratch dataDir. Each line names the rule and its SPEC.md/CONVENTIONS.md section; a FAIL \
            names the exec to rerun with `podrig trace TRACE --replay N` (add --keep to keep the namespaces for it).
            Exits 0 only if nothing failed (expected failures of --expect or a suite entry do not count).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("A plugin config (.conf) or conflist to test.", valueName: "file"))
    var conf: String?

    @Option(help: ArgumentHelp("Run the config's plugin from this file instead of the bin dirs.", valueName: "path"))
    var plugin: String?

    @Option(help: ArgumentHelp("Spec versions to test, comma-separated (default: all the plugin claims).", valueName: "list"))
    var versions: String?

    @Option(help: ArgumentHelp("Only rules whose id matches this regular expression (e.g. '^del\\.').", valueName: "re"))
    var only: String?

    @Option(name: .shortAndLong, help: "Output: table, json or markdown (the reference-table format).")
    var output: CNITestOutput = .table

    @Option(help: ArgumentHelp("Also write the results as JUnit XML to this file.", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Run every *.json entry of a suite directory (see hack/cni-conformance.d).", valueName: "dir"))
    var suite: String?

    @Option(help: ArgumentHelp("With --suite: entries run at once, each in its own node netns.", valueName: "n"))
    var jobs: Int = 1

    @Flag(help: "Test a single plugin as chained (after podrig's bridge + host-local), whatever its config.")
    var chained = false

    @Flag(help: "Test a single plugin on its own (no prevResult), whatever its config.")
    var standalone = false

    @Option(help: ArgumentHelp("Parallel ADDs of the concurrency check (1 skips it).", valueName: "n"))
    var parallel: Int = 4

    @Option(help: ArgumentHelp("Seconds a plugin exec may take before it counts as hung.", valueName: "seconds"))
    var timeout: Double = 10

    @Option(name: .customLong("cap-args"), help: ArgumentHelp("Capability args (JSON object) over the defaults.", valueName: "json"))
    var capArgs: String?

    @Option(help: ArgumentHelp("Shell command to run in the node netns first (repeatable).", valueName: "cmd"))
    var setup: [String] = []

    @Option(help: ArgumentHelp("A known failure: RULE[@VERSION]=REASON (repeatable); reported as XFAIL.", valueName: "rule=why"))
    var expect: [String] = []

    @Option(help: ArgumentHelp("Trace file (default /tmp/podrig-cni-test-<run>.jsonl; kept).", valueName: "file"))
    var trace: String?

    @Flag(help: "Keep the node and container netns after the run (remove them with `ip netns del`).")
    var keep = false

    func validate() throws {
        if chained && standalone { throw ValidationError("--chained and --standalone exclude each other") }
        if conf != nil && suite != nil { throw ValidationError("--conf and --suite exclude each other") }
        if jobs < 1 || jobs > 16 { throw ValidationError("--jobs must be 1…16") }
        if parallel < 1 || parallel > 64 { throw ValidationError("--parallel must be 1…64") }
        try SecondsOption.check(timeout, "--timeout")
    }

    func run() throws {
        global.apply()
        // Fault plugins exit without reading stdin: a write to their closed pipe must be EPIPE, not our death.
        signal(SIGPIPE, SIG_IGN)
        let cni = try network.cniOptions()
        var o = CTOptions()
        o.binDirs = cni.binDirs
        o.timeout = timeout
        o.versions = versions.map { $0.split(separator: ",").map { String($0).trimmed } }
        if let bad = o.versions?.first(where: { CNIVersion($0) == nil }) { throw ValidationError("--versions: \"\(bad)\" is not a version") }
        o.only = only
        o.mode = chained ? .chained : standalone ? .standalone : .auto
        o.parallel = parallel
        o.pluginPath = plugin
        o.setup = setup
        o.keep = keep
        o.tracePath = trace
        if let text = capArgs {
            guard case .object(let caps) = try JSONParser.parse(text) else { throw ValidationError("--cap-args: expected a JSON object") }
            o.capArgs = caps
        }
        for item in expect {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw ValidationError("--expect: \"\(item)\" is not RULE[@VERSION]=REASON") }
            o.expected[String(kv[0])] = String(kv[1])
        }
        var reports: [CTReport] = []
        var entries: [CTSuiteEntry] = []
        if let suite {
            entries = try CTSuiteEntry.load(directory: suite)
            reports = CTSuiteEntry.run(entries, options: o, jobs: jobs, tracePath: trace)
        } else {
            let list: CNIConfigList
            if let conf { list = try CNIDiscovery.load(file: conf) } else { list = try cni.discovery.select(cni.networks.isEmpty ? [] : [cni.networks[0]])[0] }
            reports.append(CTRunner.run(list, options: o))
        }
        switch output {
        case .table: print(reports.map(CTRender.table).joined(separator: "\n"), terminator: "")
        case .json: print((reports.count == 1 && suite == nil ? reports[0].json : .array(reports.map(\.json))).pretty)
        case .markdown: print(CTRender.markdown(reports, entries: entries), terminator: "")
        }
        if let junit { try Files.writeAtomic(junit, CTRender.junit(reports), mode: 0o644, sync: false) }
        if reports.contains(where: \.failed) { throw ExitCode(1) }
    }
}
