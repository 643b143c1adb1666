import PodrigCore

/// kcm's range allocator over one cidrset per cluster CIDR: the service range filtered out,
/// existing nodes' podCIDRs re-occupied (what kcm does on every restart), then one block per
/// family for each new node, in cluster-CIDR order.
public struct NodeIPAM: Sendable, Equatable {
    public let config: NodeIPAMConfig
    public var sets: [CIDRSet]

    public init(_ config: NodeIPAMConfig) throws(PodrigError) {
        self.config = config
        sets = []
        for (cidr, mask) in zip(config.clusterCIDRs, config.nodeMasks) { sets.append(try CIDRSet(cluster: cidr, nodeMask: mask)) }
        for service in config.serviceCIDRs { filterOutServiceRange(service) }
    }

    /// kcm's filterOutServiceRange: occupy the service CIDR in every cluster CIDR it overlaps.
    mutating func filterOutServiceRange(_ service: CIDR) {
        for i in sets.indices where sets[i].cluster.overlaps(service) { try? sets[i].occupy(service) }
    }

    /// One node's allocation: podCIDRs[i] from cluster CIDR i, with its block index.
    public struct Allocation: Sendable, Equatable {
        public var podCIDRs: [CIDR]
        public var indexes: [Int]
    }

    /// AllocateOrOccupyCIDR for a node without podCIDRs. Unlike kcm (which keeps a family's block
    /// reserved until restart when the next family fails), a failure releases what it took.
    public mutating func allocate() throws(PodrigError) -> Allocation {
        var out = Allocation(podCIDRs: [], indexes: [])
        for idx in sets.indices {
            do {
                let (i, cidr) = try sets[idx].allocateNext()
                out.podCIDRs.append(cidr)
                out.indexes.append(i)
            } catch {
                for (j, c) in out.podCIDRs.enumerated() { try? sets[j].release(c) }
                throw PodrigError(error.code, "failed to allocate cidr from cluster cidr at idx:\(idx): \(error.message)")
            }
        }
        return out
    }

    /// occupyCIDRs: a node that already has podCIDRs (restored from the cluster record).
    public mutating func occupy(_ podCIDRs: [CIDR], node: String) throws(PodrigError) {
        for (idx, cidr) in podCIDRs.enumerated() {
            guard idx < sets.count else {
                throw PodrigError.invalid("node:\(node) has an allocated cidr: \(cidr) at index:\(idx) that does not exist in cluster cidrs configuration")
            }
            do { try sets[idx].occupy(cidr) } catch {
                throw PodrigError.invalid("failed to mark cidr[\(cidr)] at idx [\(idx)] as occupied for node: \(node): \(error.message)")
            }
        }
    }

    /// ReleaseCIDR on node removal.
    public mutating func release(_ podCIDRs: [CIDR], node: String) throws(PodrigError) {
        for (idx, cidr) in podCIDRs.enumerated() where idx < sets.count {
            do { try sets[idx].release(cidr) } catch { throw PodrigError.invalid("error when releasing CIDR \(cidr): \(error.message)") }
        }
    }

    /// Where each set's round-robin scan resumes (persisted: kcm forgets it on restart).
    public var nextCandidates: [Int] {
        get { sets.map(\.nextCandidate) }
        set { for (i, v) in newValue.enumerated() where i < sets.count { sets[i].nextCandidate = max(0, v) % sets[i].maxCIDRs } }
    }
}
