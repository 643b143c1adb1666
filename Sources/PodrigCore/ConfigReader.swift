/// Reads fields out of a JSON object one by one, naming the path in every error and reporting
/// fields nobody read (typos like `log_dir` must not be silently ignored).
public struct ConfigReader {
    private var object: JSONObject
    public let path: String
    private var seen: Set<String> = []
    private var ignoreUnknown = false

    public init(_ json: JSON, path: String) {
        self.object = json.object ?? JSONObject()
        self.path = path
    }

    private func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value of a field, marking it read. `null` counts as absent.
    public mutating func take(_ key: String) -> JSON? {
        seen.insert(key)
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    public mutating func string(_ key: String) throws(PodrigError) -> String? {
        guard let v = take(key) else { return nil }
        guard let s = v.string else { throw PodrigError.invalid("\(field(key)): expected a string, got \(v.kindName)") }
        return s
    }

    public mutating func int(_ key: String) throws(PodrigError) -> Int? {
        guard let v = take(key) else { return nil }
        if let i = v.int { return i }
        // YAML and humans sometimes quote numbers.
        if let s = v.string, let i = Int(s) { return i }
        throw PodrigError.invalid("\(field(key)): expected an integer, got \(v.compact)")
    }

    public mutating func bool(_ key: String) throws(PodrigError) -> Bool? {
        guard let v = take(key) else { return nil }
        guard let b = v.bool else { throw PodrigError.invalid("\(field(key)): expected true or false, got \(v.compact)") }
        return b
    }

    public mutating func object(_ key: String) throws(PodrigError) -> JSONObject? {
        guard let v = take(key) else { return nil }
        guard let o = v.object else { throw PodrigError.invalid("\(field(key)): expected an object, got \(v.kindName)") }
        return o
    }

    public mutating func array(_ key: String) throws(PodrigError) -> [JSON]? {
        guard let v = take(key) else { return nil }
        guard let a = v.array else { throw PodrigError.invalid("\(field(key)): expected a list, got \(v.kindName)") }
        return a
    }

    public mutating func strings(_ key: String) throws(PodrigError) -> [String]? {
        guard let a = try array(key) else { return nil }
        var out: [String] = []
        for (i, item) in a.enumerated() {
            guard let s = item.string else { throw PodrigError.invalid("\(field(key))[\(i)]: expected a string, got \(item.kindName)") }
            out.append(s)
        }
        return out
    }

    public mutating func stringMap(_ key: String) throws(PodrigError) -> [String: String]? {
        guard let o = try object(key) else { return nil }
        var out: [String: String] = [:]
        for (k, v) in o {
            if let s = v.string { out[k] = s; continue }
            if case .number(let n) = v { out[k] = n; continue }
            if let b = v.bool { out[k] = b ? "true" : "false"; continue }
            throw PodrigError.invalid("\(field(key)).\(k): expected a string, got \(v.kindName)")
        }
        return out
    }

    /// "TCP"/"UDP"/"SCTP" or their CRI numbers 0/1/2; absent means TCP.
    public mutating func protocolName(_ key: String) throws(PodrigError) -> String {
        guard let v = take(key) else { return "TCP" }
        if let n = v.int, (0...2).contains(n) { return ["TCP", "UDP", "SCTP"][n] }
        if let s = v.string, ["TCP", "UDP", "SCTP"].contains(s.uppercased()) { return s.uppercased() }
        throw PodrigError.invalid("\(field(key)): unknown protocol \(v.compact) (expected TCP, UDP or SCTP)")
    }

    /// Keys present but never read.
    public var unknownKeys: [String] { object.keys.filter { !seen.contains($0) } }

    /// Fails on unread keys, naming them.
    public func finish() throws(PodrigError) {
        if ignoreUnknown { return }
        let unknown = unknownKeys
        if !unknown.isEmpty {
            let names = unknown.map { field($0) }.joined(separator: ", ")
            throw PodrigError.invalid("unknown field\(unknown.count > 1 ? "s" : "") \(names)")
        }
    }

    /// Accepts whatever else is there (sections podrig does not act on).
    public mutating func ignoreRest() { ignoreUnknown = true }
}
