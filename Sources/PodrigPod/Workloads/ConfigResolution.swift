#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// How kubelet turns ConfigMap/Secret references into environment variables and volume files.
/// The same functions check a manifest before anything starts (`ConfigResolution.check`) and
/// make the pod (PodPlanner), so both fail alike and name the same path.
public enum ConfigResolution {
    static func what(_ kind: ConfigObject.Kind) -> String { kind == .configMap ? "ConfigMap" : "Secret" }

    /// valueFrom.configMapKeyRef/secretKeyRef: the value, nil when optional and missing.
    static func value(_ ref: KeyRef, _ m: PodManifest, path: String) throws(PodrigError) -> String? {
        guard let o = m.configData.find(ref.kind, m.namespace, ref.name) else {
            if ref.optional { return nil }
            throw PodrigError(.notFound, "\(path): \(what(ref.kind)) \(m.namespace)/\(ref.name) not found (not optional)")
        }
        guard let v = o.data[ref.key] else {
            if ref.optional { return nil }
            throw PodrigError(.notFound, "\(path): key \"\(ref.key)\" is not in \(what(ref.kind)) \(m.namespace)/\(ref.name) (not optional)")
        }
        return String(decoding: v, as: UTF8.self)
    }

    /// envFrom in order (later sources win); keys that cannot be variable names are skipped, as kubelet does.
    static func envFrom(_ c: ContainerSpec, _ m: PodManifest, path: String) throws(PodrigError) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for (i, src) in c.envFrom.enumerated() {
            guard let o = m.configData.find(src.kind, m.namespace, src.name) else {
                if src.optional { continue }
                throw PodrigError(.notFound, "\(path).envFrom[\(i)]: \(what(src.kind)) \(m.namespace)/\(src.name) not found (not optional)")
            }
            for k in o.data.keys.sorted() {
                let name = src.prefix + k
                guard !name.isEmpty, !name.contains("="), !name.utf8.contains(where: { $0 < 0x20 || $0 > 0x7E }) else { continue }
                let v = String(decoding: o.data[k]!, as: UTF8.self)
                if let j = out.firstIndex(where: { $0.name == name }) { out[j].value = v } else { out.append((name, v)) }
            }
        }
        return out
    }

    public struct File: Sendable {
        public var path: String
        public var data: [UInt8]
        public var mode: Int
        public init(path: String, data: [UInt8], mode: Int) {
            self.path = path
            self.data = data
            self.mode = mode
        }
    }

    /// The files of a configMap/secret/downwardAPI/projected volume.
    static func files(_ v: ProjectedVolume, _ m: PodManifest, path: String, fieldRef: FieldRef, node: NodeCapacity) throws(PodrigError) -> [File] {
        var out: [String: File] = [:]
        for (si, s) in v.sources.enumerated() {
            let sp = v.origin == "projected" ? "\(path).projected.sources[\(si)]" : "\(path).\(v.origin)"
            switch s {
            case .config(let kind, let name, let items, let optional):
                guard let o = m.configData.find(kind, m.namespace, name) else {
                    if optional { continue }
                    throw PodrigError(.notFound, "\(sp): \(what(kind)) \(m.namespace)/\(name) not found (not optional)")
                }
                if items.isEmpty {
                    for (k, d) in o.data { out[k] = File(path: k, data: d, mode: v.defaultMode) }
                } else {
                    for (ii, it) in items.enumerated() {
                        guard let d = o.data[it.key] else {
                            if optional { continue }
                            throw PodrigError(.notFound, "\(sp).items[\(ii)]: key \"\(it.key)\" is not in \(what(kind)) \(m.namespace)/\(name) (not optional)")
                        }
                        out[it.path] = File(path: it.path, data: d, mode: it.mode ?? v.defaultMode)
                    }
                }
            case .downwardAPI(let items):
                for (ii, it) in items.enumerated() {
                    var text: String
                    if let fp = it.fieldPath {
                        switch fp {
                        case "metadata.labels": text = formatMap(m.labels)
                        case "metadata.annotations": text = formatMap(m.annotations)
                        default: text = fieldRef.value(fp)
                        }
                    } else if let rf = it.resourceField {
                        let target = rf.containerName ?? ""
                        guard let tc = (m.spec.initContainers + m.spec.containers).first(where: { $0.name == target }) else {
                            throw PodrigError.invalid("\(sp).items[\(ii)].resourceFieldRef.containerName: \"\(target)\" is not a container of this pod")
                        }
                        text = rf.value(tc.resources, node: node)
                    } else { text = "" }
                    out[it.path] = File(path: it.path, data: Array(text.utf8), mode: it.mode ?? v.defaultMode)
                }
            }
        }
        return out.values.sorted { $0.path < $1.path }
    }

    /// The downward API's format of a label or annotation map: sorted `key="value"` lines, Go-quoted,
    /// no newline after the last.
    public static func formatMap(_ m: [String: String]) -> String {
        m.keys.sorted().map { "\($0)=\(goQuote(m[$0]!))" }.joined(separator: "\n")
    }

    /// Go's %q of a string (strconv.Quote): printable runes as they are, the rest escaped.
    static func goQuote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{0B}": out += "\\v"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let h = String(u.value, radix: 16)
                    out += "\\x" + (h.count < 2 ? "0" + h : h)
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// Every ConfigMap/Secret reference of a pod resolves (or is optional): run before anything starts.
    public static func check(_ m: PodManifest) throws(PodrigError) {
        for (key, list) in [("initContainers", m.spec.initContainers), ("containers", m.spec.containers)] {
            for (i, c) in list.enumerated() {
                let p = "spec.\(key)[\(i)]"
                _ = try envFrom(c, m, path: p)
                for (j, e) in c.env.enumerated() {
                    if let ref = e.keyRef {
                        _ = try value(ref, m, path: "\(p).env[\(j)].valueFrom.\(ref.kind == .configMap ? "configMapKeyRef" : "secretKeyRef")")
                    }
                }
            }
        }
        let refs = FieldRef(name: m.name, namespace: m.namespace, uid: m.uid, labels: m.labels, annotations: m.annotations,
                            nodeName: "", hostIPs: [], podIPs: [])
        for (i, v) in m.spec.volumes.enumerated() {
            if case .projected(let pv) = v.source {
                _ = try files(pv, m, path: "spec.volumes[\(i)]", fieldRef: refs, node: NodeCapacity(cpus: 1, memoryBytes: 1, ephemeralStorageBytes: 1))
            }
        }
    }
}

/// kubelet's AtomicWriter layout: the files in `..<UTC timestamp>.<random>/`, a `..data` symlink
/// to it, and each top-level name a symlink through `..data`. A subPath mount of one of those
/// names resolves the links once (it sees no later update), as in Kubernetes.
public enum AtomicVolumeWriter {
    /// `owner`: the files' host uid (a pod's mapped root in its own user namespace).
    public static func write(_ dir: String, _ files: [ConfigResolution.File], group: Int?, owner: Int? = nil) throws(PodrigError) {
        try Files.makeDirectories(dir, mode: 0o755)
        chmod(dir, 0o755)
        let now = Time.nowNanos()
        let t = Time.rfc3339Nano(now)  // 2026-11-21T18:24:10.123456789Z
        let stamp = String(t.prefix(19)).map { $0 == "-" || $0 == "T" || $0 == ":" ? "_" : $0 }
        let tsName = "..\(String(stamp)).\(String(UInt32.random(in: 100_000_000...999_999_999)))"
        let ts = dir + "/" + tsName
        try Files.makeDirectories(ts, mode: 0o755)
        chmod(ts, 0o755)
        var top: [String] = []
        for f in files {
            let target = ts + "/" + f.path
            let parent = Files.dirname(of: target)
            if parent != ts { try Files.makeDirectories(parent, mode: 0o755) }
            try Files.writeAtomic(target, f.data, mode: mode_t(f.mode), sync: false)
            chmod(target, mode_t(f.mode))
            if group != nil || owner != nil {
                chown(target, owner.map { uid_t($0) } ?? uid_t(bitPattern: -1), group.map { gid_t($0) } ?? gid_t(bitPattern: -1))
            }
            let first = String(f.path.split(separator: "/").first ?? "")
            if !top.contains(first) { top.append(first) }
        }
        let tmp = dir + "/..data_tmp"
        unlink(tmp)
        if symlink(tsName, tmp) != 0 { throw PodrigError.system("symlink(\(tmp))", errno: errno) }
        if rename(tmp, dir + "/..data") != 0 { throw PodrigError.system("rename(\(tmp), ..data)", errno: errno) }
        for name in top {
            let link = dir + "/" + name
            if symlink("..data/" + name, link) != 0 && errno != EEXIST { throw PodrigError.system("symlink(\(link))", errno: errno) }
        }
    }
}
