#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigIPAM

/// cluster create / delete, node add / rm, gc. One writer at a time (the store's lock); every
/// change is recorded before the kernel objects are made or removed, and a failure undoes what
/// the change made, so bad input and crashes leave nothing (gc finishes what a crash left).
public struct ClusterManager: Sendable {
    public let store: ClusterStore

    public init(root: String) { store = ClusterStore(root: root) }

    /// kind's node network: IPv4 172.18.0.0/16, IPv6 fc00:f853:ccd:e793::/64.
    public static let defaultNodeNetwork = "172.18.0.0/16,fc00:f853:ccd:e793::/64"

    public struct CreateRequest: Sendable {
        public var name: String
        public var ipam: NodeIPAMConfig.Flags
        public var nodes: [String]
        public var nodeNetwork: String?
        /// The node conflists' podrig-ipam reservation TTL (default NodeAgent.reservationTTL).
        public var reservationTTL: String?

        public init(name: String, ipam: NodeIPAMConfig.Flags, nodes: [String], nodeNetwork: String? = nil, reservationTTL: String? = nil) {
            self.name = name
            self.ipam = ipam
            self.nodes = nodes
            self.nodeNetwork = nodeNetwork
            self.reservationTTL = reservationTTL
        }
    }

    public static func validateName(_ name: String, what: String) throws(PodrigError) {
        try Validate.dns1123Label(name, what: what)
    }

    // MARK: create

    public func create(_ req: CreateRequest, progress: (String) -> Void = { _ in }) throws(PodrigError) -> ClusterRecord {
        try Self.validateName(req.name, what: "cluster name")
        let config = try NodeIPAMConfig.validate(req.ipam)
        let underlay = try Self.underlay(req.nodeNetwork, for: config)
        let ttl = req.reservationTTL?.trimmed ?? NodeAgent.reservationTTL
        _ = try IPAMDuration.parse(ttl, what: "--reservation-ttl")
        var seen: Set<String> = []
        for n in req.nodes {
            try Self.validateName(n, what: "node name")
            if !seen.insert(n).inserted { throw PodrigError.invalid("node \(n) is named twice") }
        }
        let lock = try store.lock()
        defer { lock.unlock() }
        if Files.exists(store.paths(req.name).directory) {
            throw PodrigError(.alreadyExists, "cluster \"\(req.name)\" already exists (podrig cluster delete \(req.name))")
        }
        for other in store.list() {
            for mine in config.clusterCIDRs + underlay {
                if let theirs = (other.ipam.clusterCIDRs + other.underlay).first(where: { $0.overlaps(mine) }) {
                    let flag = config.clusterCIDRs.contains(mine) ? "--cluster-cidr" : "--node-network"
                    throw PodrigError(.conflict, "\(flag) \(mine) overlaps cluster \"\(other.name)\"'s \(theirs)")
                }
            }
        }
        let now = Time.nowNanos()
        var record = ClusterRecord(name: req.name, ipam: config, underlay: underlay, createdAt: now, reservationTTL: ttl)
        var ipam = try record.allocator()
        for n in req.nodes {
            let a: NodeIPAM.Allocation
            do { a = try ipam.allocate() } catch {
                throw PodrigError(error.code, "cluster \(req.name): node \(n) (\(record.nodes.count + 1) of \(req.nodes.count)): \(error.message)")
            }
            record.nodes.append(try Self.node(n, slot: record.nodes.count, allocation: a, underlay: underlay, now: now))
        }
        record.nextCandidates = ipam.nextCandidates
        let p = store.paths(req.name)
        let net = ClusterNetwork(paths: p)
        for ns in [p.clusterNetns] + record.nodes.map({ p.nodeNetns($0.name) }) where net.exists(ns) {
            throw PodrigError(.alreadyExists, "netns \(ns) already exists (`ip netns`): another cluster's node, or a leftover (podrig gc)")
        }
        for i in record.nodes.indices { record.nodes[i].phase = .creating }
        try store.save(record)
        Checkpoint.mark("cluster:recorded")
        do {
            try net.createUnderlay()
            Checkpoint.mark("cluster:underlay")
            for i in record.nodes.indices {
                let t0 = Clock.now()
                try net.createNode(record.nodes[i], underlay: underlay, mtu: record.mtu)
                try NodeAgent.write(record, record.nodes[i], paths: p)
                record.nodes[i].phase = .ready
                Checkpoint.mark("cluster:node")
                progress("node \(record.nodes[i].name): \(record.nodes[i].podCIDRs.map(\.description).joined(separator: ",")) on \(record.nodes[i].ips.joined(separator: ",")) [\(Int((Clock.now() - t0) * 1000)) ms]")
            }
            try reconcile(record)
            record.phase = .ready
            try store.save(record)
        } catch {
            destroy(record)
            throw error
        }
        return record
    }

    static func node(_ name: String, slot: Int, allocation a: NodeIPAM.Allocation, underlay: [CIDR], now: Int64) throws(PodrigError) -> NodeRecord {
        let ips = underlay.map { $0.address(UInt128(slot + 2)) }
        for (u, ip) in zip(underlay, ips) {
            guard let v = CIDR.parseIP(ip)?.1, u.contains(v, family: u.family), v != u.last else {
                throw PodrigError(.conflict, "--node-network \(u): no address left for node \(name)")
            }
        }
        return NodeRecord(name: name, phase: .ready, slot: slot, podCIDRs: a.podCIDRs, indexes: a.indexes, ips: ips, createdAt: now)
    }

    /// The node network per cluster family, in cluster-CIDR order.
    static func underlay(_ text: String?, for config: NodeIPAMConfig) throws(PodrigError) -> [CIDR] {
        let flag = "--node-network \(text ?? defaultNodeNetwork)"
        let given = try NodeIPAMConfig.parseList(text ?? defaultNodeNetwork, flag: flag)
        var out: [CIDR] = []
        for c in config.clusterCIDRs {
            guard let u = given.first(where: { $0.family == c.family }) else {
                throw PodrigError.invalid("\(flag): no \(c.family.label) range for the cluster's \(c)")
            }
            if u.bits - u.prefix < 2 { throw PodrigError.invalid("\(flag): \(u) is too small for nodes") }
            for other in config.clusterCIDRs + config.serviceCIDRs where other.overlaps(u) {
                throw PodrigError.invalid("\(flag): \(u) overlaps \(other) (--cluster-cidr / --service-cluster-ip-range)")
            }
            out.append(u)
        }
        return out
    }

    // MARK: nodes

    public func addNode(cluster: String, node name: String?) throws(PodrigError) -> NodeRecord {
        let lock = try store.lock()
        defer { lock.unlock() }
        var record = try store.load(cluster)
        guard record.phase == .ready else { throw PodrigError(.conflict, "cluster \(cluster) is \(record.phase.rawValue) (podrig gc)") }
        let nodeName = name ?? (1...).lazy.map { "node-\($0)" }.first { record.node($0) == nil }!
        try Self.validateName(nodeName, what: "node name")
        if record.node(nodeName) != nil { throw PodrigError(.alreadyExists, "cluster \(cluster) already has a node \(nodeName)") }
        var ipam = try record.allocator()
        let a: NodeIPAM.Allocation
        do { a = try ipam.allocate() } catch { throw PodrigError(error.code, "cluster \(cluster): node \(nodeName): \(error.message)") }
        let slots = Set(record.nodes.map(\.slot))
        let slot = (0...).first { !slots.contains($0) }!
        var node = try Self.node(nodeName, slot: slot, allocation: a, underlay: record.underlay, now: Time.nowNanos())
        let p = store.paths(cluster), net = ClusterNetwork(paths: p)
        if net.exists(p.nodeNetns(nodeName)) {
            throw PodrigError(.alreadyExists, "netns \(p.nodeNetns(nodeName)) already exists (`ip netns`): another cluster's node, or a leftover (podrig gc)")
        }
        node.phase = .creating
        record.nodes.append(node)
        record.nextCandidates = ipam.nextCandidates
        try store.save(record)
        Checkpoint.mark("node:recorded")
        let i = record.nodes.count - 1
        do {
            try net.createNode(node, underlay: record.underlay, mtu: record.mtu)
            Checkpoint.mark("node:created")
            try NodeAgent.write(record, node, paths: p)
            record.nodes[i].phase = .ready
            try store.save(record)
            try reconcile(record)
        } catch {
            removeNodeObjects(p, nodeName)
            record.nodes.remove(at: i)
            try? store.save(record)
            try? reconcile(record)
            throw error
        }
        return record.nodes[i]
    }

    /// Removes a node (its pods must be gone: the CLI removes them first): the node's netns and
    /// files go, its podCIDRs are released (kcm's ReleaseCIDR), the other nodes lose its routes.
    public func removeNode(cluster: String, node: String) throws(PodrigError) {
        let lock = try store.lock()
        defer { lock.unlock() }
        var record = try store.load(cluster)
        guard let i = record.nodes.firstIndex(where: { $0.name == node }) else {
            throw PodrigError(.notFound, "cluster \(cluster) has no node \(node) (nodes: \(record.nodes.map(\.name).joined(separator: ", ")))")
        }
        record.nodes[i].phase = .deleting
        try store.save(record)
        Checkpoint.mark("node:deleting")
        let p = store.paths(cluster)
        try ClusterNetwork(paths: p).deleteNode(node, slot: record.nodes[i].slot)
        try? Files.removeTree(p.nodeDirectory(node))
        record.nodes.remove(at: i)  // the allocator is rebuilt from the nodes: this is the release
        try store.save(record)
        try reconcile(record)
    }

    /// Every ready node's host-gw routes: for each other ready node, podCIDR via its IP, per family.
    public func reconcile(_ record: ClusterRecord) throws(PodrigError) {
        let net = ClusterNetwork(paths: store.paths(record.name))
        let ready = record.nodes.filter { $0.phase == .ready }
        for n in ready {
            var desired: Set<ClusterNetwork.Route> = []
            for other in ready where other.name != n.name {
                for (cidr, ip) in zip(other.podCIDRs, other.ips) { desired.insert(.init(dst: cidr.description, via: ip)) }
            }
            try net.reconcileRoutes(node: n.name, desired: desired, clusterCIDRs: record.ipam.clusterCIDRs)
        }
    }

    // MARK: delete, gc

    /// Deletes a cluster whose pods are gone (the CLI removes them first).
    public func delete(_ name: String) throws(PodrigError) {
        let lock = try store.lock()
        defer { lock.unlock() }
        var record = try store.load(name)
        record.phase = .deleting
        try store.save(record)
        var problems: [String] = []
        let p = store.paths(name), net = ClusterNetwork(paths: p)
        for n in record.nodes {
            do { try net.deleteNetns(p.nodeNetns(n.name)) } catch { problems.append(error.description) }
        }
        do { try net.deleteNetns(p.clusterNetns) } catch { problems.append(error.description) }
        if !problems.isEmpty { throw PodrigError(.system, "cluster \(name): delete", cause: problems.joined(separator: "; ")) }
        try Files.removeTree(p.directory)
    }

    /// Best-effort removal of everything a record names (a failed create's undo).
    func destroy(_ record: ClusterRecord) {
        let p = store.paths(record.name), net = ClusterNetwork(paths: p)
        for n in record.nodes { try? net.deleteNetns(p.nodeNetns(n.name)) }
        try? net.deleteNetns(p.clusterNetns)
        try? Files.removeTree(p.directory)
    }

    func removeNodeObjects(_ p: ClusterPaths, _ node: String) {
        try? ClusterNetwork(paths: p).deleteNetns(p.nodeNetns(node))
        try? Files.removeTree(p.nodeDirectory(node))
    }

    /// What a crash left: clusters that never became ready (or were being deleted) go entirely;
    /// nodes half-added or half-removed go, and the routes are reconciled. Returns what it did.
    public func gc() -> [String] {
        guard let lock = try? store.lock() else { return [] }
        defer { lock.unlock() }
        var done: [String] = []
        for name in store.names() {
            let p = store.paths(name)
            guard var record = try? store.load(name) else {
                if !Files.exists(p.record) {
                    // A directory with no record: create died before its first save (nothing made yet).
                    try? Files.removeTree(p.directory)
                    done.append("cluster \(name): directory without a record removed")
                }
                continue
            }
            if record.phase != .ready {
                destroy(record)
                done.append("cluster \(name): half-\(record.phase == .creating ? "created" : "deleted") cluster removed")
                continue
            }
            let broken = record.nodes.filter { $0.phase != .ready }
            guard !broken.isEmpty else { continue }
            for n in broken { removeNodeObjects(p, n.name); done.append("cluster \(name): half-\(n.phase == .creating ? "added" : "removed") node \(n.name) removed") }
            record.nodes.removeAll { $0.phase != .ready }
            try? store.save(record)
            try? reconcile(record)
        }
        return done
    }
}
