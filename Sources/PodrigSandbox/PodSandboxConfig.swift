import PodrigCgroups
import PodrigCore

/// How a sandbox uses a namespace, as CRI numbers them (POD=0, CONTAINER=1, NODE=2, TARGET=3).
public enum NamespaceMode: Int, Sendable, Codable {
    case pod = 0
    case container = 1
    case node = 2
    case target = 3

    public var criName: String {
        switch self {
        case .pod: "POD"
        case .container: "CONTAINER"
        case .node: "NODE"
        case .target: "TARGET"
        }
    }

    /// Accepts the number or the CRI name ("POD", "NODE", …).
    init(json: JSON, field: String) throws(PodrigError) {
        if let n = json.int, let mode = NamespaceMode(rawValue: n) { self = mode; return }
        if let s = json.string {
            switch s.uppercased() {
            case "POD": self = .pod; return
            case "CONTAINER": self = .container; return
            case "NODE": self = .node; return
            case "TARGET": self = .target; return
            default: break
            }
        }
        throw PodrigError.invalid("\(field): unknown namespace mode \(json.compact) (expected 0 POD, 1 CONTAINER, 2 NODE or 3 TARGET)")
    }
}

/// Defaults are CRI's zero values (POD for all three), what a config without namespace_options means.
public struct NamespaceOptions: Sendable, Codable, Equatable {
    public var network: NamespaceMode = .pod
    public var pid: NamespaceMode = .pod
    public var ipc: NamespaceMode = .pod

    public init(network: NamespaceMode = .pod, pid: NamespaceMode = .pod, ipc: NamespaceMode = .pod) {
        self.network = network
        self.pid = pid
        self.ipc = ipc
    }
}

public struct PortMapping: Sendable, Codable, Equatable {
    /// "TCP", "UDP" or "SCTP".
    public var `protocol`: String
    public var containerPort: Int
    public var hostPort: Int
    public var hostIP: String

    public init(protocol: String = "TCP", containerPort: Int, hostPort: Int, hostIP: String = "") {
        self.protocol = `protocol`
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.hostIP = hostIP
    }
}

public struct DNSConfig: Sendable, Codable, Equatable {
    public var servers: [String] = []
    public var searches: [String] = []
    public var options: [String] = []

    public init(servers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.servers = servers
        self.searches = searches
        self.options = options
    }
}

/// crictl's PodSandboxConfig (snake_case JSON or YAML), the fields podrig acts on.
public struct PodSandboxConfig: Sendable, Codable, Equatable {
    public var name: String
    public var namespace: String
    public var uid: String
    public var attempt: Int
    public var hostname: String
    public var logDirectory: String?
    public var dns: DNSConfig?
    public var portMappings: [PortMapping]
    public var labels: [String: String]
    public var annotations: [String: String]
    public var cgroupParent: String?
    /// linux.resources and linux.overhead (kubelet: the pod's summed container resources and its
    /// RuntimeClass overhead): the pod cgroup's values (CgroupResources.sandbox).
    public var resources: CgroupResources?
    public var overhead: CgroupResources?
    public var sysctls: [String: String]
    public var namespaceOptions: NamespaceOptions
    /// The pod's own user namespace (userns_options mode POD), nil for NODE (the host's).
    public var userNamespace: UserNamespaceConfig?

    public init(name: String, namespace: String = "default", uid: String? = nil, attempt: Int = 0,
                hostname: String? = nil, logDirectory: String? = nil, dns: DNSConfig? = nil,
                portMappings: [PortMapping] = [], labels: [String: String] = [:],
                annotations: [String: String] = [:], cgroupParent: String? = nil,
                sysctls: [String: String] = [:], namespaceOptions: NamespaceOptions = NamespaceOptions(),
                userNamespace: UserNamespaceConfig? = nil, resources: CgroupResources? = nil, overhead: CgroupResources? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid ?? ""  // none given: SandboxManager.run makes a random one
        self.attempt = attempt
        self.hostname = hostname ?? Validate.hostname(fromName: name)
        self.logDirectory = logDirectory
        self.dns = dns
        self.portMappings = portMappings
        self.labels = labels
        self.annotations = annotations
        self.cgroupParent = cgroupParent
        self.sysctls = sysctls
        self.namespaceOptions = namespaceOptions
        self.userNamespace = userNamespace
        self.resources = resources
        self.overhead = overhead
    }

    public var hostNetwork: Bool { namespaceOptions.network == .node }

    /// Reads a config file (JSON or YAML). Every problem names the file and the field.
    public static func load(path: String) throws(PodrigError) -> PodSandboxConfig {
        let text: String
        do {
            text = try Files.readString(path)
        } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "pod config \(path): no such file") }
            throw error
        }
        let json = try ConfigText.parse(text, source: path)
        do {
            return try parse(json)
        } catch {
            throw error.context(path)
        }
    }

    public static func parse(_ json: JSON) throws(PodrigError) -> PodSandboxConfig {
        var r = ConfigReader(json, path: "")
        let meta = try r.object("metadata")
        guard let meta else { throw PodrigError.invalid("metadata: required (with at least a name)") }
        var m = ConfigReader(.object(meta), path: "metadata")
        guard let name = try m.string("name") else { throw PodrigError.invalid("metadata.name: required") }
        try Validate.criName(name, what: "metadata.name")
        let namespace = try m.string("namespace") ?? "default"
        try Validate.criName(namespace, what: "metadata.namespace")
        let uid = try m.string("uid")
        if let uid { try Validate.cniArgValue(uid, what: "metadata.uid") }
        let attempt = try m.int("attempt") ?? 0
        try m.finish()

        let hostname = try r.string("hostname")
        if let hostname, !hostname.isEmpty {
            try Validate.dns1123Subdomain(hostname, what: "hostname")
            if hostname.utf8.count > 64 { throw PodrigError.invalid("hostname \"\(hostname)\" is longer than 64 bytes (the kernel's limit)") }
        }
        let logDirectory = try r.string("log_directory")
        if let logDirectory, !logDirectory.isEmpty, !logDirectory.hasPrefix("/") {
            throw PodrigError.invalid("log_directory: must be an absolute path, got \"\(logDirectory)\"")
        }

        var dns: DNSConfig?
        if let d = try r.object("dns_config") {
            var dr = ConfigReader(.object(d), path: "dns_config")
            dns = DNSConfig(servers: try dr.strings("servers") ?? [], searches: try dr.strings("searches") ?? [],
                            options: try dr.strings("options") ?? [])
            try dr.finish()
        }

        var ports: [PortMapping] = []
        for (k, item) in (try r.array("port_mappings") ?? []).enumerated() {
            let path = "port_mappings[\(k)]"
            guard case .object(let o) = item else { throw PodrigError.invalid("\(path): expected an object, got \(item.kindName)") }
            var pr = ConfigReader(.object(o), path: path)
            let proto = try pr.protocolName("protocol")
            guard let containerPort = try pr.int("container_port"), (1...65535).contains(containerPort) else {
                throw PodrigError.invalid("\(path).container_port: required, 1-65535")
            }
            let hostPort = try pr.int("host_port") ?? 0
            guard (0...65535).contains(hostPort) else { throw PodrigError.invalid("\(path).host_port: must be 0-65535, got \(hostPort)") }
            let hostIP = try pr.string("host_ip") ?? ""
            try pr.finish()
            ports.append(PortMapping(protocol: proto, containerPort: containerPort, hostPort: hostPort, hostIP: hostIP))
        }

        let labels = try r.stringMap("labels") ?? [:]
        for key in labels.keys { try Validate.labelKey(key, what: "labels") }
        let annotations = try r.stringMap("annotations") ?? [:]
        for key in annotations.keys { try Validate.labelKey(key, what: "annotations") }

        var cgroupParent: String?
        var resources: CgroupResources?
        var overhead: CgroupResources?
        var sysctls: [String: String] = [:]
        var nsOptions = NamespaceOptions()
        var userNamespace: UserNamespaceConfig?
        if let linux = try r.object("linux") {
            var lr = ConfigReader(.object(linux), path: "linux")
            cgroupParent = try lr.string("cgroup_parent")
            if let p = cgroupParent, !p.isEmpty { _ = try CgroupPath.parent(p) }  // refused before anything is made
            if let o = try lr.object("resources") { resources = try CgroupResources(criJSON: o, path: "linux.resources") }
            if let o = try lr.object("overhead") { overhead = try CgroupResources(criJSON: o, path: "linux.overhead") }
            sysctls = try lr.stringMap("sysctls") ?? [:]
            if let sc = try lr.object("security_context") {
                var sr = ConfigReader(.object(sc), path: "linux.security_context")
                if let no = try sr.object("namespace_options") {
                    var nr = ConfigReader(.object(no), path: "linux.security_context.namespace_options")
                    for key in ["network", "pid", "ipc"] {
                        guard let v = nr.take(key) else { continue }
                        let mode = try NamespaceMode(json: v, field: "linux.security_context.namespace_options.\(key)")
                        switch key {
                        case "network": nsOptions.network = mode
                        case "pid": nsOptions.pid = mode
                        default: nsOptions.ipc = mode
                        }
                    }
                    _ = nr.take("target_id")
                    if let u = try nr.object("userns_options") {
                        userNamespace = try UserNamespaceConfig.parse(u, path: "linux.security_context.namespace_options.userns_options")
                    }
                    try nr.finish()
                }
                sr.ignoreRest()
            }
            lr.ignoreRest()
        }
        if nsOptions.network == .container || nsOptions.network == .target {
            throw PodrigError.invalid("linux.security_context.namespace_options.network: a sandbox's network namespace must be POD or NODE, got \(nsOptions.network.criName)")
        }
        if nsOptions.ipc == .target {
            throw PodrigError.invalid("linux.security_context.namespace_options.ipc: TARGET is not supported for a sandbox")
        }
        try checkUserNamespace(nsOptions, userNamespace)
        _ = r.take("windows")
        try r.finish()
        return PodSandboxConfig(
            name: name, namespace: namespace, uid: uid, attempt: attempt,
            hostname: (hostname?.isEmpty ?? true) ? Validate.hostname(fromName: name) : hostname, logDirectory: logDirectory?.isEmpty == true ? nil : logDirectory,
            dns: dns, portMappings: ports, labels: labels, annotations: annotations,
            cgroupParent: cgroupParent?.isEmpty == true ? nil : cgroupParent, sysctls: sysctls, namespaceOptions: nsOptions,
            userNamespace: userNamespace, resources: resources, overhead: overhead)
    }
}

extension PodSandboxConfig {
    /// kubelet's rule (the apiserver's validateHostUsers): a pod's own user namespace goes with
    /// none of the host's namespaces, which it would not own.
    static func checkUserNamespace(_ ns: NamespaceOptions, _ userns: UserNamespaceConfig?) throws(PodrigError) {
        guard userns != nil else { return }
        for (key, mode) in [("network", ns.network), ("pid", ns.pid), ("ipc", ns.ipc)] where mode == .node {
            throw PodrigError.invalid("linux.security_context.namespace_options.userns_options: mode POD cannot be combined with \(key) NODE (the host's \(key) namespace is not owned by the pod's user namespace)")
        }
    }
}

extension Identifiers {
    /// A random RFC 4122 version-4 UUID, for pods that come without a uid.
    public static func newUUID() throws(PodrigError) -> String {
        let h = Array(try newID().prefix(32))
        var s = h
        s[12] = "4"
        let variant = Array("89ab")
        s[16] = variant[Int(h[16].hexDigitValue ?? 0) & 3]
        let t = String(s)
        func part(_ a: Int, _ b: Int) -> Substring { t.dropFirst(a).prefix(b - a) }
        return "\(part(0, 8))-\(part(8, 12))-\(part(12, 16))-\(part(16, 20))-\(part(20, 32))"
    }
}
