import PodrigCNI
import PodrigCore

/// One entry of a suite directory (hack/cni-conformance.d/*.json): a plugin config or conflist and
/// how to test it.
///
///     {"name": "macvlan", "conf": {…}, "mode": "standalone", "parallel": 4,
///      "setup": ["ip link add pr-ctdum0 type dummy"], "versions": ["1.0.0"],
///      "requires": ["ip link add pr-ctprobe link pr-ctdum0 type ipvlan && ip link del pr-ctprobe"],
///      "expected": {"check.detects-change@0.4.0": "why (a plugin bug)"}}
public struct CTSuiteEntry: Sendable {
    public var name: String
    public var list: CNIConfigList
    public var mode: CTMode = .auto
    public var parallel: Int?
    public var setup: [String] = []
    public var requires: [String] = []
    public var versions: [String]?
    public var expected: [String: String] = [:]

    public static func load(directory: String) throws(PodrigError) -> [CTSuiteEntry] {
        let files = try Files.list(directory).filter { $0.hasSuffix(".json") }.sorted()
        if files.isEmpty { throw PodrigError(.notFound, "suite \(directory): no *.json entries") }
        var out: [CTSuiteEntry] = []
        for f in files { out.append(try parse(try Files.read(directory + "/" + f), source: directory + "/" + f)) }
        return out
    }

    public static func parse(_ bytes: [UInt8], source: String) throws(PodrigError) -> CTSuiteEntry {
        let json: JSON
        do { json = try JSONParser.parse(bytes: bytes) } catch { throw error.context(source) }
        guard let name = json["name"]?.string, !name.isEmpty else { throw PodrigError.invalid("\(source): \"name\" is required") }
        guard let conf = json["conf"], conf.object != nil else { throw PodrigError.invalid("\(source): \"conf\" must be a plugin config or conflist object") }
        let list = try CNIConfigList.parse(Array(conf.compact.utf8), source: source + " conf")
        var e = CTSuiteEntry(name: name, list: list)
        if let m = json["mode"]?.string {
            guard let mode = CTMode(rawValue: m) else { throw PodrigError.invalid("\(source): mode \"\(m)\" is not auto, standalone or chained") }
            e.mode = mode
        }
        e.parallel = json["parallel"]?.int
        e.setup = (json["setup"]?.array ?? []).compactMap(\.string)
        e.requires = (json["requires"]?.array ?? []).compactMap(\.string)
        e.versions = json["versions"]?.array?.compactMap(\.string)
        for (k, v) in json["expected"]?.object ?? JSONObject() {
            guard let why = v.string else { throw PodrigError.invalid("\(source): expected.\(k) must be a string (the reason)") }
            e.expected[k] = why
        }
        return e
    }

    /// The run options for this entry over the command line's.
    public func options(_ base: CTOptions) -> CTOptions {
        var o = base
        if mode != .auto { o.mode = mode }
        if let parallel { o.parallel = parallel }
        o.setup = base.setup + setup
        o.requires = base.requires + requires
        if let versions { o.versions = base.versions.map { vs in vs.filter { versions.contains($0) } } ?? versions }
        for (k, v) in expected { o.expected[k] = v }
        return o
    }
}

extension CTSuiteEntry {
    /// Runs every entry, `jobs` at a time (each in its own node netns, so they cannot meet), and
    /// returns the reports in the entries' order. `tracePath`: each entry's trace is
    /// `<tracePath>.<n>-<name>`.
    public static func run(_ entries: [CTSuiteEntry], options: CTOptions, jobs: Int, tracePath: String?) -> [CTReport] {
        final class Slots: @unchecked Sendable {
            var reports: [CTReport?]
            var next = 0
            let lock = Mutex()
            init(_ n: Int) { reports = Array(repeating: nil, count: n) }
            func take() -> Int? {
                lock.locked { () -> Int? in
                    guard next < reports.count else { return nil }
                    next += 1
                    return next - 1
                }
            }
        }
        let slots = Slots(entries.count)
        PodrigConformance.parallel(max(1, min(jobs, entries.count))) { _ in
            while let i = slots.take() {
                let e = entries[i]
                var o = e.options(options)
                if let tracePath { o.tracePath = tracePath + ".\(i + 1)-\(e.name)" }
                var r = CTRunner.run(e.list, options: o)
                r.name = e.name
                slots.lock.locked { slots.reports[i] = r }
            }
        }
        return slots.reports.compactMap { $0 }
    }
}
