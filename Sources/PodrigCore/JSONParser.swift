/// What of a document `JSONParser.parse(bytes:pick:)` builds. Everything else is checked just as
/// strictly (same grammar, same errors) but not built: `podrig pods` needs 8 of a record's fields.
public indirect enum JSONPick: Sendable {
    case all
    /// In an object, only these keys, each by its own pick (others are left out); in an array,
    /// each element by this pick; any other value whole.
    case keys([(String, JSONPick)])
}

/// A strict RFC 8259 parser producing `JSON`. Errors name the line and column; nesting is
/// bounded so hostile input cannot exhaust the stack.
public struct JSONParser {
    public static let maxDepth = 256

    public static func parse(_ text: String) throws(PodrigError) -> JSON {
        var text = text
        let result: Result<JSON, PodrigError> = text.withUTF8 { buf in
            var p = JSONParser(buf)
            do throws(PodrigError) { return .success(try p.parseDocument()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// `pick`: the parts to build (see JSONPick); the document is accepted or refused exactly as
    /// with `.all`.
    public static func parse(bytes: [UInt8], pick: JSONPick = .all) throws(PodrigError) -> JSON {
        let result: Result<JSON, PodrigError> = bytes.withUnsafeBufferPointer { buf in
            var p = JSONParser(buf)
            do throws(PodrigError) { return .success(try p.parseDocument(pick)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private let s: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    private init(_ s: UnsafeBufferPointer<UInt8>) { self.s = s }

    private mutating func parseDocument(_ pick: JSONPick = .all) throws(PodrigError) -> JSON {
        skipSpace()
        let v = try value(pick)
        skipSpace()
        if i != s.count { throw fail("unexpected text after the JSON value") }
        return v
    }

    private func position() -> (line: Int, column: Int) {
        var line = 1, col = 1
        for k in 0..<min(i, s.count) {
            if s[k] == 0x0A { line += 1; col = 1 } else { col += 1 }
        }
        return (line, col)
    }

    private func fail(_ what: String) -> PodrigError {
        let (line, col) = position()
        return PodrigError(.invalidInput, "invalid JSON at line \(line), column \(col): \(what)")
    }

    private mutating func skipSpace() {
        while i < s.count, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x0D || s[i] == 0x09 { i += 1 }
    }

    /// `pick` nil: checked only, not built (.null stands in).
    private mutating func value(_ pick: JSONPick?) throws(PodrigError) -> JSON {
        guard i < s.count else { throw fail("unexpected end of input") }
        switch s[i] {
        case UInt8(ascii: "{"): return try objectValue(pick)
        case UInt8(ascii: "["): return try arrayValue(pick)
        case UInt8(ascii: "\""): return .string(try stringValue(build: pick != nil))
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try numberValue(build: pick != nil)
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(s[i])))'")
        }
    }

    private mutating func literal(_ word: StaticString) throws(PodrigError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= s.count else { throw fail("unexpected end of input") }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        for k in 0..<n where s[i + k] != w[k] { throw fail("invalid literal") }
        i += n
    }

    private mutating func enter() throws(PodrigError) {
        depth += 1
        if depth > JSONParser.maxDepth { throw fail("nested deeper than \(JSONParser.maxDepth) levels") }
    }

    private mutating func objectValue(_ pick: JSONPick?) throws(PodrigError) -> JSON {
        try enter()
        i += 1
        var obj = JSONObject()
        skipSpace()
        if i < s.count, s[i] == UInt8(ascii: "}") {
            i += 1; depth -= 1
            return .object(obj)
        }
        while true {
            skipSpace()
            guard i < s.count, s[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try stringValue()
            skipSpace()
            guard i < s.count, s[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
            i += 1
            skipSpace()
            var child = pick
            if case .keys(let keys)? = pick { child = keys.first { $0.0 == key }?.1 }
            let v = try value(child)
            if child != nil { obj[key] = v }  // a repeated key: the last one wins, as in Go's encoding/json
            skipSpace()
            guard i < s.count else { throw fail("unexpected end of input in an object") }
            if s[i] == UInt8(ascii: ",") { i += 1; continue }
            if s[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail("expected ',' or '}' in an object")
        }
        depth -= 1
        return .object(obj)
    }

    private mutating func arrayValue(_ pick: JSONPick?) throws(PodrigError) -> JSON {
        try enter()
        i += 1
        var arr: [JSON] = []
        skipSpace()
        if i < s.count, s[i] == UInt8(ascii: "]") {
            i += 1; depth -= 1
            return .array(arr)
        }
        while true {
            skipSpace()
            let v = try value(pick)
            if pick != nil { arr.append(v) }
            skipSpace()
            guard i < s.count else { throw fail("unexpected end of input in an array") }
            if s[i] == UInt8(ascii: ",") { i += 1; continue }
            if s[i] == UInt8(ascii: "]") { i += 1; break }
            throw fail("expected ',' or ']' in an array")
        }
        depth -= 1
        return .array(arr)
    }

    private mutating func numberValue(build: Bool = true) throws(PodrigError) -> JSON {
        let start = i
        if s[i] == UInt8(ascii: "-") { i += 1 }
        guard i < s.count, isDigit(s[i]) else { throw fail("invalid number") }
        if s[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < s.count, isDigit(s[i]) { i += 1 }
        }
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            guard i < s.count, isDigit(s[i]) else { throw fail("invalid number") }
            while i < s.count, isDigit(s[i]) { i += 1 }
        }
        if i < s.count, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") {
            i += 1
            if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") { i += 1 }
            guard i < s.count, isDigit(s[i]) else { throw fail("invalid number") }
            while i < s.count, isDigit(s[i]) { i += 1 }
        }
        return build ? .number(String(decoding: UnsafeBufferPointer(rebasing: s[start..<i]), as: UTF8.self)) : .null
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private mutating func hex4() throws(PodrigError) -> UInt32 {
        guard i + 4 <= s.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = s[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    /// `build` false: checked only, "" returned (non-ASCII text is still validated).
    private mutating func stringValue(build: Bool = true) throws(PodrigError) -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes. ASCII needs no UTF-8 validation (the generic validating
        // initializer was a quarter of `podrig pods`).
        var ascii = true
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: "\"") {
                if ascii && !build { i += 1; return "" }
                let bytes = UnsafeBufferPointer(rebasing: s[start..<i])
                let str = ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
                guard let str else { throw fail("invalid UTF-8 in a string") }
                i += 1
                return str
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in a string") }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: s[start..<i]))
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard let str = String(validating: bytes, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return str
            }
            if c < 0x20 { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") {
                bytes.append(c); i += 1; continue
            }
            i += 1
            guard i < s.count else { break }
            let e = s[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800, code < 0xDC00 {
                    // A high surrogate must be followed by a low one.
                    guard i + 6 <= s.count, s[i] == UInt8(ascii: "\\"), s[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00, low < 0xE000 else { throw fail("unpaired surrogate in \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if code >= 0xDC00, code < 0xE000 {
                    throw fail("unpaired surrogate in \\u escape")
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        throw fail("unterminated string")
    }
}
