import PodrigCgroups
import PodrigCore

/// Sandbox records to and from PodrigCore's JSON by hand: `podrig pods` reads every record on
/// each call, and Foundation's JSONDecoder was half of that time with 1000 sandboxes.
extension SandboxRecord {
    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["config"] = config.json
        o["state"] = .string(state.rawValue)
        o["createdAt"] = .int(createdAt)
        if let pause { o["pause"] = ["pid": .int(pause.pid), "startTime": .int(pause.startTime)] }
        if let netnsPath { o["netnsPath"] = .string(netnsPath) }
        o["podIPs"] = .array(podIPs.map { .string($0) })
        if let network { o["network"] = network }
        o["networkAttached"] = .bool(networkAttached)
        if let node { o["node"] = node.json }
        return .object(o)
    }

    public init(json: JSON) throws(PodrigError) {
        func bad(_ field: String) -> PodrigError { PodrigError.invalid("sandbox record: missing or invalid \(field)") }
        guard let id = json["id"]?.string else { throw bad("id") }
        guard let configJSON = json["config"] else { throw bad("config") }
        self.init(id: id, config: try PodSandboxConfig(recordJSON: configJSON), createdAt: Int64(json["createdAt"]?.int ?? 0))
        guard let s = json["state"]?.string, let st = SandboxState(rawValue: s) else { throw bad("state") }
        state = st
        if let p = json["pause"], let pid = p["pid"]?.int, case .number(let start)? = p["startTime"], let startTime = UInt64(start) {
            // A damaged record's pid may be anything: one outside pid_t is refused, never narrowed.
            guard let pid = ProcessIdentity.pid(pid) else { throw bad("pause.pid (\(pid))") }
            pause = ProcessIdentity(pid: pid, startTime: startTime)
        }
        netnsPath = json["netnsPath"]?.string
        podIPs = (json["podIPs"]?.array ?? []).compactMap(\.string)
        if let n = json["network"], !n.isNull { network = n }
        networkAttached = json["networkAttached"]?.bool ?? false
        node = SandboxNode(json: json["node"])
    }
}

extension PodSandboxConfig {
    /// The record's own form (camelCase, complete); not crictl's input format.
    var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name)
        o["namespace"] = .string(namespace)
        o["uid"] = .string(uid)
        o["attempt"] = .int(attempt)
        o["hostname"] = .string(hostname)
        if let logDirectory { o["logDirectory"] = .string(logDirectory) }
        if let dns {
            o["dns"] = ["servers": .array(dns.servers.map { .string($0) }),
                        "searches": .array(dns.searches.map { .string($0) }),
                        "options": .array(dns.options.map { .string($0) })]
        }
        o["portMappings"] = .array(portMappings.map {
            ["protocol": .string($0.protocol), "containerPort": .int($0.containerPort),
             "hostPort": .int($0.hostPort), "hostIP": .string($0.hostIP)]
        })
        o["labels"] = Self.map(labels)
        o["annotations"] = Self.map(annotations)
        if let cgroupParent { o["cgroupParent"] = .string(cgroupParent) }
        o["sysctls"] = Self.map(sysctls)
        o["namespaceOptions"] = ["network": .int(namespaceOptions.network.rawValue),
                                 "pid": .int(namespaceOptions.pid.rawValue),
                                 "ipc": .int(namespaceOptions.ipc.rawValue)]
        if let userNamespace { o["userNamespace"] = userNamespace.json }
        if let resources { o["resources"] = resources.json }
        if let overhead { o["overhead"] = overhead.json }
        return .object(o)
    }

    init(recordJSON j: JSON) throws(PodrigError) {
        guard let name = j["name"]?.string else { throw PodrigError.invalid("sandbox record: missing config.name") }
        func strings(_ v: JSON?) -> [String] { (v?.array ?? []).compactMap(\.string) }
        func map(_ v: JSON?) -> [String: String] {
            var out: [String: String] = [:]
            for (k, val) in v?.object ?? JSONObject() { if let s = val.string { out[k] = s } }
            return out
        }
        func mode(_ key: String, _ def: NamespaceMode) -> NamespaceMode {
            j["namespaceOptions"]?[key]?.int.flatMap(NamespaceMode.init(rawValue:)) ?? def
        }
        // A damaged record's ID mappings are refused as CRI's are: a negative length made a range
        // (hostID..<hostID+length) that trapped when the next hostUsers: false pod picked its own.
        let userNamespace = UserNamespaceConfig(recordJSON: j["userNamespace"])
        if let u = userNamespace, !u.isAutomatic {
            try UserNamespaceConfig.check(u.uids, path: "sandbox record: config.userNamespace.uids")
            try UserNamespaceConfig.check(u.gids, path: "sandbox record: config.userNamespace.gids")
        }
        var dns: DNSConfig?
        if let d = j["dns"] { dns = DNSConfig(servers: strings(d["servers"]), searches: strings(d["searches"]), options: strings(d["options"])) }
        let ports: [PortMapping] = (j["portMappings"]?.array ?? []).map {
            PortMapping(protocol: $0["protocol"]?.string ?? "TCP", containerPort: $0["containerPort"]?.int ?? 0,
                        hostPort: $0["hostPort"]?.int ?? 0, hostIP: $0["hostIP"]?.string ?? "")
        }
        self.init(name: name, namespace: j["namespace"]?.string ?? "default", uid: j["uid"]?.string ?? "",
                  attempt: j["attempt"]?.int ?? 0, hostname: j["hostname"]?.string ?? name,
                  logDirectory: j["logDirectory"]?.string, dns: dns, portMappings: ports,
                  labels: map(j["labels"]), annotations: map(j["annotations"]), cgroupParent: j["cgroupParent"]?.string,
                  sysctls: map(j["sysctls"]),
                  namespaceOptions: NamespaceOptions(network: mode("network", .pod), pid: mode("pid", .container), ipc: mode("ipc", .pod)),
                  userNamespace: userNamespace,
                  resources: j["resources"]?.object.flatMap { try? CgroupResources(criJSON: $0, path: "resources") },
                  overhead: j["overhead"]?.object.flatMap { try? CgroupResources(criJSON: $0, path: "overhead") })
    }

    private static func map(_ m: [String: String]) -> JSON {
        .object(JSONObject(m.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
    }
}
