import PodrigCore

/// env[].valueFrom.configMapKeyRef / secretKeyRef.
public struct KeyRef: Sendable {
    public var kind: ConfigObject.Kind
    public var name: String
    public var key: String
    public var optional: Bool
}

/// envFrom[]: every key of a ConfigMap or Secret, with a prefix.
public struct EnvFromSource: Sendable {
    public var kind: ConfigObject.Kind
    public var name: String
    public var prefix: String
    public var optional: Bool
}

/// items[] of a configMap/secret volume or projection.
public struct KeyToPath: Sendable {
    public var key: String
    public var path: String
    public var mode: Int?
}

/// items[] of a downwardAPI volume or projection.
public struct DownwardItem: Sendable {
    public var path: String
    public var fieldPath: String?
    public var resourceField: ResourceFieldRef?
    public var mode: Int?
}

public enum ProjectionSource: Sendable {
    case config(kind: ConfigObject.Kind, name: String, items: [KeyToPath], optional: Bool)
    case downwardAPI([DownwardItem])
}

/// A configMap, secret, downwardAPI or projected volume: one or more sources merged into one
/// directory, as kubelet's projected volume plugin does.
public struct ProjectedVolume: Sendable {
    /// The volume's key in the manifest (configMap, secret, downwardAPI, projected), for messages.
    public var origin: String
    public var sources: [ProjectionSource]
    public var defaultMode: Int
}

extension PodManifestParser {
    static func mode(_ r: inout ConfigReader, _ key: String) throws(PodrigError) -> Int? {
        guard let m = try r.int(key) else { return nil }
        guard (0...0o777).contains(m) else { throw PodrigError.invalid("\(r.path).\(key): must be a file mode from 0000 to 0777 (0 to 511), got \(m)") }
        return m
    }

    /// A relative file path inside a volume: no "..", not absolute, not starting with "..".
    static func checkItemPath(_ p: String, path: String) throws(PodrigError) {
        if p.isEmpty || p.hasPrefix("/") || p.hasPrefix("..") || p.split(separator: "/").contains("..") {
            throw PodrigError.invalid("\(path): \"\(p)\" must be a relative path without '..'")
        }
    }

    static func parseKeyRef(_ json: JSONObject, kind: ConfigObject.Kind, path: String) throws(PodrigError) -> KeyRef {
        var r = ConfigReader(.object(json), path: path)
        guard let name = try r.string("name"), !name.isEmpty else { throw PodrigError.invalid("\(path).name: required") }
        guard let key = try r.string("key"), !key.isEmpty else { throw PodrigError.invalid("\(path).key: required") }
        try ConfigObjectParser.checkKey(key, path: "\(path).key")
        let optional = try r.bool("optional") ?? false
        try r.finish()
        return KeyRef(kind: kind, name: name, key: key, optional: optional)
    }

    static func parseEnvFrom(_ items: [JSON], path: String) throws(PodrigError) -> [EnvFromSource] {
        var out: [EnvFromSource] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            var r = ConfigReader(item, path: p)
            let prefix = try r.string("prefix") ?? ""
            if prefix.contains("=") { throw PodrigError.invalid("\(p).prefix: must not contain '='") }
            var found: [EnvFromSource] = []
            for (key, kind) in [("configMapRef", ConfigObject.Kind.configMap), ("secretRef", .secret)] {
                guard let o = try r.object(key) else { continue }
                var sr = ConfigReader(.object(o), path: "\(p).\(key)")
                guard let name = try sr.string("name"), !name.isEmpty else { throw PodrigError.invalid("\(p).\(key).name: required") }
                let optional = try sr.bool("optional") ?? false
                try sr.finish()
                found.append(EnvFromSource(kind: kind, name: name, prefix: prefix, optional: optional))
            }
            try r.finish()
            guard found.count == 1 else { throw PodrigError.invalid("\(p): exactly one of configMapRef or secretRef is required") }
            out += found
        }
        return out
    }

    static func parseItems(_ r: inout ConfigReader) throws(PodrigError) -> [KeyToPath] {
        var items: [KeyToPath] = []
        for (i, item) in (try r.array("items") ?? []).enumerated() {
            var ir = ConfigReader(item, path: "\(r.path).items[\(i)]")
            guard let key = try ir.string("key"), let p = try ir.string("path") else { throw PodrigError.invalid("\(ir.path): key and path are required") }
            try ConfigObjectParser.checkKey(key, path: "\(ir.path).key")
            try checkItemPath(p, path: "\(ir.path).path")
            let m = try mode(&ir, "mode")
            try ir.finish()
            items.append(KeyToPath(key: key, path: p, mode: m))
        }
        return items
    }

    /// A volume's own source (topLevel: it may have defaultMode) or one projection of a projected volume.
    static func parseConfigProjection(_ json: JSONObject, kind: ConfigObject.Kind, path: String, nameKey: String, topLevel: Bool) throws(PodrigError) -> (ProjectionSource, Int?) {
        var r = ConfigReader(.object(json), path: path)
        guard let name = try r.string(nameKey), !name.isEmpty else { throw PodrigError.invalid("\(path).\(nameKey): required") }
        let items = try parseItems(&r)
        let optional = try r.bool("optional") ?? false
        let dm = topLevel ? try mode(&r, "defaultMode") : nil
        try r.finish()
        return (.config(kind: kind, name: name, items: items, optional: optional), dm)
    }

    static func parseDownward(_ json: JSONObject, path: String, topLevel: Bool) throws(PodrigError) -> (ProjectionSource, Int?) {
        var r = ConfigReader(.object(json), path: path)
        var items: [DownwardItem] = []
        for (i, item) in (try r.array("items") ?? []).enumerated() {
            var ir = ConfigReader(item, path: "\(path).items[\(i)]")
            guard let p = try ir.string("path") else { throw PodrigError.invalid("\(ir.path).path: required") }
            try checkItemPath(p, path: "\(ir.path).path")
            var d = DownwardItem(path: p, mode: try mode(&ir, "mode"))
            if let f = try ir.object("fieldRef") {
                var fr = ConfigReader(.object(f), path: "\(ir.path).fieldRef")
                guard let fp = try fr.string("fieldPath") else { throw PodrigError.invalid("\(ir.path).fieldRef.fieldPath: required") }
                _ = fr.take("apiVersion")
                try fr.finish()
                // Volumes take the whole label and annotation maps too; not the status fields env may read.
                let volumeFields: Set<String> = ["metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations"]
                guard volumeFields.contains(fp) || FieldRef.subscriptKey(fp, "metadata.labels") != nil || FieldRef.subscriptKey(fp, "metadata.annotations") != nil else {
                    throw PodrigError.invalid("\(ir.path).fieldRef.fieldPath: \"\(fp)\" is not supported in a volume (metadata.name, namespace, uid, labels, annotations)")
                }
                d.fieldPath = fp
            }
            if let f = try ir.object("resourceFieldRef") {
                var fr = ConfigReader(.object(f), path: "\(ir.path).resourceFieldRef")
                guard let cn = try fr.string("containerName") else { throw PodrigError.invalid("\(ir.path).resourceFieldRef.containerName: required in a volume") }
                guard let res = try fr.string("resource"), ResourceFieldRef.supported.contains(res) else {
                    throw PodrigError.invalid("\(ir.path).resourceFieldRef.resource: one of \(ResourceFieldRef.supported.joined(separator: ", ")) is required")
                }
                var divisor: Quantity?
                if let dv = fr.take("divisor") {
                    guard let q = quantity(dv), !q.isZero else { throw PodrigError.invalid("\(ir.path).resourceFieldRef.divisor: not a positive quantity") }
                    divisor = q
                }
                try fr.finish()
                d.resourceField = ResourceFieldRef(containerName: cn, resource: res, divisor: divisor)
            }
            try ir.finish()
            guard (d.fieldPath == nil) != (d.resourceField == nil) else { throw PodrigError.invalid("\(ir.path): exactly one of fieldRef or resourceFieldRef is required") }
            items.append(d)
        }
        let dm = topLevel ? try mode(&r, "defaultMode") : nil
        try r.finish()
        return (.downwardAPI(items), dm)
    }

    /// configMap, secret, downwardAPI or projected under spec.volumes[i]; nil when the volume has none of them.
    static func parseProjectedSource(_ r: inout ConfigReader, path: String) throws(PodrigError) -> Volume.Source? {
        var found: [ProjectedVolume] = []
        if let o = try r.object("configMap") {
            let (s, dm) = try parseConfigProjection(o, kind: .configMap, path: "\(path).configMap", nameKey: "name", topLevel: true)
            found.append(ProjectedVolume(origin: "configMap", sources: [s], defaultMode: dm ?? 0o644))
        }
        if let o = try r.object("secret") {
            let (s, dm) = try parseConfigProjection(o, kind: .secret, path: "\(path).secret", nameKey: "secretName", topLevel: true)
            found.append(ProjectedVolume(origin: "secret", sources: [s], defaultMode: dm ?? 0o644))
        }
        if let o = try r.object("downwardAPI") {
            let (s, dm) = try parseDownward(o, path: "\(path).downwardAPI", topLevel: true)
            found.append(ProjectedVolume(origin: "downwardAPI", sources: [s], defaultMode: dm ?? 0o644))
        }
        if let o = try r.object("projected") {
            var pr = ConfigReader(.object(o), path: "\(path).projected")
            let dm = try mode(&pr, "defaultMode")
            var sources: [ProjectionSource] = []
            for (i, item) in (try pr.array("sources") ?? []).enumerated() {
                let sp = "\(path).projected.sources[\(i)]"
                var ir = ConfigReader(item, path: sp)
                if let c = try ir.object("configMap") { sources.append(try parseConfigProjection(c, kind: .configMap, path: "\(sp).configMap", nameKey: "name", topLevel: false).0) }
                if let c = try ir.object("secret") { sources.append(try parseConfigProjection(c, kind: .secret, path: "\(sp).secret", nameKey: "name", topLevel: false).0) }
                if let c = try ir.object("downwardAPI") { sources.append(try parseDownward(c, path: "\(sp).downwardAPI", topLevel: false).0) }
                for k in ["serviceAccountToken", "clusterTrustBundle", "podCertificate"] where ir.take(k) != nil {
                    throw PodrigError.invalid("\(sp).\(k): not supported (podrig has no API server)")
                }
                try ir.finish()
            }
            try pr.finish()
            found.append(ProjectedVolume(origin: "projected", sources: sources, defaultMode: dm ?? 0o644))
        }
        guard found.count <= 1 else { throw PodrigError.invalid("\(path): one volume source only") }
        return found.first.map { .projected($0) }
    }
}
