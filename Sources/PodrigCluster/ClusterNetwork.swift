#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The kernel side of a cluster, through iproute2. Everything lives in namespaces podrig makes:
/// the underlay bridge in `pr-<cluster>`, each node's eth0, addresses, forwarding and routes in
/// `pr-<cluster>-<node>`. The host namespace gets nothing but the netns pins.
public struct ClusterNetwork: Sendable {
    public let paths: ClusterPaths
    /// The underlay bridge inside the cluster netns.
    public static let bridge = "underlay"
    /// The node's CNI bridge (flannel's name).
    public static let cniBridge = "cni0"

    public init(paths: ClusterPaths) { self.paths = paths }

    static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Writes sysctls from a child in `netns` (/proc/sys/net is the netns of the writer).
    static func sysctls(_ values: [(String, String)], netns: String, step: String) throws(PodrigError) {
        let script = values.map { "printf %s '\($0.1)' > /proc/sys/\($0.0.split(separator: ".").joined(separator: "/"))" }.joined(separator: " && ")
        var o = SpawnOptions(path: "/bin/sh", arguments: ["sh", "-c", script])
        o.environment = [path]
        o.join = [(.net, netns)]
        let r = try ProcessRunner.run(o, timeout: 30)
        guard r.status.success else { throw PodrigError(.system, step, cause: String(decoding: r.stderr, as: UTF8.self).trimmed) }
    }

    public func exists(_ ns: String) -> Bool { Files.exists(paths.netnsPath(ns)) }

    /// The cluster netns with its underlay bridge.
    public func createUnderlay() throws(PodrigError) {
        let ns = paths.clusterNetns
        try IPRoute.text(["netns", "add", ns], step: "cluster \(paths.name): create netns \(ns)")
        try Self.sysctls([("net.ipv6.conf.default.accept_dad", "0")], netns: paths.netnsPath(ns), step: "cluster \(paths.name): underlay sysctls")
        try IPRoute.text(["-n", ns], batch: ["link set lo up", "link add \(Self.bridge) type bridge", "link set \(Self.bridge) up"],
                    step: "cluster \(paths.name): underlay bridge")
    }

    /// A node: its netns, eth0 on the underlay with one IP per family, forwarding on.
    public func createNode(_ n: NodeRecord, underlay: [CIDR], mtu: Int) throws(PodrigError) {
        let ns = paths.nodeNetns(n.name), port = "n\(n.slot)"
        let step = "cluster \(paths.name): node \(n.name)"
        try IPRoute.text(["netns", "add", ns], step: "\(step): create netns \(ns)")
        let plug: [String] = [
            "link add \(port) mtu \(mtu) type veth peer name eth0 mtu \(mtu) netns \(ns)",
            "link set \(port) alias \(n.name)",
            "link set \(port) master \(Self.bridge) up",
        ]
        do {
            try IPRoute.text(["-n", paths.clusterNetns], batch: plug, step: "\(step): underlay port \(port)")
        } catch where "\(error)".contains("File exists") {
            // The slot's previous port outlived its node (a crash, or a netns the kernel was still
            // tearing down): nothing else can own n<slot> in our cluster netns, so it goes.
            try IPRoute.text(["-n", paths.clusterNetns, "link", "del", port], step: "\(step): stale underlay port \(port)")
            try IPRoute.text(["-n", paths.clusterNetns], batch: plug, step: "\(step): underlay port \(port)")
        }
        let v6 = n.ips.contains { $0.contains(":") }
        var sys = [("net.ipv4.ip_forward", "1")]
        // No DAD: eth0, cni0 and the pods' host-side veths are usable at once (nothing else can hold their addresses).
        if v6 { sys += [("net.ipv6.conf.all.forwarding", "1"), ("net.ipv6.conf.default.accept_dad", "0"), ("net.ipv6.conf.eth0.accept_dad", "0")] }
        try Self.sysctls(sys, netns: paths.netnsPath(ns), step: "\(step): sysctls")
        var batch = ["link set lo up", "link set eth0 up"]
        for (ip, net) in zip(n.ips, underlay) { batch.append("addr add \(ip)/\(net.prefix) dev eth0" + (net.family == .ipv6 ? " nodad" : "")) }
        try IPRoute.text(["-n", ns], batch: batch, step: "\(step): eth0 addresses")
    }

    /// Removes a node's underlay port, then its netns. The port goes first and explicitly: a netns
    /// is destroyed asynchronously by the kernel, so its veth peer in the cluster netns may outlive
    /// `ip netns del` and make the next node on that slot fail with "File exists".
    public func deleteNode(_ name: String, slot: Int) throws(PodrigError) {
        // Absent already (a half-made node) is fine; the netns deletion would take it anyway, later.
        _ = try? IPRoute.text(["-n", paths.clusterNetns, "link", "del", "n\(slot)"], step: "cluster \(paths.name): node \(name): underlay port")
        try deleteNetns(paths.nodeNetns(name))
    }

    /// Removes a netns (its veths and routes go with it); a missing one is fine.
    public func deleteNetns(_ ns: String) throws(PodrigError) {
        guard exists(ns) else { return }
        try IPRoute.text(["netns", "del", ns], step: "cluster \(paths.name): delete netns \(ns)")
    }

    /// A route podrig manages on a node: `dst via gateway` on eth0.
    public struct Route: Sendable, Hashable {
        public var dst: String
        public var via: String
    }

    /// host-gw / kindnet: makes the node's routes into the cluster CIDRs exactly `desired` —
    /// missing ones added, wrong-gateway ones replaced, stale ones deleted. Routes on cni0 (the
    /// node's own podCIDR, proto kernel) are left alone.
    public func reconcileRoutes(node: String, desired: Set<Route>, clusterCIDRs: [CIDR]) throws(PodrigError) {
        let ns = paths.nodeNetns(node)
        let step = "cluster \(paths.name): node \(node): routes"
        var current: Set<Route> = []
        for fam in clusterCIDRs.map(\.family) {
            let out = try IPRoute.text(["-n", ns, "-j", fam == .ipv6 ? "-6" : "-4", "route", "show", "dev", "eth0"], step: step)
            for r in (try? JSONParser.parse(out))?.array ?? [] {
                guard let dst = r["dst"]?.string, let gw = r["gateway"]?.string else { continue }
                let full = dst.contains("/") ? dst : dst + (fam == .ipv6 ? "/128" : "/32")
                guard let c = try? CIDR.parse(full), clusterCIDRs.contains(where: { $0.overlaps(c) }) else { continue }
                current.insert(Route(dst: c.description, via: gw))
            }
        }
        var batch: [String] = []
        let wanted = Set(desired.map(\.dst))
        for r in current.subtracting(desired) where !wanted.contains(r.dst) { batch.append("route del \(r.dst) via \(r.via) dev eth0") }
        for r in desired.subtracting(current).sorted(by: { $0.dst < $1.dst }) { batch.append("route replace \(r.dst) via \(r.via) dev eth0") }
        if !batch.isEmpty { try IPRoute.text(["-n", ns], batch: batch, step: step) }
    }

    /// The node's routes as `ip route` shows them (for tests and `node get`).
    public func routes(node: String) -> [Route] {
        var out: [Route] = []
        for fam in ["-4", "-6"] {
            let text = (try? IPRoute.text(["-n", paths.nodeNetns(node), "-j", fam, "route", "show", "dev", "eth0"], step: "routes")) ?? "[]"
            for r in (try? JSONParser.parse(text))?.array ?? [] {
                if let d = r["dst"]?.string, let g = r["gateway"]?.string { out.append(Route(dst: d, via: g)) }
            }
        }
        return out
    }
}
