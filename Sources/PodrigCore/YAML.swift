import Yams

/// Reading config files that may be JSON or YAML (crictl accepts both; Pod manifests are YAML).
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
        do {
            var out: [JSON] = []
            for node in try Yams.compose_all(yaml: text) {
                let value = try convert(node, path: "")
                if !value.isNull { out.append(value) }
            }
            return out
        } catch let e as PodrigError {
            throw e.context(source)
        } catch {
            throw PodrigError.invalid("\(source): invalid YAML: \(String(describing: error).split(separator: "\n").joined(separator: " "))")
        }
    }

    private static func convert(_ node: Node, path: String) throws(PodrigError) -> JSON {
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar, tag: node.tag.rawValue)
        case .sequence(let seq):
            var items: [JSON] = []
            for (k, item) in seq.enumerated() { items.append(try convert(item, path: "\(path)[\(k)]")) }
            return .array(items)
        case .mapping(let map):
            var obj = JSONObject()
            for (key, value) in map {
                guard case .scalar(let k) = key else {
                    throw PodrigError.invalid("\(path.isEmpty ? "top level" : path): mapping keys must be plain scalars")
                }
                if k.string == "<<" {
                    throw PodrigError.invalid("\(path.isEmpty ? "top level" : path): YAML merge keys (<<) are not supported")
                }
                let childPath = path.isEmpty ? k.string : "\(path).\(k.string)"
                obj[k.string] = try convert(value, path: childPath)
            }
            return .object(obj)
        case .alias:
            throw PodrigError.invalid("\(path.isEmpty ? "top level" : path): YAML aliases are not supported")
        }
    }

    private static func scalarValue(_ scalar: Node.Scalar, tag: String) -> JSON {
        let text = scalar.string
        // Quoted scalars are always strings.
        if scalar.style != .plain && scalar.style != .any { return .string(text) }
        switch Tag.Name(rawValue: tag) {
        case .null: return .null
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "on": return .bool(true)
            default: return .bool(false)
            }
        case .int:
            let cleaned = text.filter { $0 != "_" }
            if let v = Int(cleaned) { return .int(v) }
            if cleaned.hasPrefix("0x"), let v = Int(cleaned.dropFirst(2), radix: 16) { return .int(v) }
            if cleaned.hasPrefix("0o"), let v = Int(cleaned.dropFirst(2), radix: 8) { return .int(v) }
            return .string(text)
        case .float:
            if let d = Double(text.filter { $0 != "_" }), d.isFinite {
                return .number(text.filter { $0 != "_" })
            }
            return .string(text)
        default:
            return .string(text)
        }
    }
}
