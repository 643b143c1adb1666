import PodrigCore
import PodrigIPAM

/// What a node's network agent (flannel, kindnet) makes of its podCIDRs: flannel's subnet.env
/// and a bridge + podrig-ipam conflist on those subnets. Both written atomically.
public enum NodeAgent {
    /// The IPAM plugin of node conflists: podrig-ipam, found next to podrig (CNIOptions.on(node)).
    public static let ipamType = "podrig-ipam"
    /// How long a deleted pod's addresses stay reserved for it on its node by default (sticky
    /// IPs: a StatefulSet's web-0 re-created on the same node comes back with the same IPs);
    /// `cluster create --reservation-ttl` sets a cluster's own (ClusterRecord.reservationTTL).
    public static let reservationTTL = "1h"

    /// flannel's subnet.env: FLANNEL_SUBNET is the node's first address with the node mask.
    public static func subnetEnv(_ c: ClusterRecord, _ n: NodeRecord) -> String {
        var lines: [String] = []
        for (cluster, pod) in zip(c.ipam.clusterCIDRs, n.podCIDRs) {
            let v6 = cluster.family == .ipv6 ? "IPV6_" : ""
            lines.append("FLANNEL_\(v6)NETWORK=\(cluster)")
            lines.append("FLANNEL_\(v6)SUBNET=\(pod.address(1))/\(pod.prefix)")
        }
        lines.append("FLANNEL_MTU=\(c.mtu)")
        // Pod-to-pod traffic between nodes keeps its source IP; there is no outside to masquerade to.
        lines.append("FLANNEL_IPMASQ=false")
        return lines.joined(separator: "\n") + "\n"
    }

    /// bridge (cni0, gateway) + podrig-ipam (host-local's config, plus a reservation TTL) with one
    /// range per family, leases under the node.
    public static func conflist(_ c: ClusterRecord, _ n: NodeRecord, ipamDirectory: String) -> JSON {
        let ranges: [JSON] = n.podCIDRs.map { [["subnet": .string($0.description)]] }
        let routes: [JSON] = n.podCIDRs.map { ["dst": .string($0.family == .ipv6 ? "::/0" : "0.0.0.0/0")] }
        var ipam: JSON = ["type": .string(ipamType), "dataDir": .string(ipamDirectory), "ranges": .array(ranges), "routes": .array(routes)]
        // A zero TTL is no reservation: podrig-ipam behaves as host-local.
        if ((try? IPAMDuration.parse(c.reservationTTL, what: "reservationTTL")) ?? 1) > 0 { ipam["reservation"] = ["ttl": .string(c.reservationTTL)] }
        let bridge: JSON = ["type": "bridge", "bridge": .string(ClusterNetwork.cniBridge), "isGateway": true, "ipMasq": false,
                            "hairpinMode": true, "mtu": .int(c.mtu), "ipam": ipam]
        return ["cniVersion": "1.0.0", "name": .string(c.name), "plugins": [bridge]]
    }

    public static func conflistName(_ cluster: String) -> String { "10-\(cluster).conflist" }

    public static func write(_ c: ClusterRecord, _ n: NodeRecord, paths p: ClusterPaths) throws(PodrigError) {
        try Files.makeDirectories(p.confDir(n.name), mode: 0o755)
        try Files.makeDirectories(p.ipamDirectory(n.name), mode: 0o755)
        try Files.writeAtomic(p.subnetEnv(n.name), subnetEnv(c, n), mode: 0o644)
        try Files.writeAtomic(p.confDir(n.name) + "/" + conflistName(c.name), conflist(c, n, ipamDirectory: p.ipamDirectory(n.name)).pretty + "\n", mode: 0o644)
    }
}
