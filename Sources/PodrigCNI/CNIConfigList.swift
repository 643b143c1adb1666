import PodrigCore

/// A network configuration list (a .conflist, or a .conf upgraded to one). Plugin configs stay
/// generic JSON so every plugin-specific key reaches the plugin untouched.
public struct CNIConfigList: Sendable {
    public var name: String
    public var cniVersion: String
    public var disableCheck: Bool
    public var disableGC: Bool
    /// Each plugin's own object, exactly as written.
    public var plugins: [JSONObject]
    /// The list's bytes as libcni caches them (the file for a .conflist; the synthesized list for a .conf).
    public var bytes: [UInt8]
    /// Where it came from (a file path, "<embedded>", or "<cache>").
    public var source: String

    public var version: CNIVersion { CNIVersion(cniVersion) ?? .v010 }

    public func pluginType(_ index: Int) -> String { plugins[index]["type"]?.string ?? "?" }

    /// Parses a list from JSON text. `singlePlugin` treats the text as a .conf and upgrades it.
    public static func parse(_ bytes: [UInt8], source: String, singlePlugin: Bool? = nil) throws(PodrigError) -> CNIConfigList {
        var json: JSON
        do { json = try JSONParser.parse(bytes: bytes) } catch { throw error.context(source) }
        guard case .object(let top) = json else { throw PodrigError.invalid("\(source): expected a JSON object, got \(json.kindName)") }
        let isConf = singlePlugin ?? (top["plugins"] == nil)
        var listBytes = bytes
        if isConf {
            // libcni's ConfListFromConf: {cniVersion, name, plugins:[conf]}.
            guard top["type"]?.string != nil else {
                throw PodrigError.invalid("\(source): a single-plugin config needs a \"type\" (or use a \"plugins\" list)")
            }
            var list = JSONObject()
            if let v = top["cniVersion"] { list["cniVersion"] = v }
            if let n = top["name"] { list["name"] = n }
            for key in ["disableCheck", "disableGC"] { if let v = top[key] { list[key] = v } }
            list["plugins"] = .array([json])
            json = .object(list)
            listBytes = Array(json.compact.utf8)
        }
        return try from(json, bytes: listBytes, source: source)
    }

    /// Validates a list object the way libcni does, naming the file and the field.
    public static func from(_ json: JSON, bytes: [UInt8], source: String) throws(PodrigError) -> CNIConfigList {
        guard case .object(let top) = json else { throw PodrigError.invalid("\(source): expected a JSON object") }
        guard let name = top["name"]?.string, !name.isEmpty else { throw PodrigError.invalid("\(source): \"name\" is required") }
        try validateName(name, source: source)
        let version = try pickVersion(top, source: source)
        guard let plugins = top["plugins"]?.array, !plugins.isEmpty else {
            throw PodrigError.invalid("\(source): \"plugins\" must be a non-empty list")
        }
        var objects: [JSONObject] = []
        for (i, p) in plugins.enumerated() {
            guard case .object(let o) = p else { throw PodrigError.invalid("\(source): plugins[\(i)]: expected an object, got \(p.kindName)") }
            guard let type = o["type"]?.string, !type.isEmpty else { throw PodrigError.invalid("\(source): plugins[\(i)]: \"type\" is required") }
            if type.contains("/") || type == "." || type == ".." {
                throw PodrigError.invalid("\(source): plugins[\(i)]: type \"\(type)\" must be a plain plugin name (no '/')")
            }
            if let caps = o["capabilities"], caps.object == nil {
                throw PodrigError.invalid("\(source): plugins[\(i)].capabilities: expected an object, got \(caps.kindName)")
            }
            objects.append(o)
        }
        return CNIConfigList(name: name, cniVersion: version, disableCheck: try flag(top, "disableCheck", source),
                             disableGC: try flag(top, "disableGC", source), plugins: objects, bytes: bytes, source: source)
    }

    /// libcni accepts `true` or the strings "true"/"false".
    static func flag(_ o: JSONObject, _ key: String, _ source: String) throws(PodrigError) -> Bool {
        guard let v = o[key], !v.isNull else { return false }
        if let b = v.bool { return b }
        if let s = v.string, s == "true" || s == "false" { return s == "true" }
        throw PodrigError.invalid("\(source): \"\(key)\" must be true or false, got \(v.compact)")
    }

    /// cniVersions (1.1: the highest one podrig supports) wins over cniVersion; absent means 0.1.0.
    static func pickVersion(_ o: JSONObject, source: String) throws(PodrigError) -> String {
        if let list = o["cniVersions"], !list.isNull {
            guard let items = list.array else { throw PodrigError.invalid("\(source): \"cniVersions\" must be a list of strings") }
            var best: CNIVersion?
            for item in items {
                guard let s = item.string, let v = CNIVersion(s) else {
                    throw PodrigError.invalid("\(source): cniVersions: \(item.compact) is not a version")
                }
                if v.isSupported, best.map({ v > $0 }) ?? true { best = v }
            }
            if let best { return best.description }
            if o["cniVersion"] == nil { throw PodrigError.invalid("\(source): none of cniVersions \(list.compact) is supported") }
        }
        guard let v = o["cniVersion"], !v.isNull else { return "0.1.0" }
        guard let s = v.string, let parsed = CNIVersion(s) else {
            throw PodrigError.invalid("\(source): \"cniVersion\" \(v.compact) is not a version")
        }
        guard parsed.isSupported else {
            throw PodrigError.invalid("\(source): cniVersion \(s) is not supported (podrig speaks \(CNIVersion.supported.map(\.description).joined(separator: ", ")))")
        }
        return s
    }

    /// libcni's network name rule; the name becomes part of cache file names.
    public static func validateName(_ name: String, source: String) throws(PodrigError) {
        if let problem = nameProblem(name) { throw PodrigError.invalid("\(source): network name \"\(name)\" \(problem)") }
    }

    static func nameProblem(_ s: String) -> String? {
        guard let f = s.utf8.first else { return "is empty" }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        if !alnum(f) { return "must start with a letter or digit" }
        for c in s.utf8 where !(alnum(c) || c == 0x5F || c == 0x2E || c == 0x2D) {
            return "may hold only letters, digits, '_', '.' and '-'"
        }
        return nil
    }
}

/// The identifiers libcni checks before any exec (they end up in file names and env).
public enum CNIValidate {
    public static func containerID(_ id: String) throws(PodrigError) {
        if let p = CNIConfigList.nameProblem(id) { throw PodrigError.invalid("container ID \"\(id)\" \(p)") }
    }

    public static func ifName(_ name: String) throws(PodrigError) {
        if name.isEmpty || name.utf8.count > 15 || name == "." || name == ".." {
            throw PodrigError.invalid("interface name \"\(name)\" must be 1-15 characters and not . or ..")
        }
        for c in name.utf8 where c == 0x2F || c == 0x3A || c <= 0x20 || c == 0x7F {
            throw PodrigError.invalid("interface name \"\(name)\" must not contain '/', ':' or blanks")
        }
    }
}
