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
    // Widths in characters; ASCII cells (nearly all) are measured by bytes, which is cheap.
    func width(_ s: String) -> Int { s.utf8.allSatisfy { $0 < 0x80 } ? s.utf8.count : s.count }
    var widths = header.map(width)
    let rowWidths = rows.map { $0.map(width) }
    for row in rowWidths {
        for (i, w) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], w) }
    }
    var out = ""
    out.reserveCapacity((rows.count + 1) * (widths.reduce(0, +) + 3 * widths.count))
    func line(_ cells: [String], _ cellWidths: [Int]) {
        for (i, cell) in cells.enumerated() {
            out += cell
            if i < cells.count - 1 { out += String(repeating: " ", count: widths[i] - cellWidths[i] + 3) }
        }
        out += "\n"
    }
    line(header, header.map(width))
    for (row, w) in zip(rows, rowWidths) { line(row, w) }
    print(out, terminator: "")
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
