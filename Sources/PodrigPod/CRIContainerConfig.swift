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
        try Validate.dns1123Label(name, what: "metadata.name")
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
        if let linux = try r.object("linux") {
            var lr = ConfigReader(.object(linux), path: "linux")
            if let sc = try lr.object("security_context") {
                var sr = ConfigReader(.object(sc), path: "linux.security_context")
                var s = SecurityContext()
                s.runAsUser = try sr.object("run_as_user").flatMap { $0["value"]?.int }
                s.runAsGroup = try sr.object("run_as_group").flatMap { $0["value"]?.int }
                s.privileged = try sr.bool("privileged") ?? false
                if try sr.bool("no_new_privs") == true { s.allowPrivilegeEscalation = false }
                if let caps = try sr.object("capabilities") {
                    var cr = ConfigReader(.object(caps), path: "linux.security_context.capabilities")
                    s.capabilitiesAdd = try cr.strings("add_capabilities") ?? []
                    s.capabilitiesDrop = try cr.strings("drop_capabilities") ?? []
                    cr.ignoreRest()
                }
                if let sp = try sr.object("seccomp") {
                    let type = sp["profile_type"]
                    switch type?.int ?? (type?.string == "Unconfined" ? 1 : type?.string == "Localhost" ? 2 : 0) {
                    case 1: s.seccompProfile = .unconfined
                    case 2: s.seccompProfile = .localhost(sp["localhost_ref"]?.string ?? "")
                    default: s.seccompProfile = .runtimeDefault
                    }
                }
                if let no = try sr.object("namespace_options"), let pid = no["pid"] {
                    pidMode = try NamespaceMode(criJSON: pid, field: "linux.security_context.namespace_options.pid")
                }
                c.securityContext = s
                sr.ignoreRest()
            }
            lr.ignoreRest()
        }
        for k in ["stdin", "stdin_once", "tty", "devices", "windows", "cdi_devices"] { _ = r.take(k) }
        try r.finish()
        return CRIContainerConfig(container: c, attempt: attempt, logPath: logPath?.isEmpty == true ? nil : logPath, labels: labels,
                                  annotations: annotations, volumes: volumes, pidMode: pidMode, raw: json)
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
