import Foundation

/// The bare floor: what any runtime must do for one sandbox, with nothing of its own —
/// `ip netns add`, loopback ADD, then the conflist's plugins ADD (env and stdin as libcni
/// builds them); DEL in reverse with the cached result as prevResult, then `ip netns del`.
struct Floor: @unchecked Sendable {  // the conflist is read-only after setup
    let binDir: String
    let conflist: [String: Any]
    var name: String { conflist["name"] as! String }
    var version: String { conflist["cniVersion"] as! String }

    struct Attachment: Sendable {
        var netns: String
        var containerID: String
        var results: [String]  // per plugin, for DEL's prevResult
    }

    func env(_ command: String, _ id: String, _ netns: String, _ ifName: String) -> [String] {
        baseEnv + ["CNI_COMMAND=\(command)", "CNI_CONTAINERID=\(id)", "CNI_NETNS=\(netns)", "CNI_IFNAME=\(ifName)",
                   "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=floor;K8S_POD_INFRA_CONTAINER_ID=\(id);K8S_POD_UID=floor-\(id.prefix(8))",
                   "CNI_PATH=\(binDir)"]
    }

    /// The plugin's own config with the list's name and cniVersion (and prevResult) injected.
    func stdin(_ plugin: [String: Any], prevResult: String?) -> String {
        var p = plugin
        p["name"] = name
        p["cniVersion"] = version
        if let prevResult, let prev = try? JSONSerialization.jsonObject(with: Data(prevResult.utf8)) { p["prevResult"] = prev }
        return String(decoding: try! JSONSerialization.data(withJSONObject: p, options: [.sortedKeys]), as: UTF8.self)
    }

    var loopbackConfig: String { #"{"cniVersion":"\#(version)","name":"cni-loopback","type":"loopback"}"# }
    var plugins: [[String: Any]] { conflist["plugins"] as! [[String: Any]] }

    func add(_ tag: String) throws -> Attachment {
        let nsName = "pr-bfl-\(tag)"
        let netns = "/run/netns/" + nsName
        let id = randomHex(64)
        try must(run(["/usr/sbin/ip", "netns", "add", nsName]), "ip netns add")
        try must(run([binDir + "/loopback"], env: env("ADD", id, netns, "lo"), input: loopbackConfig), "loopback ADD")
        var results: [String] = []
        var prev: String?
        for p in plugins {
            let r = try must(run([binDir + "/" + (p["type"] as! String)], env: env("ADD", id, netns, "eth0"), input: stdin(p, prevResult: prev)), "\(p["type"]!) ADD")
            prev = r.stdout
            results.append(r.stdout)
        }
        return Attachment(netns: netns, containerID: id, results: results)
    }

    /// The other teardown order: drop the netns first (the kernel destroys the veth with it) and
    /// DEL with CNI_NETNS="" (what containerd sends when the netns is gone). Informational.
    func delNetnsFirst(_ a: Attachment) throws {
        try must(run(["/usr/sbin/ip", "netns", "del", String(a.netns.dropFirst("/run/netns/".count))]), "ip netns del")
        let final = a.results.last
        for p in plugins.reversed() {
            try must(run([binDir + "/" + (p["type"] as! String)], env: env("DEL", a.containerID, "", "eth0"), input: stdin(p, prevResult: final)), "\(p["type"]!) DEL")
        }
        try must(run([binDir + "/loopback"], env: env("DEL", a.containerID, "", "lo"), input: loopbackConfig), "loopback DEL")
    }

    func del(_ a: Attachment) throws {
        let final = a.results.last
        for p in plugins.reversed() {
            try must(run([binDir + "/" + (p["type"] as! String)], env: env("DEL", a.containerID, a.netns, "eth0"), input: stdin(p, prevResult: final)), "\(p["type"]!) DEL")
        }
        try must(run([binDir + "/loopback"], env: env("DEL", a.containerID, a.netns, "lo"), input: loopbackConfig), "loopback DEL")
        try must(run(["/usr/sbin/ip", "netns", "del", String(a.netns.dropFirst("/run/netns/".count))]), "ip netns del")
    }
}
