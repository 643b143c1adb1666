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

    func apply() {
        if debug { Log.debugEnabled = true }
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
    var widths = header.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        var out = ""
        for (i, cell) in cells.enumerated() {
            if i == cells.count - 1 { out += cell } else { out += cell + String(repeating: " ", count: widths[i] - cell.count + 3) }
        }
        return out
    }
    print(line(header))
    for row in rows { print(line(row)) }
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
