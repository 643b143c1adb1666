import ArgumentParser
import PodrigCgroups
import PodrigCore
import PodrigPod
import PodrigSandbox

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Directory for podrig's state.")
    var root: String = SandboxFlags().root

    @Option(help: ArgumentHelp("podrig-pause executable (default: beside podrig).", valueName: "path"))
    var pausePath: String?

    @Option(help: ArgumentHelp("enabled: a cgroup per pod and container with kubelet's limits (needs a writable cgroup v1 or v2 tree); disabled: none, resources not enforced (also PODRIG_CGROUPS=disabled).", valueName: "mode"))
    var cgroups: CgroupOptions.Mode?

    @Option(help: ArgumentHelp("cgroup v2 cpu.weight from shares: quadratic (runc >= 1.3.2, crun >= 1.23) or linear (older runtimes).", valueName: "formula"))
    var cpuWeightFormula: KubeletMapping.WeightFormula = .quadratic

    @Option(help: ArgumentHelp("pids.max of each pod's cgroup (kubelet's podPidsLimit); default: no limit.", valueName: "n"))
    var podMaxPids: Int64?

    @Flag(help: "cgroup v2: no memory.oom.group on containers, so an OOM kills one process, not the whole container (kubelet's singleProcessOOMKill).")
    var singleProcessOomKill = false

    @Flag(help: "Print debug lines on stderr.")
    var debug = false

    @Flag(name: [.short, .long], help: "Say what each long wait waits for, on stderr (the default when stderr is a terminal).")
    var verbose = false

    func apply() {
        if debug { Log.debugEnabled = true }
        if verbose { Log.progressEnabled = true }
    }

    var sandboxOptions: SandboxManager.Options {
        var o = SandboxManager.Options()
        o.root = root
        o.pausePath = pausePath
        return o
    }
}

extension CgroupOptions.Mode: ExpressibleByArgument {}
extension KubeletMapping.WeightFormula: ExpressibleByArgument, CaseIterable {
    public static var allCases: [KubeletMapping.WeightFormula] { [.quadratic, .linear] }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml
}

enum DocumentFormat: String, ExpressibleByArgument, CaseIterable {
    case json, yaml
}

func printDocument(_ value: JSON, _ format: DocumentFormat) {
    switch format {
    case .json: print(value.pretty)
    case .yaml: print(YAMLWriter.write(value), terminator: "")
    }
}

/// Column-aligned output like crictl's tables.
func printTable(_ header: [String], _ rows: [[String]]) {
    print(TableLayout(header, rows).text(header, rows), terminator: "")
}

/// Column widths of a table (three spaces between columns), kept so that rows printed later
/// (`get pods -w`) line up with the first ones.
struct TableLayout {
    var widths: [Int]

    // Widths in characters; ASCII cells (nearly all) are measured by bytes, which is cheap.
    static func width(_ s: String) -> Int { s.utf8.allSatisfy { $0 < 0x80 } ? s.utf8.count : s.count }

    init(_ header: [String], _ rows: [[String]]) {
        widths = header.map(Self.width)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], Self.width(cell)) }
        }
    }

    func text(_ header: [String]?, _ rows: [[String]]) -> String {
        var out = ""
        out.reserveCapacity((rows.count + 1) * (widths.reduce(0, +) + 3 * widths.count))
        func line(_ cells: [String]) {
            for (i, cell) in cells.enumerated() {
                out += cell
                if i < cells.count - 1 { out += String(repeating: " ", count: max(0, (i < widths.count ? widths[i] : 0) - Self.width(cell)) + 3) }
            }
            out += "\n"
        }
        if let header { line(header) }
        for row in rows { line(row) }
        return out
    }
}

/// "2 minutes ago", as crictl prints CREATED.
func ago(nanos: Int64) -> String {
    let now = Clock.wall()
    let secs = max(0, now.sec - Int(nanos / 1_000_000_000))
    func unit(_ n: Int, _ name: String) -> String { n == 1 ? "\(name == "hour" ? "An" : "A") \(name) ago" : "\(n) \(name)s ago" }
    if secs < 60 { return secs <= 1 ? "Less than a second ago" : "\(secs) seconds ago" }
    if secs < 3600 { return unit(secs / 60, "minute") }
    if secs < 86400 { return unit(secs / 3600, "hour") }
    return unit(secs / 86400, "day")
}
