import ArgumentParser
import PodrigCore
import PodrigSandbox

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Directory for podrig's state.")
    var root: String = SandboxFlags().root

    @Option(help: ArgumentHelp("podrig-pause executable (default: beside podrig).", valueName: "path"))
    var pausePath: String?

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
