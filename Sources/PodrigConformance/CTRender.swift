import PodrigCore

/// The report as people and CI systems read it: a table, JUnit XML, the reference-table markdown.
public enum CTRender {
    public static func table(_ r: CTReport) -> String {
        var out = "podrig cni test: network \"\(r.name)\" (\(r.mode)): "
        out += r.plugins.map { "\($0.type) (\($0.path))" }.joined(separator: ", ")
        out += "\n  versions: \(r.versions.isEmpty ? "none" : r.versions.joined(separator: ", "))  trace: \(r.tracePath)\n"
        if let e = r.error { out += "  error: \(e)\n" }
        if let why = r.skipped { out += "  skipped: \(why)\n" }
        var rows: [[String]] = []
        for x in r.results {
            rows.append([x.status.rawValue, x.version ?? "-", x.rule.id, x.traces.isEmpty ? "" : x.traces.map { "#\($0)" }.joined(separator: ","),
                         x.detail, x.rule.referenceText])
        }
        if !rows.isEmpty { out += columns(["RESULT", "VERSION", "RULE", "TRACE", "DETAIL", "REFERENCE"], rows) }
        out += "\(r.count(.pass)) passed, \(r.count(.fail)) failed, \(r.count(.xfail)) expected failures, \(r.count(.skip)) skipped"
        if r.results.contains(where: { !$0.traces.isEmpty && $0.status != .pass }) {
            out += "; rerun a failed exec: podrig trace \(r.tracePath) --replay N"
        }
        return out + "\n"
    }

    static func columns(_ header: [String], _ rows: [[String]]) -> String {
        func width(_ s: String) -> Int { s.utf8.allSatisfy { $0 < 0x80 } ? s.utf8.count : s.count }
        var widths = header.map(width)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], width(c)) } }
        // The last two columns are free text: cap DETAIL so the reference stays readable.
        widths[4] = min(widths[4], 90)
        var out = ""
        for row in [header] + rows {
            for (i, cell) in row.enumerated() {
                out += cell
                if i < row.count - 1 { out += String(repeating: " ", count: max(1, widths[i] - width(cell) + 2)) }
            }
            out += "\n"
        }
        return out
    }

    // MARK: JUnit

    /// One <testsuite> per report, one <testcase> per result (classname = network.version).
    public static func junit(_ reports: [CTReport]) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let total = reports.reduce(0) { $0 + $1.results.count + ($1.error == nil ? 0 : 1) + ($1.skipped == nil ? 0 : 1) }
        let failures = reports.reduce(0) { $0 + $1.count(.fail) + ($1.error == nil ? 0 : 1) }
        let skipped = reports.reduce(0) { $0 + $1.count(.skip) + $1.count(.xfail) + ($1.skipped == nil ? 0 : 1) }
        out += "<testsuites name=\"podrig cni test\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\">\n"
        for r in reports {
            let extra = (r.error == nil ? 0 : 1) + (r.skipped == nil ? 0 : 1)
            let skipped = r.count(.skip) + r.count(.xfail) + (r.skipped == nil ? 0 : 1)
            out += "  <testsuite name=\"\(xml(r.name))\" tests=\"\(r.results.count + extra)\" failures=\"\(r.count(.fail) + (r.error == nil ? 0 : 1))\" errors=\"0\" skipped=\"\(skipped)\">\n"
            out += "    <properties><property name=\"trace\" value=\"\(xml(r.tracePath))\"/><property name=\"plugins\" value=\"\(xml(r.plugins.map(\.type).joined(separator: ",")))\"/></properties>\n"
            if let e = r.error {
                out += "    <testcase classname=\"\(xml(r.name))\" name=\"setup\"><failure message=\"\(xml(e))\"/></testcase>\n"
            }
            if let why = r.skipped {
                out += "    <testcase classname=\"\(xml(r.name))\" name=\"requires\"><skipped message=\"\(xml(why))\"/></testcase>\n"
            }
            for x in r.results {
                out += "    <testcase classname=\"\(xml(r.name + "." + (x.version ?? "all")))\" name=\"\(xml(x.rule.id))\">"
                let body = x.detail + (x.traces.isEmpty ? "" : " (trace \(x.traces.map { "#\($0)" }.joined(separator: ",")); podrig trace \(r.tracePath) --replay N)")
                    + "\n" + x.rule.referenceText
                switch x.status {
                case .fail: out += "<failure message=\"\(xml(x.rule.summary))\">\(xml(body))</failure>"
                case .skip, .xfail: out += "<skipped message=\"\(xml(x.status.rawValue + ": " + x.detail))\"/>"
                case .pass, .info: out += "<system-out>\(xml(body))</system-out>"
                }
                out += "</testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    /// XML-escaped text; characters XML 1.0 cannot hold become U+FFFD.
    static func xml(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || (0xFFFE...0xFFFF).contains(u.value) { out += "\u{FFFD}" } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    // MARK: markdown (docs/cni-conformance.md)

    /// The reference table: one row per suite entry, one column per rule group, then every
    /// expected failure with its reason. Only verdicts appear (no timings, names or addresses),
    /// so the same plugins give the same text on every run.
    public static func markdown(_ reports: [CTReport], entries: [CTSuiteEntry]) -> String {
        var out = "| plugin | mode | versions |"
        let groups = CTRule.groups.filter { $0 != "world" } + ["world"]
        for g in groups { out += " \(g) |" }
        out += "\n|---|---|---|" + String(repeating: "---|", count: groups.count) + "\n"
        for r in reports {
            out += "| \(r.name) | \(r.mode) | \(r.versions.isEmpty ? "–" : r.versions.joined(separator: ", ")) |"
            for g in groups {
                let rs = r.results.filter { $0.rule.group == g && $0.status != .info }
                out += " \(r.skipped == nil ? cell(rs) : "n/a") |"
            }
            out += "\n"
        }
        out += "\nCells: `pass`; `FAIL` (a regression: the run exits 1); `xfail` (a known plugin bug, listed below); `skip` (the rule does not apply: e.g. CHECK before 0.4.0, GC/STATUS before 1.1.0, chained plugins' CHECK of the provider's address); `n/a` (this machine cannot run the plugin, listed below).\n"
        var lines: [String] = []
        for r in reports {
            if let e = r.error { lines.append("| \(r.name) | (run) | ERROR: \(e) |") }
            for x in r.results where x.status == .fail || x.status == .xfail {
                let entry = entries.first { $0.name == r.name }
                let why = entry?.expected[x.key] ?? entry?.expected[x.rule.id] ?? "*not yet triaged*"
                lines.append("| \(r.name) | `\(x.key)` | \(why) |")
            }
        }
        out += "\n### Known failures\n\n"
        if lines.isEmpty { out += "None.\n" } else {
            out += "| plugin | rule@version | why (a plugin bug, not podrig's) |\n|---|---|---|\n" + lines.joined(separator: "\n") + "\n"
        }
        let notHere = reports.filter { $0.skipped != nil }
        if !notHere.isEmpty {
            out += "\n### Not run on this machine\n\n| plugin | why |\n|---|---|\n"
            for r in notHere { out += "| \(r.name) | \(r.skipped!) |\n" }
        }
        return out
    }

    static func cell(_ rs: [CTResult]) -> String {
        guard let worst = rs.max(by: { $0.status.weight < $1.status.weight }) else { return "–" }
        switch worst.status {
        case .fail: return "FAIL"
        case .xfail: return "xfail"
        case .pass: return "pass"
        case .skip, .info: return "skip"
        }
    }
}
