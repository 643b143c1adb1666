import PodrigCore

/// kubectl's JSONPath templates (`-o jsonpath=…`, `wait --for=jsonpath=…`), the part scripts use:
/// literal text; `{.a.b}`, `{.items[*].metadata.name}`, `{.list[0]}`, `{.conditions[?(@.type=="Ready")].status}`;
/// string literals `{"\n"}` and `{'\t'}`; `{range .items[*]}…{end}`. Several results of one
/// expression are joined by spaces, strings print raw, other values as compact JSON, and a
/// missing key prints nothing (kubectl's allowMissingTemplateKeys, on by default).
struct JSONPathTemplate: Equatable {
    enum Step: Equatable {
        case key(String)
        case index(Int)
        case wildcard
        case filter(path: [Step], equals: String)
    }

    indirect enum Node: Equatable {
        case text(String)
        case path([Step])
        case range([Step], [Node])
    }

    var nodes: [Node]

    init(_ template: String) throws(PodrigError) {
        var i = template.startIndex
        nodes = try Self.parseNodes(template, &i, inRange: false)
    }

    static func parseNodes(_ t: String, _ i: inout String.Index, inRange: Bool) throws(PodrigError) -> [Node] {
        var out: [Node] = []
        var literal = ""
        while i < t.endIndex {
            let c = t[i]
            guard c == "{" else { literal.append(c); i = t.index(after: i); continue }
            guard let close = closingBrace(t, from: i) else { throw PodrigError.invalid("jsonpath: unclosed { in \"\(t)\"") }
            let inner = String(t[t.index(after: i)..<close]).trimmed
            i = t.index(after: close)
            if !literal.isEmpty { out.append(.text(literal)); literal = "" }
            if inner == "end" {
                guard inRange else { throw PodrigError.invalid("jsonpath: {end} without {range}") }
                return out
            }
            if inner.hasPrefix("range ") {
                let steps = try parsePath(String(inner.dropFirst("range ".count)).trimmed)
                let body = try parseNodes(t, &i, inRange: true)
                out.append(.range(steps, body))
                continue
            }
            if let q = inner.first, q == "\"" || q == "'", inner.count >= 2, inner.last == q {
                out.append(.text(unescape(String(inner.dropFirst().dropLast()))))
                continue
            }
            out.append(.path(try parsePath(inner)))
        }
        if inRange { throw PodrigError.invalid("jsonpath: {range} without {end}") }
        if !literal.isEmpty { out.append(.text(literal)) }
        return out
    }

    /// The `}` that closes the `{` at `open`, skipping quoted strings (a filter's value may hold braces).
    static func closingBrace(_ t: String, from open: String.Index) -> String.Index? {
        var i = t.index(after: open)
        var quote: Character?
        while i < t.endIndex {
            let c = t[i]
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == "}" { return i }
            i = t.index(after: i)
        }
        return nil
    }

    static func unescape(_ s: String) -> String {
        var out = "", escaped = false
        for c in s {
            if escaped {
                switch c { case "n": out.append("\n"); case "t": out.append("\t"); case "r": out.append("\r"); default: out.append(c) }
                escaped = false
            } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }

    /// `.a.b[0][*]`, `$.a`, `@.a` (inside a filter), `.a[?(@.k=="v")].b`.
    static func parsePath(_ text: String) throws(PodrigError) -> [Step] {
        var s = Substring(text)
        if s.hasPrefix("$") || s.hasPrefix("@") { s = s.dropFirst() }
        guard s.isEmpty || s.hasPrefix(".") || s.hasPrefix("[") else {
            throw PodrigError.invalid("jsonpath: \"\(text)\" must start with '.', like .status.phase")
        }
        var steps: [Step] = []
        while !s.isEmpty {
            if s.hasPrefix(".") {
                s = s.dropFirst()
                let key = s.prefix { $0 != "." && $0 != "[" }
                guard !key.isEmpty else {
                    if s.isEmpty && steps.isEmpty { break }  // "." alone: the document
                    throw PodrigError.invalid("jsonpath: \"\(text)\" has an empty field name")
                }
                steps.append(key == "*" ? .wildcard : .key(String(key)))
                s = s.dropFirst(key.count)
            } else if s.hasPrefix("[?(") {
                guard let end = s.firstRange(of: ")]") else { throw PodrigError.invalid("jsonpath: \"\(text)\": a filter is [?(@.key==\"value\")]") }
                let expr = s[s.index(s.startIndex, offsetBy: 3)..<end.lowerBound]
                guard let eq = expr.firstRange(of: "==") else { throw PodrigError.invalid("jsonpath: \"\(text)\": only == filters are supported") }
                let lhs = String(expr[..<eq.lowerBound]).trimmed
                var rhs = String(expr[eq.upperBound...]).trimmed
                if let q = rhs.first, q == "\"" || q == "'", rhs.count >= 2, rhs.last == q { rhs = String(rhs.dropFirst().dropLast()) }
                guard lhs.hasPrefix("@") else { throw PodrigError.invalid("jsonpath: \"\(text)\": a filter compares @.key") }
                steps.append(.filter(path: try parsePath(lhs), equals: rhs))
                s = s[end.upperBound...]
            } else if s.hasPrefix("[") {
                guard let close = s.firstIndex(of: "]") else { throw PodrigError.invalid("jsonpath: \"\(text)\": unclosed [") }
                let inside = s[s.index(after: s.startIndex)..<close]
                if inside == "*" { steps.append(.wildcard) } else if let n = Int(inside), n >= 0 { steps.append(.index(n)) } else {
                    throw PodrigError.invalid("jsonpath: \"\(text)\": an index is [n], [*] or [?(@.key==\"value\")]")
                }
                s = s[s.index(after: close)...]
            } else {
                throw PodrigError.invalid("jsonpath: \"\(text)\" is not a path podrig reads")
            }
        }
        return steps
    }

    /// Every value the path reaches from `doc` (several after a wildcard or filter).
    static func evaluate(_ steps: [Step], in doc: JSON) -> [JSON] {
        var current: [JSON] = [doc]
        for step in steps {
            var next: [JSON] = []
            for v in current {
                switch step {
                case .key(let k): if let x = v[k], x != .null { next.append(x) }
                case .index(let n): if let a = v.array, n < a.count { next.append(a[n]) }
                case .wildcard:
                    if let a = v.array { next += a } else if let o = v.object { next += o.entries.map(\.value) }
                case .filter(let path, let value):
                    for e in v.array ?? [] where evaluate(path, in: e).contains(where: { text($0) == value }) { next.append(e) }
                }
            }
            current = next
        }
        return current
    }

    static func text(_ v: JSON) -> String { v.string ?? v.compact }

    func render(_ doc: JSON) -> String { Self.render(nodes, doc) }

    static func render(_ nodes: [Node], _ doc: JSON) -> String {
        var out = ""
        for n in nodes {
            switch n {
            case .text(let t): out += t
            case .path(let steps): out += evaluate(steps, in: doc).map(text).joined(separator: " ")
            case .range(let steps, let body): for v in evaluate(steps, in: doc) { out += render(body, v) }
            }
        }
        return out
    }
}
