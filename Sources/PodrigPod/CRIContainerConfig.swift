import PodrigCgroups
import PodrigCore
import PodrigSandbox

/// crictl's ContainerConfig (snake_case JSON or YAML), mapped onto the Pod model so that CRI
/// containers and `podrig up` containers are planned and supervised the same way.
public struct CRIContainerConfig: Sendable {
    public var container: ContainerSpec
    public var attempt: Int
    public var logPath: String?
    public var labels: [String: String]
    public var annotations: [String: String]
    /// hostPath volumes for the config's mounts.
    public var volumes: [Volume]
    /// The container's own PID namespace mode (CRI allows it per container).
    public var pidMode: NamespaceMode?
    /// CRI's supplemental_groups (kubelet folds the pod's supplementalGroups and fsGroup in).
    public var supplementalGroups: [Int] = []
    /// "Merge" (CRI 0, the default) or "Strict" (1).
    public var supplementalGroupsPolicy = "Merge"
    /// namespace_options.userns_options as given (nil: not given); it must be the sandbox's.
    public var userns: UserNamespaceConfig??
    public var raw: JSON

    public static func load(path: String) throws(PodrigError) -> CRIContainerConfig {
        let text: String
        do { text = try Files.readString(path) } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "container config \(path): no such file") }
            throw error
        }
        do { return try parse(try ConfigText.parse(text, source: path)) } catch { throw error.context(path) }
    }

    public static func parse(_ json: JSON) throws(PodrigError) -> CRIContainerConfig {
        var r = ConfigReader(json, path: "")
        guard let meta = try r.object("metadata") else { throw PodrigError.invalid("metadata: required (with a name)") }
        var m = ConfigReader(.object(meta), path: "metadata")
        guard let name = try m.string("name") else { throw PodrigError.invalid("metadata.name: required") }
        // CRI sets no rule on container names; podrig keeps one directory per container under its ID's.
        try Validate.fileName(name, what: "metadata.name")
        let attempt = try m.int("attempt") ?? 0
        try m.finish()
        var c = ContainerSpec(name: name)
        if let img = try r.object("image") {
            c.image = img["image"]?.string
        }
        c.command = try r.strings("command") ?? []
        c.args = try r.strings("args") ?? []
        if c.command.isEmpty {
            guard !c.args.isEmpty else { throw PodrigError.invalid("command: required (podrig runs host programs; there is no image entrypoint)") }
            c.command = c.args
            c.args = []
        }
        if let w = try r.string("working_dir"), !w.isEmpty { c.workingDir = w }
        for (i, e) in (try r.array("envs") ?? []).enumerated() {
            var er = ConfigReader(e, path: "envs[\(i)]")
            guard let k = try er.string("key"), !k.isEmpty else { throw PodrigError.invalid("envs[\(i)].key: required") }
            let v = try er.string("value") ?? ""
            try er.finish()
            c.env.append(EnvVar(name: k, value: v))
        }
        var volumes: [Volume] = []
        for (i, mnt) in (try r.array("mounts") ?? []).enumerated() {
            var mr = ConfigReader(mnt, path: "mounts[\(i)]")
            guard let cp = try mr.string("container_path"), cp.hasPrefix("/"), let hp = try mr.string("host_path"), hp.hasPrefix("/") else {
                throw PodrigError.invalid("mounts[\(i)]: container_path and host_path are required absolute paths")
            }
            let ro = try mr.bool("readonly") ?? false
            mr.ignoreRest()
            volumes.append(Volume(name: "mount-\(i)", source: .hostPath(path: hp, type: "")))
            c.volumeMounts.append(VolumeMount(name: "mount-\(i)", mountPath: cp, readOnly: ro))
        }
        let labels = try r.stringMap("labels") ?? [:]
        let annotations = try r.stringMap("annotations") ?? [:]
        let logPath = try r.string("log_path")
        var pidMode: NamespaceMode?
        var supplementalGroups: [Int] = []
        var supplementalGroupsPolicy = "Merge"
        var userns: UserNamespaceConfig??
        if try r.object("linux") == nil { c.securityContext.seccompProfile = .unconfined }
        if let linux = try r.object("linux") {
            var lr = ConfigReader(.object(linux), path: "linux")
            if let sc = try lr.object("security_context") {
                let parsed = try parseSecurity(sc)
                c.securityContext = parsed.container
                pidMode = parsed.pidMode
                supplementalGroups = parsed.groups
                supplementalGroupsPolicy = parsed.policy
                userns = parsed.userns
            } else {
                c.securityContext.seccompProfile = .unconfined  // CRI: no profile is Unconfined
            }
            if let res = try lr.object("resources") { c.linuxResources = try CgroupResources(criJSON: res, path: "linux.resources") }
            lr.ignoreRest()
        }
        c.stdin = try r.bool("stdin") ?? false
        c.stdinOnce = try r.bool("stdin_once") ?? false
        c.tty = try r.bool("tty") ?? false
        for k in ["devices", "windows", "cdi_devices"] { _ = r.take(k) }
        try r.finish()
        return CRIContainerConfig(container: c, attempt: attempt, logPath: logPath?.isEmpty == true ? nil : logPath, labels: labels,
                                  annotations: annotations, volumes: volumes, pidMode: pidMode,
                                  supplementalGroups: supplementalGroups, supplementalGroupsPolicy: supplementalGroupsPolicy,
                                  userns: userns, raw: json)
    }
}

extension CRIContainerConfig {
    struct Security {
        var container = SecurityContext()
        var pidMode: NamespaceMode?
        var groups: [Int] = []
        var policy = "Merge"
        var userns: UserNamespaceConfig??
    }

    /// LinuxContainerSecurityContext, checked as containerd checks it at CreateContainer.
    static func parseSecurity(_ sc: JSONObject) throws(PodrigError) -> Security {
        let path = "linux.security_context"
        var sr = ConfigReader(.object(sc), path: path)
        var out = Security()
        var s = SecurityContext()
        func id(_ key: String) throws(PodrigError) -> Int? {
            guard let o = try sr.object(key) else { return nil }
            var vr = ConfigReader(.object(o), path: "\(path).\(key)")
            let v = try vr.int("value") ?? 0  // Int64Value: proto3 omits a zero value
            try vr.finish()
            return try Validate.linuxID(v, what: "\(path).\(key).value")
        }
        s.runAsUser = try id("run_as_user")
        s.runAsGroup = try id("run_as_group")
        if let name = try sr.string("run_as_username"), !name.isEmpty { s.runAsUsername = name }
        if s.runAsGroup != nil && s.runAsUser == nil && s.runAsUsername == nil {
            throw PodrigError.invalid("\(path).run_as_group: requires run_as_user or run_as_username (CRI: a group without a user is an error)")
        }
        for (i, g) in (try sr.array("supplemental_groups") ?? []).enumerated() {
            let v: Int
            if let n = g.int { v = n } else if let t = g.string, let n = Int(t) { v = n } else {
                throw PodrigError.invalid("\(path).supplemental_groups[\(i)]: expected a group ID, got \(g.compact)")
            }
            out.groups.append(try Validate.linuxID(v, what: "\(path).supplemental_groups[\(i)]"))
        }
        if let p = sr.take("supplemental_groups_policy") {
            switch p.int ?? (p.string == "Merge" ? 0 : p.string == "Strict" ? 1 : -1) {
            case 0: out.policy = "Merge"
            case 1: out.policy = "Strict"
            default: throw PodrigError.invalid("\(path).supplemental_groups_policy: expected 0 (Merge) or 1 (Strict), got \(p.compact)")
            }
        }
        s.privileged = try sr.bool("privileged") ?? false
        if try sr.bool("no_new_privs") == true { s.allowPrivilegeEscalation = false }
        s.readOnlyRootFilesystem = try sr.bool("readonly_rootfs") ?? false
        if let caps = try sr.object("capabilities") {
            var cr = ConfigReader(.object(caps), path: "\(path).capabilities")
            s.capabilitiesAdd = try cr.strings("add_capabilities") ?? []
            s.capabilitiesDrop = try cr.strings("drop_capabilities") ?? []
            cr.ignoreRest()
        }
        // CRI: a nil profile is Unconfined; an empty one ({}) is RuntimeDefault (type 0).
        s.seccompProfile = .unconfined
        if let sp = try sr.object("seccomp") {
            var pr = ConfigReader(.object(sp), path: "\(path).seccomp")
            let type = pr.take("profile_type")
            let ref = try pr.string("localhost_ref") ?? ""
            try pr.finish()
            switch type?.int ?? (type == nil ? 0 : ["RuntimeDefault": 0, "Unconfined": 1, "Localhost": 2][type?.string ?? ""] ?? -1) {
            case 0: s.seccompProfile = .runtimeDefault
            case 1: s.seccompProfile = .unconfined
            case 2:
                guard !ref.isEmpty else { throw PodrigError.invalid("\(path).seccomp: Localhost needs localhost_ref") }
                s.seccompProfile = .localhost(ref)
            default: throw PodrigError.invalid("\(path).seccomp.profile_type: expected 0 RuntimeDefault, 1 Unconfined or 2 Localhost, got \(type?.compact ?? "")")
            }
        } else if let legacy = try sr.string("seccomp_profile_path"), !legacy.isEmpty {
            // The deprecated string form: "unconfined", "runtime/default", "docker/default", "localhost/<path>".
            switch legacy {
            case "unconfined": s.seccompProfile = .unconfined
            case "runtime/default", "docker/default": s.seccompProfile = .runtimeDefault
            default:
                guard legacy.hasPrefix("localhost/"), legacy.count > 10 else {
                    throw PodrigError.invalid("\(path).seccomp_profile_path: \"\(legacy)\" must be unconfined, runtime/default or localhost/<path>")
                }
                s.seccompProfile = .localhost(String(legacy.dropFirst(10)))
            }
        }
        if let no = try sr.object("namespace_options") {
            var nr = ConfigReader(.object(no), path: "\(path).namespace_options")
            // The container's own PID mode; network and IPC are the sandbox's (CRI zero value: POD).
            if let pid = nr.take("pid") { out.pidMode = try NamespaceMode(criJSON: pid, field: "\(path).namespace_options.pid") }
            for key in ["network", "ipc"] {
                if let v = nr.take(key), try NamespaceMode(criJSON: v, field: "\(path).namespace_options.\(key)") == .container {
                    throw PodrigError.invalid("\(path).namespace_options.\(key): CONTAINER is not supported (a container shares its sandbox's)")
                }
            }
            if try nr.string("target_id").map({ !$0.isEmpty }) == true {
                throw PodrigError.invalid("\(path).namespace_options.target_id: TARGET namespaces are not supported")
            }
            if let u = try nr.object("userns_options") {
                out.userns = .some(try UserNamespaceConfig.parse(u, path: "\(path).namespace_options.userns_options"))
            }
            try nr.finish()
        }
        if let v = try sr.strings("masked_paths") { s.maskedPaths = try CRIContainerConfig.absolute(v, "\(path).masked_paths") }
        if let v = try sr.strings("readonly_paths") { s.readonlyPaths = try CRIContainerConfig.absolute(v, "\(path).readonly_paths") }
        for k in ["selinux_options", "apparmor", "apparmor_profile"] { _ = sr.take(k) }
        try sr.finish()
        out.container = s
        return out
    }

    /// LinuxContainerResources as containerd applies them: proto3's zero is "unset", except
    /// oom_score_adj (0 is a score); swap left unset equals the memory limit (no swap).
    static func absolute(_ paths: [String], _ field: String) throws(PodrigError) -> [String] {
        for p in paths where !p.hasPrefix("/") || p.split(separator: "/").contains("..") {
            throw PodrigError.invalid("\(field): \(p) is not an absolute path without ..")
        }
        return paths
    }
}

extension NamespaceMode {
    init(criJSON v: JSON, field: String) throws(PodrigError) {
        if let n = v.int, let m = NamespaceMode(rawValue: n) { self = m; return }
        switch v.string?.uppercased() {
        case "POD": self = .pod
        case "CONTAINER": self = .container
        case "NODE": self = .node
        case "TARGET": self = .target
        default: throw PodrigError.invalid("\(field): unknown namespace mode \(v.compact)")
        }
    }
}
