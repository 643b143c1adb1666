import PodrigCore

/// A v1 ConfigMap or Secret: its keys and their bytes (Secret `data` decoded, `stringData` merged
/// over it as the apiserver does).
public struct ConfigObject: Sendable {
    public enum Kind: String, Sendable { case configMap = "ConfigMap", secret = "Secret" }
    public var kind: Kind
    public var name: String
    public var namespace: String
    public var data: [String: [UInt8]]
    /// The document as given (stored so `down -f` and `get` know what `up` made).
    public var raw: JSON
}

/// The ConfigMaps and Secrets a pod may refer to, by namespace and name.
public struct ConfigData: Sendable {
    public var objects: [String: ConfigObject] = [:]
    public init() {}

    static func key(_ kind: ConfigObject.Kind, _ namespace: String, _ name: String) -> String { "\(kind.rawValue)/\(namespace)/\(name)" }

    public mutating func add(_ o: ConfigObject) { objects[ConfigData.key(o.kind, o.namespace, o.name)] = o }
    public func find(_ kind: ConfigObject.Kind, _ namespace: String, _ name: String) -> ConfigObject? {
        objects[ConfigData.key(kind, namespace, name)]
    }
    public var isEmpty: Bool { objects.isEmpty }
}

public enum ConfigObjectParser {
    /// Valid key of a ConfigMap/Secret (apimachinery's IsConfigMapKey): [-._a-zA-Z0-9]+, ≤ 253, not "." or "..".
    static func checkKey(_ k: String, path: String) throws(PodrigError) {
        let ok = !k.isEmpty && k.utf8.count <= 253 && k != "." && k != ".." && k.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E || c == 0x5F
        }
        if !ok { throw PodrigError.invalid("\(path): \"\(k)\" is not a valid key (letters, digits, '-', '_' or '.')") }
    }

    public static func parse(_ json: JSON) throws(PodrigError) -> ConfigObject {
        var r = ConfigReader(json, path: "")
        let kindName = try r.string("kind")
        guard let kind = kindName.flatMap(ConfigObject.Kind.init(rawValue:)) else { throw PodrigError.invalid("kind: expected ConfigMap or Secret") }
        guard try r.string("apiVersion") == "v1" else { throw PodrigError.invalid("apiVersion: expected v1 for a \(kind.rawValue)") }
        var m = ConfigReader(.object(try r.object("metadata") ?? JSONObject()), path: "metadata")
        guard let name = try m.string("name") else { throw PodrigError.invalid("metadata.name: required") }
        try Validate.dns1123Subdomain(name, what: "metadata.name")
        let namespace = try m.string("namespace") ?? "default"
        try Validate.dns1123Label(namespace, what: "metadata.namespace")
        m.ignoreRest()
        var data: [String: [UInt8]] = [:]
        _ = r.take("immutable")
        switch kind {
        case .configMap:
            for (k, v) in try r.stringMap("data") ?? [:] {
                try checkKey(k, path: "data")
                data[k] = Array(v.utf8)
            }
            for (k, v) in try r.stringMap("binaryData") ?? [:] {
                try checkKey(k, path: "binaryData")
                guard data[k] == nil else { throw PodrigError.invalid("binaryData.\(k): also in data") }
                guard let bytes = StrictBase64.decode(v) else { throw PodrigError.invalid("binaryData.\(k): not valid base64") }
                data[k] = bytes
            }
        case .secret:
            _ = try r.string("type")
            for (k, v) in try r.stringMap("data") ?? [:] {
                try checkKey(k, path: "data")
                guard let bytes = StrictBase64.decode(v) else { throw PodrigError.invalid("data.\(k): not valid base64 (use stringData for plain text)") }
                data[k] = bytes
            }
            for (k, v) in try r.stringMap("stringData") ?? [:] {
                try checkKey(k, path: "stringData")
                data[k] = Array(v.utf8)
            }
        }
        try r.finish()
        var raw = json
        raw["metadata"]?["namespace"] = .string(namespace)
        return ConfigObject(kind: kind, name: name, namespace: namespace, data: data, raw: raw)
    }
}

/// base64.StdEncoding as Go's encoding/json decodes []byte: padded, '\r' and '\n' ignored,
/// anything else outside the alphabet (or bad padding) is an error.
public enum StrictBase64 {
    public static func decode(_ text: String) -> [UInt8]? {
        var vals: [UInt8] = []
        var pad = 0
        for c in text.utf8 {
            if c == 0x0A || c == 0x0D { continue }
            if c == UInt8(ascii: "=") { pad += 1; continue }
            if pad > 0 { return nil }
            let v: UInt8
            switch c {
            case 0x41...0x5A: v = c - 0x41
            case 0x61...0x7A: v = c - 0x61 + 26
            case 0x30...0x39: v = c - 0x30 + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            default: return nil
            }
            vals.append(v)
        }
        guard (vals.count + pad) % 4 == 0, pad <= 2, !(pad > 0 && (vals.count % 4) + pad != 4) else { return nil }
        if vals.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(vals.count * 3 / 4)
        var i = 0
        while i < vals.count {
            let n = min(4, vals.count - i)
            var acc: UInt32 = 0
            for j in 0..<4 { acc = acc << 6 | UInt32(j < n ? vals[i + j] : 0) }
            out.append(UInt8(acc >> 16 & 0xFF))
            if n > 2 { out.append(UInt8(acc >> 8 & 0xFF)) }
            if n > 3 { out.append(UInt8(acc & 0xFF)) }
            i += 4
        }
        return out
    }
}
