import PodrigCore

/// The simulated node a sandbox runs on (PodrigCluster): the sandbox's CNI plugins run in the
/// node's netns with the node's conf dir, a hostNetwork sandbox joins that netns and takes the
/// node's IPs. Nil for sandboxes on this host, which behave as they always did.
public struct SandboxNode: Sendable, Equatable {
    public var cluster: String
    public var name: String
    public var netnsPath: String
    public var confDir: String
    /// The node's InternalIPs (status.hostIPs; a hostNetwork pod's IPs).
    public var hostIPs: [String]

    public init(cluster: String, name: String, netnsPath: String, confDir: String, hostIPs: [String]) {
        self.cluster = cluster
        self.name = name
        self.netnsPath = netnsPath
        self.confDir = confDir
        self.hostIPs = hostIPs
    }

    public var json: JSON {
        ["cluster": .string(cluster), "name": .string(name), "netns": .string(netnsPath), "confDir": .string(confDir),
         "hostIPs": .array(hostIPs.map { .string($0) })]
    }

    public init?(json j: JSON?) {
        guard let j, let c = j["cluster"]?.string, let n = j["name"]?.string, let ns = j["netns"]?.string, let d = j["confDir"]?.string else { return nil }
        self.init(cluster: c, name: n, netnsPath: ns, confDir: d, hostIPs: (j["hostIPs"]?.array ?? []).compactMap(\.string))
    }
}
