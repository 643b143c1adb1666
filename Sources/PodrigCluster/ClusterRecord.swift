import PodrigCore

/// Lifecycle of a cluster or node record: written `creating`/`removing` before the kernel objects
/// are made or destroyed, so gc and doctor can find what a crash left half-done.
public enum ClusterPhase: String, Sendable {
    case creating, ready, deleting
}

public struct NodeRecord: Sendable, Equatable {
    public var name: String
    public var phase: ClusterPhase
    /// Position on the underlay: node IP = underlay network + slot + 2 (kind's numbering), and
    /// the underlay port name n<slot>.
    public var slot: Int
    /// kcm's allocation: podCIDRs[i] from cluster CIDR i, at block indexes[i].
    public var podCIDRs: [CIDR]
    public var indexes: [Int]
    /// InternalIPs, in cluster-CIDR family order.
    public var ips: [String]
    public var createdAt: Int64

    public init(name: String, phase: ClusterPhase, slot: Int, podCIDRs: [CIDR], indexes: [Int], ips: [String], createdAt: Int64) {
        self.name = name
        self.phase = phase
        self.slot = slot
        self.podCIDRs = podCIDRs
        self.indexes = indexes
        self.ips = ips
        self.createdAt = createdAt
    }
}

/// <root>/clusters/<name>/cluster.json: the cluster's configuration, the allocator's position and
/// every node; written atomically (temp file + rename) on each change.
public struct ClusterRecord: Sendable, Equatable {
    public var name: String
    public var phase: ClusterPhase
    public var createdAt: Int64
    public var ipam: NodeIPAMConfig
    /// Node IP ranges, one per cluster family (in the cluster CIDRs' order).
    public var underlay: [CIDR]
    public var nextCandidates: [Int]
    public var mtu: Int
    /// The node conflists' podrig-ipam reservation TTL (a duration as given; "0" turns sticky IPs off).
    public var reservationTTL: String
    public var nodes: [NodeRecord]

    public init(name: String, ipam: NodeIPAMConfig, underlay: [CIDR], createdAt: Int64, mtu: Int = 1500,
                reservationTTL: String = NodeAgent.reservationTTL) {
        self.name = name
        self.phase = .creating
        self.createdAt = createdAt
        self.ipam = ipam
        self.underlay = underlay
        self.nextCandidates = ipam.clusterCIDRs.map { _ in 0 }
        self.mtu = mtu
        self.reservationTTL = reservationTTL
        self.nodes = []
    }

    public func node(_ name: String) -> NodeRecord? { nodes.first { $0.name == name } }

    /// The allocator as kcm rebuilds it on start: service range out, every node's blocks in.
    public func allocator() throws(PodrigError) -> NodeIPAM {
        var a = try NodeIPAM(ipam)
        for n in nodes { try a.occupy(n.podCIDRs, node: n.name) }
        a.nextCandidates = nextCandidates
        return a
    }

    // MARK: JSON

    public var json: JSON {
        func cidrs(_ c: [CIDR]) -> JSON { .array(c.map { .string($0.description) }) }
        return ["kind": "PodrigCluster", "name": .string(name), "phase": .string(phase.rawValue), "createdAt": .int(createdAt),
                "clusterCIDRs": cidrs(ipam.clusterCIDRs), "nodeCIDRMaskSizes": .array(ipam.nodeMasks.map { .int($0) }),
                "serviceCIDRs": cidrs(ipam.serviceCIDRs), "nodeNetwork": cidrs(underlay),
                "nextCandidates": .array(nextCandidates.map { .int($0) }), "mtu": .int(mtu), "reservationTTL": .string(reservationTTL),
                "nodes": .array(nodes.map { n in
                    ["name": .string(n.name), "phase": .string(n.phase.rawValue), "slot": .int(n.slot),
                     "podCIDRs": cidrs(n.podCIDRs), "indexes": .array(n.indexes.map { .int($0) }),
                     "ips": .array(n.ips.map { .string($0) }), "createdAt": .int(n.createdAt)]
                })]
    }

    public init(json j: JSON, source: String) throws(PodrigError) {
        func bad(_ what: String) -> PodrigError { PodrigError.invalid("\(source): missing or invalid \(what)") }
        func cidrs(_ key: String, _ v: JSON?) throws(PodrigError) -> [CIDR] {
            guard let a = v?.array else { throw bad(key) }
            var out: [CIDR] = []
            for e in a {
                guard let s = e.string, let c = try? CIDR.parse(s) else { throw bad(key) }
                out.append(c)
            }
            return out
        }
        guard let name = j["name"]?.string else { throw bad("name") }
        guard let p = j["phase"]?.string, let phase = ClusterPhase(rawValue: p) else { throw bad("phase") }
        let clusterCIDRs = try cidrs("clusterCIDRs", j["clusterCIDRs"])
        let masks = (j["nodeCIDRMaskSizes"]?.array ?? []).compactMap(\.int)
        guard masks.count == clusterCIDRs.count, !clusterCIDRs.isEmpty else { throw bad("nodeCIDRMaskSizes") }
        let config = NodeIPAMConfig(clusterCIDRs: clusterCIDRs, nodeMasks: masks, serviceCIDRs: try cidrs("serviceCIDRs", j["serviceCIDRs"]))
        self.init(name: name, ipam: config, underlay: try cidrs("nodeNetwork", j["nodeNetwork"]), createdAt: Int64(j["createdAt"]?.int ?? 0),
                  mtu: j["mtu"]?.int ?? 1500, reservationTTL: j["reservationTTL"]?.string ?? NodeAgent.reservationTTL)
        self.phase = phase
        nextCandidates = (j["nextCandidates"]?.array ?? []).compactMap(\.int)
        if nextCandidates.count != clusterCIDRs.count { nextCandidates = clusterCIDRs.map { _ in 0 } }
        for n in j["nodes"]?.array ?? [] {
            guard let nn = n["name"]?.string, let ps = n["phase"]?.string, let np = ClusterPhase(rawValue: ps), let slot = n["slot"]?.int else {
                throw bad("nodes")
            }
            nodes.append(NodeRecord(name: nn, phase: np, slot: slot, podCIDRs: try cidrs("nodes[].podCIDRs", n["podCIDRs"]),
                                    indexes: (n["indexes"]?.array ?? []).compactMap(\.int),
                                    ips: (n["ips"]?.array ?? []).compactMap(\.string), createdAt: Int64(n["createdAt"]?.int ?? 0)))
        }
    }
}
