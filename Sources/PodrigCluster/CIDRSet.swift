import PodrigCore

/// kube-controller-manager's cidrset (pkg/controller/nodeipam/ipam/cidrset), rebuilt: a cluster
/// CIDR cut into 2^(nodeMask − clusterMask) node blocks, handed out round-robin from
/// `nextCandidate` so a released block is not reused until the scan wraps. The used blocks are a
/// set rather than kcm's big.Int bitmap (an IPv4 /8 cut into /32s would be 2 MiB of bits).
public struct CIDRSet: Sendable, Equatable {
    public let cluster: CIDR
    public let nodeMask: Int
    public let maxCIDRs: Int
    public private(set) var allocatedCIDRs = 0
    public var nextCandidate = 0
    public private(set) var used: Set<Int> = []

    /// kcm's limit, for IPv6 only: its bitmap is uncompressed.
    public static let clusterSubnetMaxDiff = 16

    public static let errNoCIDRsRemaining = "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range"
    public static let errSubNetTooBig = "New CIDR set failed; the node CIDR size is too big"

    public init(cluster: CIDR, nodeMask: Int) throws(PodrigError) {
        // nodeMask > prefix + diff, not nodeMask - prefix > diff: a damaged record's mask of Int.min overflowed.
        if cluster.family == .ipv6 && nodeMask > cluster.prefix + CIDRSet.clusterSubnetMaxDiff {
            throw PodrigError.invalid(CIDRSet.errSubNetTooBig)
        }
        guard nodeMask >= cluster.prefix, nodeMask <= cluster.bits, nodeMask - cluster.prefix < 63 else {
            throw PodrigError.invalid("node mask /\(nodeMask) does not fit cluster CIDR \(cluster)")
        }
        self.cluster = cluster
        self.nodeMask = nodeMask
        self.maxCIDRs = 1 << (nodeMask - cluster.prefix)
    }

    /// Block `index`: the cluster network with the index in the bits between the two masks.
    public func block(_ index: Int) -> CIDR {
        CIDR(family: cluster.family, network: cluster.network | (UInt128(index) << (cluster.bits - nodeMask)), prefix: nodeMask)
    }

    public mutating func allocateNext() throws(PodrigError) -> (index: Int, cidr: CIDR) {
        if allocatedCIDRs == maxCIDRs { throw PodrigError(.conflict, CIDRSet.errNoCIDRsRemaining) }
        var candidate = nextCandidate
        for _ in 0..<maxCIDRs {
            if !used.contains(candidate) { break }
            candidate = (candidate + 1) % maxCIDRs
        }
        nextCandidate = (candidate + 1) % maxCIDRs
        used.insert(candidate)
        allocatedCIDRs += 1
        return (candidate, block(candidate))
    }

    /// The block index holding `ip` (kcm's getIndexForIP).
    public func index(of ip: UInt128) throws(PodrigError) -> Int {
        let i = (cluster.network ^ ip) >> (cluster.bits - nodeMask)
        guard i < UInt128(maxCIDRs) else {
            throw PodrigError.invalid("CIDR: \(CIDR.format(ip, cluster.family))/\(nodeMask) is out of the range of CIDR allocator")
        }
        return Int(i)
    }

    /// The first and last block a CIDR touches (kcm's getBeginningAndEndIndices).
    public func range(of cidr: CIDR) throws(PodrigError) -> ClosedRange<Int> {
        guard cidr.overlaps(cluster) else {
            throw PodrigError.invalid("cidr \(cidr) is out the range of cluster cidr \(cluster)")
        }
        if cluster.prefix < cidr.prefix {
            let nm = CIDR.mask(nodeMask, cluster.bits)
            return try index(of: cidr.network & nm)...index(of: cidr.last & nm)
        }
        return 0...(maxCIDRs - 1)
    }

    /// Marks every block the CIDR touches as used (already-used blocks count once).
    public mutating func occupy(_ cidr: CIDR) throws(PodrigError) {
        for i in try range(of: cidr) where used.insert(i).inserted { allocatedCIDRs += 1 }
    }

    public mutating func release(_ cidr: CIDR) throws(PodrigError) {
        for i in try range(of: cidr) where used.remove(i) != nil { allocatedCIDRs -= 1 }
    }
}
