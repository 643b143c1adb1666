import PodrigCore

/// `podrig trace --redact KEY`: hides the values a user names before a trace is shown or shared.
/// KEY matches an environment variable, a `CNI_ARGS` key (`K8S_POD_NAME`), or a JSON object key
/// anywhere in stdin or the result (`token`, `dataDir`); each value found is then also replaced
/// wherever else it appears verbatim in the record (a plugin echoing a token on stderr).
public struct CNITraceRedaction: Sendable {
    public static let marker = "REDACTED"
    /// Shorter values are only replaced where their key names them: "1" is everywhere.
    static let minimumEcho = 4

    public var keys: Set<String>

    public init(keys: [String]) { self.keys = Set(keys) }

    public var isEmpty: Bool { keys.isEmpty }

    /// The record with every named value replaced by `REDACTED`.
    public func apply(_ record: JSON) -> JSON {
        guard !keys.isEmpty, case .object(var o) = record else { return record }
        var values: Set<String> = []
        if let env = o["env"]?.array {
            o["env"] = .array(env.map { e in e.string.map { .string(redactEnv($0, &values)) } ?? e })
        }
        for key in ["stdin", "stdout"] {
            guard let text = o[key]?.string, let json = try? JSONParser.parse(text) else { continue }
            let red = redactJSON(json, &values)
            if red != json { o[key] = .string(text.contains("\n") ? red.pretty : red.compact) }
        }
        let echoes = values.filter { $0.count >= CNITraceRedaction.minimumEcho && $0 != CNITraceRedaction.marker }
            .sorted { $0.count > $1.count }  // longest first: a value containing another goes whole
        guard !echoes.isEmpty else { return .object(o) }
        for key in ["stdin", "stdout", "stderr", "error", "path", "netns"] {
            guard let text = o[key]?.string else { continue }
            o[key] = .string(CNITraceRedaction.replace(text, echoes))
        }
        if let env = o["env"]?.array {
            o["env"] = .array(env.map { e in
                guard let s = e.string else { return e }
                // The name stays readable; only the value is searched.
                let kv = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return kv.count == 2 ? .string(String(kv[0]) + "=" + CNITraceRedaction.replace(String(kv[1]), echoes)) : e
            })
        }
        return .object(o)
    }

    func redactEnv(_ entry: String, _ values: inout Set<String>) -> String {
        let kv = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard kv.count == 2 else { return entry }
        let name = String(kv[0]), value = String(kv[1])
        if keys.contains(name) {
            values.insert(value)
            return name + "=" + CNITraceRedaction.marker
        }
        guard name == "CNI_ARGS" else { return entry }
        // CONVENTIONS.md "CNI_ARGS": K=V pairs separated by ';'.
        let pairs = value.split(separator: ";", omittingEmptySubsequences: false).map { pair -> String in
            let p = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard p.count == 2, keys.contains(String(p[0])) else { return String(pair) }
            values.insert(String(p[1]))
            return String(p[0]) + "=" + CNITraceRedaction.marker
        }
        return name + "=" + pairs.joined(separator: ";")
    }

    func redactJSON(_ v: JSON, _ values: inout Set<String>) -> JSON {
        switch v {
        case .object(let o):
            var out = JSONObject()
            for (k, x) in o {
                if keys.contains(k) {
                    collect(x, &values)
                    out[k] = .string(CNITraceRedaction.marker)
                } else {
                    out[k] = redactJSON(x, &values)
                }
            }
            return .object(out)
        case .array(let a):
            return .array(a.map { redactJSON($0, &values) })
        default:
            return v
        }
    }

    /// Every scalar under a redacted key, so its echoes elsewhere go too.
    func collect(_ v: JSON, _ values: inout Set<String>) {
        switch v {
        case .string(let s): values.insert(s)
        case .number(let n): values.insert(n)
        case .array(let a): for x in a { collect(x, &values) }
        case .object(let o): for (_, x) in o { collect(x, &values) }
        case .bool, .null: break
        }
    }

    static func replace(_ text: String, _ values: [String]) -> String {
        var t = text
        for v in values where t.contains(v) { t = t.replacingAll(v, with: marker) }
        return t
    }
}
