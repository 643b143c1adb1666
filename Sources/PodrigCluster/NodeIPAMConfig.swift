import PodrigCore

/// kube-controller-manager's node IPAM flags, validated in kcm's order and with kcm's error texts
/// (cmd/kube-controller-manager/app/core.go: validateCIDRs, setNodeCIDRMaskSizes; nodeipam's
/// mask check; cidrset's size limit). Each error is prefixed with the flags and values at fault.
public struct NodeIPAMConfig: Sendable, Equatable {
    public static let defaultMaskIPv4 = 24
    public static let defaultMaskIPv6 = 64
    public static let maxNodeCIDRBits = 20

    /// Cluster CIDRs in flag order (kcm's order: podCIDRs[i] comes from clusterCIDRs[i]).
    public var clusterCIDRs: [CIDR]
    /// The node mask per cluster CIDR.
    public var nodeMasks: [Int]
    /// --service-cluster-ip-range: occupied in the cluster CIDR it overlaps, never given to a node.
    public var serviceCIDRs: [CIDR]

    public init(clusterCIDRs: [CIDR], nodeMasks: [Int], serviceCIDRs: [CIDR]) {
        self.clusterCIDRs = clusterCIDRs
        self.nodeMasks = nodeMasks
        self.serviceCIDRs = serviceCIDRs
    }

    /// The flags as given; 0 or nil means "not set", as in kcm.
    public struct Flags: Sendable {
        public var clusterCIDR: String
        public var nodeCIDRMaskSize: Int?
        public var nodeCIDRMaskSizeIPv4: Int?
        public var nodeCIDRMaskSizeIPv6: Int?
        public var serviceClusterIPRange: String?

        public init(clusterCIDR: String, nodeCIDRMaskSize: Int? = nil, nodeCIDRMaskSizeIPv4: Int? = nil,
                    nodeCIDRMaskSizeIPv6: Int? = nil, serviceClusterIPRange: String? = nil) {
            self.clusterCIDR = clusterCIDR
            self.nodeCIDRMaskSize = nodeCIDRMaskSize
            self.nodeCIDRMaskSizeIPv4 = nodeCIDRMaskSizeIPv4
            self.nodeCIDRMaskSizeIPv6 = nodeCIDRMaskSizeIPv6
            self.serviceClusterIPRange = serviceClusterIPRange
        }
    }

    public var isDualStack: Bool { clusterCIDRs.count > 1 }

    public static func validate(_ f: Flags) throws(PodrigError) -> NodeIPAMConfig {
        let cc = "--cluster-cidr \(f.clusterCIDR)"
        func fail(_ flags: String, _ kcm: String) -> PodrigError { PodrigError(.invalidInput, "\(flags): \(kcm)") }

        // validateCIDRs
        let clusterCIDRs = try parseList(f.clusterCIDR, flag: cc)
        let dual = isDualStack(clusterCIDRs)
        if clusterCIDRs.count > 1 && !dual {
            throw fail(cc, "len of ClusterCIDRs==\(clusterCIDRs.count) and they are not configured as dual stack (at least one from each IPFamily")
        }
        if clusterCIDRs.count > 2 {
            throw fail(cc, "length of clusterCIDRs is:\(clusterCIDRs.count) more than max allowed of 2")
        }

        // Service CIDR(s): kcm splits the flag into primary and secondary.
        var services: [CIDR] = []
        if let s = f.serviceClusterIPRange?.trimmed, !s.isEmpty {
            let sf = "--service-cluster-ip-range \(s)"
            services = try parseList(s, flag: sf)
            if services.count > 2 { throw fail(sf, "--service-cluster-ip-range can not contain more than two entries") }
            if services.count == 2 && !isDualStack(services) {
                throw fail(sf, "serviceCIDR and secondaryServiceCIDR are not dualstack (from different IPfamiles)")
            }
        }

        // setNodeCIDRMaskSizes
        func set(_ v: Int?) -> Int? { v == 0 ? nil : v }
        let m = set(f.nodeCIDRMaskSize), m4 = set(f.nodeCIDRMaskSizeIPv4), m6 = set(f.nodeCIDRMaskSizeIPv6)
        var v4 = defaultMaskIPv4, v6 = defaultMaskIPv6
        if dual {
            if let m { throw fail("--node-cidr-mask-size \(m) with \(cc)", "usage of --node-cidr-mask-size is not allowed with dual-stack clusters") }
            if let m4 { v4 = m4 }
            if let m6 { v6 = m6 }
        } else {
            let singleV6 = clusterCIDRs[0].family == .ipv6
            if let m {
                if m4 != nil || m6 != nil {
                    throw fail("--node-cidr-mask-size \(m)", "usage of --node-cidr-mask-size-ipv4 and --node-cidr-mask-size-ipv6 is not allowed if --node-cidr-mask-size is set. For dual-stack clusters please unset it and use IPFamily specific flags")
                }
                v4 = m; v6 = m
            } else {
                if let m4 {
                    if singleV6 { throw fail("--node-cidr-mask-size-ipv4 \(m4) with \(cc)", "usage of --node-cidr-mask-size-ipv4 is not allowed for a single-stack IPv6 cluster") }
                    v4 = m4
                }
                if let m6 {
                    if !singleV6 { throw fail("--node-cidr-mask-size-ipv6 \(m6) with \(cc)", "usage of --node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster") }
                    v6 = m6
                }
            }
        }
        let masks = clusterCIDRs.map { $0.family == .ipv4 ? v4 : v6 }
        for (cidr, mask) in zip(clusterCIDRs, masks) {
            let flag = maskFlag(cidr.family, dual: dual, f)
            // Not a kcm check (kcm would compute with a nil mask): a mask longer than the address.
            if mask < 0 || mask > cidr.bits {
                throw fail("\(flag) \(mask)", "must be between 0 and \(cidr.bits) for \(cidr.family.label)")
            }
            // nodeipam.NewNodeIpamController
            if cidr.prefix > mask {
                throw fail("\(cc) with \(flag) \(mask)", "Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family")
            }
            // cidrset.NewCIDRSet
            if cidr.family == .ipv6 && mask - cidr.prefix > CIDRSet.clusterSubnetMaxDiff {
                throw fail("\(cc) with \(flag) \(mask)", CIDRSet.errSubNetTooBig)
            }
            // Not kcm's: podrig keeps the used set in memory and occupies service ranges block by
            // block; past 2^20 node CIDRs (kcm's IPv6 cap is 2^16) that would be a hang, not a cluster.
            if mask - cidr.prefix > maxNodeCIDRBits {
                throw fail("\(cc) with \(flag) \(mask)", "more than 2^\(maxNodeCIDRBits) node CIDRs in \(cidr) (podrig's limit)")
            }
        }
        return NodeIPAMConfig(clusterCIDRs: clusterCIDRs, nodeMasks: masks, serviceCIDRs: services)
    }

    /// The flag that set (or would set) the mask of a family, for messages.
    static func maskFlag(_ family: IPFamilyKind, dual: Bool, _ f: Flags) -> String {
        if !dual, let m = f.nodeCIDRMaskSize, m != 0 { return "--node-cidr-mask-size" }
        return family == .ipv4 ? "--node-cidr-mask-size-ipv4" : "--node-cidr-mask-size-ipv6"
    }

    /// k8s.io/utils/net ParseCIDRs over a comma-separated flag (kcm trims the whole flag only).
    static func parseList(_ text: String, flag: String) throws(PodrigError) -> [CIDR] {
        var out: [CIDR] = []
        for part in text.trimmed.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            do { out.append(try CIDR.parse(part)) } catch {
                throw PodrigError(.invalidInput, "\(flag): failed to parse cidr value:\"\(part)\" with error:\(error.message)")
            }
        }
        return out
    }

    static func isDualStack(_ cidrs: [CIDR]) -> Bool {
        cidrs.contains { $0.family == .ipv4 } && cidrs.contains { $0.family == .ipv6 }
    }

    /// The flags that reproduce this configuration (for `cluster ls` and node YAML).
    public var clusterCIDRText: String { clusterCIDRs.map(\.description).joined(separator: ",") }
}
