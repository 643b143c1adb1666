import CYAML

/// Reading config files that may be JSON or YAML (crictl accepts both; Pod manifests are YAML).
/// YAML goes through libyaml's event parser and resolves plain scalars as YAML 1.1 does (the
/// way Kubernetes' sigs.k8s.io/yaml reads them: yes/no/on/off are booleans).
public enum ConfigText {
    /// Parses one document. JSON text takes the fast strict parser; anything else goes to YAML.
    public static func parse(_ text: String, source: String) throws(PodrigError) -> JSON {
        let docs = try parseAll(text, source: source)
        guard let first = docs.first else { throw PodrigError.invalid("\(source): the file is empty") }
        if docs.count > 1 { throw PodrigError.invalid("\(source): expected one document, found \(docs.count)") }
        return first
    }

    /// Parses every document of a YAML stream (`---` separated); empty documents are skipped.
    public static func parseAll(_ text: String, source: String) throws(PodrigError) -> [JSON] {
        if text.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") {
            do {
                return [try JSONParser.parse(text)]
            } catch {
                throw error.context(source)
            }
        }
        var reader = YAMLReader(text)
        do throws(PodrigError) {
            return try reader.documents()
        } catch {
            throw error.context(source)
        }
    }
}

/// Builds JSON values from libyaml events. Anchors and aliases are resolved by copy; merge keys
/// (`<<`) are honoured.
struct YAMLReader {
    static let maxDepth = 256
    private let bytes: [UInt8]
    private var anchors: [String: JSON] = [:]

    init(_ text: String) { bytes = Array(text.utf8) }

    private enum Frame {
        case sequence([JSON], anchor: String?)
        case mapping(JSONObject, pendingKey: String?, anchor: String?, explicitKeys: Set<String>)
    }

    mutating func documents() throws(PodrigError) -> [JSON] {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw PodrigError(.internalError, "libyaml: out of memory") }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { (buf) throws(PodrigError) -> [JSON] in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            return try run(&parser)
        }
    }

    private func failure(_ parser: inout yaml_parser_t) -> PodrigError {
        let problem = parser.problem.map { String(cString: $0) } ?? "parse error"
        let mark = parser.problem_mark
        var msg = "invalid YAML at line \(mark.line + 1), column \(mark.column + 1): \(problem)"
        if let ctx = parser.context { msg += " (\(String(cString: ctx)))" }
        return PodrigError.invalid(msg)
    }

    private mutating func run(_ parser: inout yaml_parser_t) throws(PodrigError) -> [JSON] {
        var docs: [JSON] = []
        var stack: [Frame] = []
        var docValue: JSON?
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { throw failure(&parser) }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return docs
            case YAML_DOCUMENT_START_EVENT:
                docValue = nil
                anchors = [:]
            case YAML_DOCUMENT_END_EVENT:
                if let v = docValue, !v.isNull { docs.append(v) }
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                let tag = s.tag.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                let plain = s.plain_implicit == 1 && s.style == YAML_PLAIN_SCALAR_STYLE
                let value = YAMLReader.resolve(text, plain: plain, tag: tag)
                if let a = s.anchor { anchors[String(cString: UnsafeRawPointer(a).assumingMemoryBound(to: CChar.self))] = value }
                try add(value, to: &stack, doc: &docValue, line: line, isMergeKey: plain && text == "<<")
            case YAML_ALIAS_EVENT:
                let name = String(cString: UnsafeRawPointer(event.data.alias.anchor).assumingMemoryBound(to: CChar.self))
                guard let value = anchors[name] else {
                    throw PodrigError.invalid("invalid YAML at line \(line): unknown alias *\(name)")
                }
                try add(value, to: &stack, doc: &docValue, line: line, isMergeKey: false)
            case YAML_SEQUENCE_START_EVENT:
                if stack.count >= YAMLReader.maxDepth { throw PodrigError.invalid("YAML nested deeper than \(YAMLReader.maxDepth) levels") }
                let a = event.data.sequence_start.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                stack.append(.sequence([], anchor: a))
            case YAML_MAPPING_START_EVENT:
                if stack.count >= YAMLReader.maxDepth { throw PodrigError.invalid("YAML nested deeper than \(YAMLReader.maxDepth) levels") }
                let a = event.data.mapping_start.anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                stack.append(.mapping(JSONObject(), pendingKey: nil, anchor: a, explicitKeys: []))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let top = stack.popLast() else { break }
                let value: JSON
                let anchor: String?
                switch top {
                case .sequence(let items, let a): value = .array(items); anchor = a
                case .mapping(let o, _, let a, _): value = .object(o); anchor = a
                }
                if let anchor { anchors[anchor] = value }
                try add(value, to: &stack, doc: &docValue, line: line, isMergeKey: false)
            default:
                break
            }
        }
    }

    private static let mergeMarker = "\u{0}<<merge>>"

    private func add(_ value: JSON, to stack: inout [Frame], doc: inout JSON?, line: Int, isMergeKey: Bool) throws(PodrigError) {
        guard let top = stack.popLast() else {
            doc = value
            return
        }
        switch top {
        case .sequence(var items, let a):
            items.append(value)
            stack.append(.sequence(items, anchor: a))
        case .mapping(var o, let pending, let a, var explicit):
            if let key = pending {
                if key == YAMLReader.mergeMarker {
                    // `<<: *base` or `<<: [*a, *b]`: keys written in this mapping win.
                    let sources = value.array ?? [value]
                    for src in sources {
                        guard let so = src.object else {
                            throw PodrigError.invalid("invalid YAML at line \(line): a merge key (<<) needs a mapping")
                        }
                        for (k, v) in so where !explicit.contains(k) && o[k] == nil { o[k] = v }
                    }
                } else {
                    o[key] = value
                    explicit.insert(key)
                }
                stack.append(.mapping(o, pendingKey: nil, anchor: a, explicitKeys: explicit))
            } else {
                let key: String
                if isMergeKey {
                    key = YAMLReader.mergeMarker
                } else {
                    switch value {
                    case .string(let s): key = s
                    case .number(let n): key = n
                    case .bool(let b): key = b ? "true" : "false"
                    case .null: key = "null"
                    default: throw PodrigError.invalid("invalid YAML at line \(line): mapping keys must be scalars")
                    }
                }
                stack.append(.mapping(o, pendingKey: key, anchor: a, explicitKeys: explicit))
            }
        }
    }

    /// YAML 1.1 resolution of a scalar: plain scalars may be null, booleans or numbers;
    /// quoted and block scalars are always strings.
    static func resolve(_ text: String, plain: Bool, tag: String?) -> JSON {
        if let tag {
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:null": return .null
            case "tag:yaml.org,2002:bool": return resolve(text, plain: true, tag: nil)
            case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float":
                let v = resolve(text, plain: true, tag: nil)
                if case .number = v { return v }
                return .string(text)
            default: break
            }
        }
        guard plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y": return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N": return .bool(false)
        default: break
        }
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
            || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39) else { return .string(text) }
        let cleaned = text.filter { $0 != "_" }
        var body = Substring(cleaned)
        var negative = false
        if body.first == "-" || body.first == "+" { negative = body.first == "-"; body = body.dropFirst() }
        if body.hasPrefix("0x"), let v = Int(body.dropFirst(2), radix: 16) { return .int(negative ? -v : v) }
        if body.hasPrefix("0o"), let v = Int(body.dropFirst(2), radix: 8) { return .int(negative ? -v : v) }
        if body.count > 1, body.hasPrefix("0"), body.allSatisfy({ $0 >= "0" && $0 <= "7" }), let v = Int(body, radix: 8) {
            return .int(negative ? -v : v)  // YAML 1.1 octal
        }
        if body.allSatisfy({ $0.isASCII && $0.isNumber }), !body.isEmpty {
            // Keep the text (it may exceed Int); normalise a leading '+'.
            return .number((negative ? "-" : "") + String(body))
        }
        if let d = Double(cleaned), d.isFinite, cleaned.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            // JSON needs a digit before and after the point: 1. → 1.0, .5 → 0.5.
            var t = cleaned.hasPrefix("+") ? String(cleaned.dropFirst()) : cleaned
            if (try? JSONParser.parse(t)) == nil { t = String(d) }
            return .number(t)
        }
        return .string(text)
    }
}
