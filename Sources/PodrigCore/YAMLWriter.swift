/// Block-style YAML for people (`-o yaml`), from a JSON value; key order is kept.
public enum YAMLWriter {
    public static func write(_ value: JSON) -> String {
        var out = ""
        switch value {
        case .object(let o) where !o.isEmpty: writeObject(o, indent: 0, to: &out)
        case .array(let a) where !a.isEmpty: writeArray(a, indent: 0, to: &out)
        default: out += scalar(value) + "\n"
        }
        return out
    }

    private static func pad(_ n: Int) -> String { String(repeating: " ", count: n) }

    private static func writeObject(_ o: JSONObject, indent: Int, to out: inout String) {
        for (k, v) in o {
            out += pad(indent) + keyColon(k, indent: indent)
            writeValue(v, indent: indent, to: &out)
        }
    }

    private static func writeArray(_ a: [JSON], indent: Int, to out: inout String) {
        for v in a {
            out += pad(indent) + "-"
            switch v {
            case .object(let o) where !o.isEmpty:
                // First key on the dash line, the rest aligned under it.
                var first = true
                for (k, item) in o {
                    out += (first ? " " : pad(indent + 2)) + keyColon(k, indent: indent + 2)
                    writeValue(item, indent: indent + 2, to: &out)
                    first = false
                }
            case .array(let inner) where !inner.isEmpty:
                out += "\n"
                writeArray(inner, indent: indent + 2, to: &out)
            default:
                out += " " + scalar(v) + "\n"
            }
        }
    }

    private static func writeValue(_ v: JSON, indent: Int, to out: inout String) {
        switch v {
        case .object(let o) where !o.isEmpty:
            out += "\n"
            writeObject(o, indent: indent + 2, to: &out)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            writeArray(a, indent: indent, to: &out)
        case .string(let s) where s.contains("\n") && blockSafe(s):
            out += " |" + (s.hasSuffix("\n") ? "" : "-") + "\n"
            for line in s.split(separator: "\n", omittingEmptySubsequences: false).dropLast(s.hasSuffix("\n") ? 1 : 0) {
                out += (line.isEmpty ? "" : pad(indent + 2) + line) + "\n"
            }
        default:
            out += " " + scalar(v) + "\n"
        }
    }

    /// Whether a literal block (`|`) reads back as exactly `s` (checked on bytes: a combining mark
    /// after a blank makes one Character and would hide it): no leading blank (the block's
    /// indentation would swallow it), at most one trailing newline, no other control characters,
    /// no whitespace-only lines. Anything else is written quoted.
    static func blockSafe(_ s: String) -> Bool {
        let b = Array(s.utf8)
        if b.first == 0x20 || b.first == 0x0A || b.suffix(2) == [0x0A, 0x0A] { return false }
        for u in s.unicodeScalars where (u.value < 0x20 && u != "\n") || special(u) { return false }
        for line in b.split(separator: 0x0A) where line.allSatisfy({ $0 == 0x20 }) { return false }
        return true
    }

    /// `key:`, or `? key` + newline + `:` for a key too long to be implicit (YAML caps those at
    /// 1024 characters).
    private static func keyColon(_ k: String, indent: Int) -> String {
        let text = key(k)
        return text.utf8.count > 1000 ? "? " + text + "\n" + pad(indent) + ":" : text + ":"
    }

    private static func key(_ k: String) -> String { needsQuotes(k) ? quoted(k) : k }

    private static func scalar(_ v: JSON) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return needsQuotes(s) ? quoted(s) : s
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// Quote anything YAML would read as something other than this string.
    static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"]
        if reserved.contains(s.lowercased()) { return true }
        if Double(s) != nil || Int(s) != nil { return true }
        // Whatever the reader would resolve to a non-string (0o17, 0x1F, 017, 1_000, .5 …).
        if case .string = YAMLReader.resolve(s, plain: true, tag: nil) {} else { return true }
        // Scalars, not Characters: a combining mark would merge with the indicator before it.
        if let f = s.unicodeScalars.first, "-?:,[]{}#&*!|>'\"%@` ".unicodeScalars.contains(f) { return true }
        if let l = s.unicodeScalars.last, l == " " || l == ":" { return true }
        let b = Array(s.utf8)
        for i in b.indices.dropLast() where (b[i] == 0x3A && b[i + 1] == 0x20) || (b[i] == 0x20 && b[i + 1] == 0x23) { return true }
        if b.contains(0x09) { return true }
        for u in s.unicodeScalars where u.value < 0x20 || special(u) { return true }
        return false
    }

    /// YAML breaks lines at NEL, LS and PS and rejects C1 controls even inside quotes.
    static func special(_ u: Unicode.Scalar) -> Bool {
        (u.value >= 0x7f && u.value <= 0x9f) || u.value == 0x2028 || u.value == 0x2029 || u.value == 0xfeff
    }

    private static func quoted(_ s: String) -> String {
        var out = ""
        JSON.writeString(s, to: &out)
        guard out.unicodeScalars.contains(where: special) else { return out }
        var escaped = ""
        for u in out.unicodeScalars {
            if special(u) {
                let hex = String(u.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                escaped.unicodeScalars.append(u)
            }
        }
        return escaped
    }
}
