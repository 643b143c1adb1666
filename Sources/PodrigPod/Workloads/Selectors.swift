import PodrigCore

/// kubectl's `-l`: equality (`a=b`, `a==b`, `a!=b`), set (`a in (x,y)`, `a notin (x)`) and
/// existence (`a`, `!a`) requirements, comma-separated, all of which must hold.
public struct LabelSelector: Sendable {
    enum Op: Sendable { case eq, ne, `in`, notIn, exists, notExists }
    struct Requirement: Sendable {
        var key: String
        var op: Op
        var values: [String]
    }
    var requirements: [Requirement] = []

    public static func parse(_ text: String) throws(PodrigError) -> LabelSelector {
        var sel = LabelSelector()
        // Split on commas outside parentheses.
        var parts: [String] = [], cur = "", depth = 0
        for ch in text {
            if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 { parts.append(cur); cur = "" } else { cur.append(ch) }
        }
        parts.append(cur)
        for raw in parts {
            let p = raw.trimmed
            if p.isEmpty { continue }
            func bad() -> PodrigError { PodrigError(.usage, "-l \(text): \"\(p)\" is not a label requirement (key=value, key!=value, key in (a,b), key notin (a), key, !key)") }
            let words = p.split(separator: " ", maxSplits: 1).map(String.init)
            if words.count == 2, let rest = Optional(words[1].trimmed), rest.hasPrefix("in ") || rest.hasPrefix("notin ") || rest.hasPrefix("in(") || rest.hasPrefix("notin(") {
                let op: Op = rest.hasPrefix("in") ? .in : .notIn
                let list = rest.drop { $0 != "(" }
                guard list.hasPrefix("("), list.hasSuffix(")") else { throw bad() }
                let values = list.dropFirst().dropLast().split(separator: ",").map { String($0).trimmed }
                sel.requirements.append(Requirement(key: words[0], op: op, values: values))
                continue
            }
            if let r = p.firstRange(of: "!=") {
                sel.requirements.append(Requirement(key: String(p[..<r.lowerBound]).trimmed, op: .ne, values: [String(p[r.upperBound...]).trimmed]))
            } else if let r = p.firstRange(of: "==") ?? p.firstRange(of: "=") {
                sel.requirements.append(Requirement(key: String(p[..<r.lowerBound]).trimmed, op: .eq, values: [String(p[r.upperBound...]).trimmed]))
            } else if p.hasPrefix("!") {
                sel.requirements.append(Requirement(key: String(p.dropFirst()).trimmed, op: .notExists, values: []))
            } else {
                sel.requirements.append(Requirement(key: p, op: .exists, values: []))
            }
            guard let k = sel.requirements.last?.key, !k.isEmpty, !k.contains(" ") else { throw bad() }
        }
        return sel
    }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            let v = labels[r.key]
            switch r.op {
            case .eq: return v == r.values[0]
            case .ne: return v != r.values[0]
            case .in: return v.map { r.values.contains($0) } ?? false
            case .notIn: return v.map { !r.values.contains($0) } ?? true
            case .exists: return v != nil
            case .notExists: return v == nil
            }
        }
    }
}

/// kubectl's `--field-selector` for pods: metadata.name, metadata.namespace, spec.nodeName,
/// spec.restartPolicy, spec.serviceAccountName, status.phase, status.podIP with =, == or !=.
public struct FieldSelector: Sendable {
    var requirements: [(field: String, equal: Bool, value: String)] = []
    public static let fields: Set<String> = ["metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
                                             "spec.serviceAccountName", "status.phase", "status.podIP"]

    public static func parse(_ text: String) throws(PodrigError) -> FieldSelector {
        var sel = FieldSelector()
        for raw in text.split(separator: ",") {
            let p = String(raw).trimmed
            let (r, equal): (Range<String.Index>?, Bool) = p.firstRange(of: "!=").map { ($0, false) } ?? ((p.firstRange(of: "==") ?? p.firstRange(of: "=")), true)
            guard let r else { throw PodrigError(.usage, "--field-selector \(text): \"\(p)\" is not field=value or field!=value") }
            let field = String(p[..<r.lowerBound]).trimmed
            guard fields.contains(field) else {
                throw PodrigError(.usage, "--field-selector: \"\(field)\" is not a field selector for pods (\(fields.sorted().joined(separator: ", ")))")
            }
            sel.requirements.append((field, equal, String(p[r.upperBound...]).trimmed))
        }
        return sel
    }

    public func matches(_ value: (String) -> String) -> Bool {
        requirements.allSatisfy { (value($0.field) == $0.value) == $0.equal }
    }
}
