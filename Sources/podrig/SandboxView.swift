import PodrigCore
import PodrigSandbox

/// A sandbox record as crictl shows it (camelCase CRI JSON).
enum SandboxView {
    static func metadata(_ r: SandboxRecord) -> JSON {
        ["name": .string(r.config.name), "uid": .string(r.config.uid),
         "namespace": .string(r.config.namespace), "attempt": .int(r.config.attempt)]
    }

    static func stringMap(_ m: [String: String]) -> JSON {
        .object(JSONObject(m.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
    }

    static func summary(_ r: SandboxRecord) -> JSON {
        // `state` is resolved against the pause process by the caller (pods does it once per record).
        ["id": .string(r.id), "metadata": metadata(r), "state": .string(r.state.criName),
         "createdAt": .string(String(r.createdAt)), "labels": stringMap(r.config.labels),
         "annotations": stringMap(r.config.annotations), "runtimeHandler": "",
         "network": network(r)]
    }

    static func network(_ r: SandboxRecord) -> JSON {
        ["ip": .string(r.podIPs.first ?? ""),
         "additionalIps": .array(r.podIPs.dropFirst().map { ["ip": .string($0)] })]
    }

    /// crictl's UserNamespace shape: {mode, uids, gids} with camelCase mappings; null for NODE.
    static func usernsOptions(_ u: UserNamespaceConfig?) -> JSON {
        guard let u else { return nil }
        func lines(_ m: [IDMapping]) -> JSON {
            .array(m.map { ["containerId": .int($0.containerID), "hostId": .int($0.hostID), "length": .int($0.length)] })
        }
        return ["mode": "POD", "uids": lines(u.uids), "gids": lines(u.gids)]
    }

    static func inspect(_ r: SandboxRecord) -> JSON {
        let ns = r.config.namespaceOptions
        let status: JSON = [
            "id": .string(r.id),
            "metadata": metadata(r),
            "state": .string(r.effectiveState.criName),
            "createdAt": .string(Time.rfc3339Nano(r.createdAt)),
            "network": network(r),
            "linux": ["namespaces": ["options": [
                "network": .string(ns.network.criName), "pid": .string(ns.pid.criName),
                "ipc": .string(ns.ipc.criName), "targetId": "", "usernsOptions": usernsOptions(r.config.userNamespace),
            ]]],
            "labels": stringMap(r.config.labels),
            "annotations": stringMap(r.config.annotations),
            "runtimeHandler": "",
        ]
        var info: JSON = [
            "pid": r.pause.map { .int($0.pid) } ?? .int(0),
            "netnsPath": .string(r.netnsPath ?? ""),
            "hostname": .string(r.config.hostname),
            "hostNetwork": .bool(r.config.hostNetwork),
            "podIPs": .array(r.podIPs.map { .string($0) }),
            "pauseAlive": .bool(r.pause?.isAlive ?? false),
            "config": configJSON(r.config),
        ]
        if let net = r.network, !net.isNull { info["network"] = net }
        return ["status": status, "info": info]
    }

    static func configJSON(_ c: PodSandboxConfig) -> JSON {
        var o: JSON = [
            "metadata": ["name": .string(c.name), "namespace": .string(c.namespace), "uid": .string(c.uid), "attempt": .int(c.attempt)],
            "hostname": .string(c.hostname),
        ]
        if let d = c.logDirectory { o["log_directory"] = .string(d) }
        var linux = JSONObject()
        if let r = c.resources { linux["resources"] = r.json }
        if let r = c.overhead { linux["overhead"] = r.json }
        if !linux.isEmpty { o["linux"] = .object(linux) }
        if let dns = c.dns {
            o["dns_config"] = ["servers": .array(dns.servers.map { .string($0) }),
                               "searches": .array(dns.searches.map { .string($0) }),
                               "options": .array(dns.options.map { .string($0) })]
        }
        if !c.portMappings.isEmpty {
            o["port_mappings"] = .array(c.portMappings.map {
                ["protocol": .string($0.protocol), "container_port": .int($0.containerPort),
                 "host_port": .int($0.hostPort), "host_ip": .string($0.hostIP)]
            })
        }
        return o
    }
}
