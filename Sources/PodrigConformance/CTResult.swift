import PodrigCore

/// How one rule came out.
public enum CTStatus: String, Sendable, CaseIterable {
    case pass = "PASS"
    case fail = "FAIL"
    /// Failed, and the suite entry says why (a known plugin bug): does not fail the run.
    case xfail = "XFAIL"
    case skip = "SKIP"
    /// A measurement, not a verdict.
    case info = "INFO"

    /// Which status a table cell shows when a group holds several (worst first).
    var weight: Int {
        switch self {
        case .fail: 4
        case .xfail: 3
        case .pass: 2
        case .info: 1
        case .skip: 0
        }
    }
}

/// One line of the report.
public struct CTResult: Sendable {
    public var rule: CTRule
    /// The cniVersion the check ran with; nil for version-independent checks.
    public var version: String?
    public var status: CTStatus
    public var detail: String
    /// Trace numbers (1-based, as `podrig trace FILE --replay N` takes them) of the execs that broke the rule.
    public var traces: [Int]

    public init(_ rule: CTRule, version: String?, _ status: CTStatus, _ detail: String, traces: [Int] = []) {
        self.rule = rule
        self.version = version
        self.status = status
        self.detail = detail
        self.traces = traces
    }

    /// "rule" or "rule@version", the key suite files use for expected failures.
    public var key: String { version.map { "\(rule.id)@\($0)" } ?? rule.id }

    public var json: JSON {
        var o = JSONObject()
        o["rule"] = .string(rule.id)
        if let version { o["version"] = .string(version) }
        o["status"] = .string(status.rawValue)
        o["detail"] = .string(detail)
        o["reference"] = .array(rule.references.map { ["document": .string($0.document), "section": .string($0.heading)] })
        if !traces.isEmpty { o["trace"] = .array(traces.map { .int($0) }) }
        return .object(o)
    }
}

/// Everything one run found about one subject (a plugin config or a conflist).
public struct CTReport: Sendable {
    public var name: String
    /// "standalone", "chained" (after podrig's bridge + host-local) or "list".
    public var mode: String
    public var plugins: [(type: String, path: String)]
    public var versions: [String]
    public var tracePath: String
    public var results: [CTResult] = []
    /// Set when the run could not start (config unreadable, plugin missing …).
    public var error: String?
    /// Set when the machine cannot run the plugin (a `requires` command failed): nothing was tested.
    public var skipped: String?

    public init(name: String, mode: String, plugins: [(type: String, path: String)], versions: [String], tracePath: String) {
        self.name = name
        self.mode = mode
        self.plugins = plugins
        self.versions = versions
        self.tracePath = tracePath
    }

    public var failed: Bool { error != nil || results.contains { $0.status == .fail } }

    public func count(_ s: CTStatus) -> Int { results.filter { $0.status == s }.count }

    /// Expected failures ("rule" or "rule@version" → why): a matching FAIL becomes XFAIL.
    public mutating func applyExpected(_ expected: [String: String]) {
        for i in results.indices where results[i].status == .fail {
            let r = results[i]
            if let why = expected[r.key] ?? expected[r.rule.id] {
                results[i].status = .xfail
                results[i].detail += " — expected: \(why)"
            }
        }
    }

    public var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name)
        o["mode"] = .string(mode)
        o["plugins"] = .array(plugins.map { ["type": .string($0.type), "path": .string($0.path)] })
        o["versions"] = .array(versions.map { .string($0) })
        o["trace"] = .string(tracePath)
        if let error { o["error"] = .string(error) }
        if let skipped { o["skipped"] = .string(skipped) }
        o["results"] = .array(results.map(\.json))
        var summary = JSONObject()
        for s in CTStatus.allCases { summary[s.rawValue.lowercased()] = .int(count(s)) }
        o["summary"] = .object(summary)
        o["failed"] = .bool(failed)
        return .object(o)
    }
}
