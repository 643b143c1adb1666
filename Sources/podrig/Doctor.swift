import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigDoctor
import PodrigSandbox

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this machine for podrig, or (--leaks) list podrig-made state that no live sandbox owns.",
        discussion: """
            Without --leaks: root, pause, CNI plugins and configs, namespaces, iptables, cgroup layout.
            With --leaks: netns pins, pause/supervisor processes, CNI cache entries, IPAM leases (host-local files, podrig-ipam tables),
            iptables rules, host interfaces, state and log directories left by dead sandboxes. Only reports;
            `podrig gc` (or rmp) cleans up. Exits 1 when a check fails or something leaked.
            --scope root reports only what can be traced to --root (other roots' in-flight work is ignored).
            """
    )

    enum Scope: String, ExpressibleByArgument, CaseIterable { case all, root }

    @OptionGroup var global: GlobalOptions

    @Flag(help: "List leaked state instead of checking the environment.")
    var leaks = false

    @Option(help: "With --leaks: all (anything podrig-made) or root (only what traces to --root).")
    var scope: Scope = .all

    @Option(name: .customLong("cni-conf-dir"), help: ArgumentHelp("CNI network configs.", valueName: "dir"))
    var cniConfDir: String = "/etc/cni/net.d"

    @Option(name: .customLong("cni-bin-dir"), help: ArgumentHelp("CNI plugin directories, colon-separated.", valueName: "dirs"))
    var cniBinDir: String = "/opt/cni/bin:/usr/libexec/cni:/usr/lib/cni"

    @Option(name: .customLong("cni-cache-dir"), help: ArgumentHelp("CNI result cache; a non-default one counts as this root's alone.", valueName: "dir"))
    var cniCacheDir: String = "/var/lib/cni"

    @Option(name: .customLong("ipam-data-dir"), help: ArgumentHelp("IPAM dataDir (host-local or podrig-ipam) to check (repeat); given ones count as this root's alone. Default: /var/lib/cni/networks.", valueName: "dir"))
    var ipamDataDirs: [String] = []

    @Option(name: .customLong("log-root"), help: ArgumentHelp("Pod log directories to check (default: <root>/logs for a non-default --root).", valueName: "dir"))
    var logRoot: String?

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func run() throws {
        global.apply()
        if leaks { try runLeaks() } else { try runChecks() }
    }

    func runChecks() throws {
        var o = EnvironmentCheck.Options()
        o.root = global.root
        o.binDirectories = cniBinDir.split(separator: ":").map(String.init)
        o.confDirectory = cniConfDir
        o.builtInNetwork = CNIDefaultNetwork.name
        o.builtInBridge = CNIDefaultNetwork.bridge
        do { o.pause = .success(try SandboxManager(options: global.sandboxOptions).resolvePause()) } catch { o.pause = .failure(error) }
        let checks = EnvironmentCheck.run(o)
        switch output {
        case .table: printTable(["CHECK", "STATUS", "DETAIL"], checks.map { [$0.name, $0.status.rawValue, $0.detail] })
        case .json: printDocument(["checks": .array(checks.map(\.json))], .json)
        case .yaml: printDocument(["checks": .array(checks.map(\.json))], .yaml)
        }
        if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }

    func runLeaks() throws {
        var o = LeakScanner.Options()
        o.root = global.root
        o.cniConfDirectory = cniConfDir
        o.cniCacheDirectory = cniCacheDir
        o.cacheIsScoped = cniCacheDir != "/var/lib/cni"
        if !ipamDataDirs.isEmpty {
            o.ipamDataDirectories = ipamDataDirs
            o.ipamIsScoped = true
        }
        o.logRoot = logRoot ?? (global.root == "/run/podrig" ? nil : global.root + "/logs")
        let report = LeakScanner(options: o).scan()
        let found = report.leaks.filter { scope == .all || $0.owner == .root }
        for p in report.problems { Log.warn(p) }
        switch output {
        case .table:
            if found.isEmpty {
                print("No leaks found (root \(global.root), scope \(scope.rawValue)).")
            } else {
                printTable(["KIND", "OBJECT", "SANDBOX", "OWNER", "REASON"],
                           found.map { [$0.kind.rawValue, $0.object, $0.sandboxID.map { String($0.prefix(13)) } ?? "-", $0.ownerName, $0.reason] })
            }
        case .json, .yaml:
            let doc: JSON = ["root": .string(global.root), "scope": .string(scope.rawValue),
                             "leaks": .array(found.map(\.json)), "problems": .array(report.problems.map { .string($0) })]
            printDocument(doc, output == .json ? .json : .yaml)
        }
        if !found.isEmpty { throw ExitCode(1) }
    }
}
