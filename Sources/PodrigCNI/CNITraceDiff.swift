import PodrigCore

/// What changed between two traced execs (`podrig trace ID --diff A B`): the exec itself
/// (command, plugin, exit), each environment variable by name, and stdin, the result (stdout) and
/// stderr — field by field when both sides are JSON, as a whole otherwise. Times and durations
/// always differ and are left out (the header shows them).
public struct CNITraceDiff: Sendable {
    public struct Change: Sendable, Equatable {
        /// "exec", "env", "stdin", "result" or "stderr".
        public var section: String
        /// A variable name (env), a JSON path such as `prevResult.ips[0].address` ("" = the whole value).
        public var path: String
        /// nil: absent on that side.
        public var before: JSON?
        public var after: JSON?

        public init(section: String, path: String, before: JSON?, after: JSON?) {
            self.section = section
            self.path = path
            self.before = before
            self.after = after
        }
    }

    public var changes: [Change] = []
    public var identical: Bool { changes.isEmpty }

    /// The exec fields compared (the trace's record keys, CNITraceRecord.json).
    static let execKeys = ["command", "plugin", "path", "network", "netns", "exitCode", "signal", "timedOut", "error"]

    public static func between(_ a: JSON, _ b: JSON) -> CNITraceDiff {
        var d = CNITraceDiff()
        for k in execKeys where a[k] != b[k] { d.changes.append(Change(section: "exec", path: k, before: a[k], after: b[k])) }
        let ea = environment(a), eb = environment(b)
        for (k, v) in ea where eb[k] != v { d.changes.append(Change(section: "env", path: k, before: .string(v), after: eb[k].map { .string($0) })) }
        for (k, v) in eb where ea[k] == nil { d.changes.append(Change(section: "env", path: k, before: nil, after: .string(v))) }
        for (section, key) in [("stdin", "stdin"), ("result", "stdout"), ("stderr", "stderr")] {
            let ta = a[key]?.string ?? "", tb = b[key]?.string ?? ""
            guard ta != tb else { continue }
            if section != "stderr", let ja = try? JSONParser.parse(ta), let jb = try? JSONParser.parse(tb) {
                compare(ja, jb, path: "", section: section, into: &d.changes)
            } else {
                d.changes.append(Change(section: section, path: "", before: ta.isEmpty ? nil : .string(ta), after: tb.isEmpty ? nil : .string(tb)))
            }
        }
        return d
    }

    /// "K=V" entries as an ordered name → value list (the first of a repeated name wins, as getenv).
    static func environment(_ r: JSON) -> EnvironmentMap {
        var m = EnvironmentMap()
        for e in (r["env"]?.array ?? []).compactMap(\.string) {
            let kv = e.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = String(kv[0])
            if m[k] == nil { m[k] = kv.count > 1 ? String(kv[1]) : "" }
        }
        return m
    }

    static func compare(_ a: JSON, _ b: JSON, path: String, section: String, into out: inout [Change]) {
        guard a != b else { return }
        switch (a, b) {
        case (.object(let oa), .object(let ob)):
            for (k, va) in oa {
                let p = join(path, k)
                if let vb = ob[k] { compare(va, vb, path: p, section: section, into: &out) } else {
                    out.append(Change(section: section, path: p, before: va, after: nil))
                }
            }
            for (k, vb) in ob where oa[k] == nil { out.append(Change(section: section, path: join(path, k), before: nil, after: vb)) }
        case (.array(let xa), .array(let xb)):
            for i in 0..<max(xa.count, xb.count) {
                let p = path + "[\(i)]"
                // Explicit optionals: JSON is ExpressibleByNilLiteral, so a bare nil would be JSON.null.
                let va: JSON? = i < xa.count ? .some(xa[i]) : .none, vb: JSON? = i < xb.count ? .some(xb[i]) : .none
                if let va, let vb { compare(va, vb, path: p, section: section, into: &out) } else {
                    out.append(Change(section: section, path: p, before: va, after: vb))
                }
            }
        default:
            out.append(Change(section: section, path: path, before: a, after: b))
        }
    }

    /// `a.b`, or `a["odd key"]` for keys that are not plain identifiers (`cni.dev/valid-attachments`).
    static func join(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-" }
        if plain { return path.isEmpty ? key : path + "." + key }
        return path + "[" + JSON.string(key).compact + "]"
    }

    public var json: JSON {
        .array(changes.map { c in
            var o = JSONObject()
            o["section"] = .string(c.section)
            o["path"] = .string(c.path)
            if let b = c.before { o["before"] = b }
            if let a = c.after { o["after"] = a }
            return .object(o)
        })
    }

    /// Readable lines: per section, `path: before → after`, `+ path: value` (added), `- path: value` (gone).
    public var text: String {
        if changes.isEmpty { return "no difference (besides time and duration)\n" }
        var out = ""
        var section = ""
        for c in changes {
            if c.section != section {
                section = c.section
                out += section + ":\n"
            }
            let name = c.path.isEmpty ? "(whole)" : c.path
            switch (c.before, c.after) {
            case (let b?, let a?): out += "  ~ \(name): \(CNITraceDiff.show(b)) → \(CNITraceDiff.show(a))\n"
            case (nil, let a?): out += "  + \(name): \(CNITraceDiff.show(a))\n"
            case (let b?, nil): out += "  - \(name): \(CNITraceDiff.show(b))\n"
            case (nil, nil): break
            }
        }
        return out
    }

    /// A value on one line: compact JSON, long ones clipped in the middle.
    static func show(_ v: JSON) -> String {
        let s = v.compact.replacingAll("\n", with: "\\n")
        guard s.count > 160 else { return s }
        return String(s.prefix(100)) + " … " + String(s.suffix(50))
    }
}

/// Variable name → value in the environment's order (diffs list variables as the exec had them).
struct EnvironmentMap: Sequence, Sendable {
    private var entries: [(String, String)] = []
    private var index: [String: Int] = [:]

    subscript(key: String) -> String? {
        get { index[key].map { entries[$0].1 } }
        set {
            if let i = index[key] {
                if let v = newValue { entries[i].1 = v }
            } else if let v = newValue {
                index[key] = entries.count
                entries.append((key, v))
            }
        }
    }

    func makeIterator() -> IndexingIterator<[(String, String)]> { entries.makeIterator() }
}
