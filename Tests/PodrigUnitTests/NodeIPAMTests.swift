import PodrigCluster
import PodrigCore
import Testing

/// The allocator against kube-controller-manager's own cases (cidrset/cidr_set_test.go,
/// core_test.go's mask rules), plus the flag validation kcm applies before it.
@Suite struct NodeIPAMTests {
    func set(_ cidr: String, _ mask: Int) throws -> CIDRSet { try CIDRSet(cluster: CIDR.parse(cidr), nodeMask: mask) }

    /// A damaged cluster record's mask is refused, not an overflow (mask - prefix trapped).
    @Test func absurdMasksRefused() {
        for cluster in ["10.0.0.0/8", "beef:1234::/30"] {
            for mask in [Int.min, -1, Int.max] { #expect(throws: PodrigError.self) { try set(cluster, mask) } }
        }
    }

    @Test(arguments: [("127.123.234.0/30", 30, "127.123.234.0/30"), ("beef:1234::/30", 30, "beef:1234::/30")])
    func fullyAllocated(_ cluster: String, _ mask: Int, _ expected: String) throws {
        var a = try set(cluster, mask)
        let p = try a.allocateNext().cidr
        #expect(p.description == expected)
        #expect(throws: PodrigError.self) { try a.allocateNext() }
        try a.release(p)
        #expect(try a.allocateNext().cidr.description == expected)
        #expect(throws: PodrigError.self) { try a.allocateNext() }
    }

    @Test(arguments: [
        ("127.123.3.0/16", 24, 0, "127.123.0.0/24"),
        ("127.123.0.0/16", 24, 15, "127.123.15.0/24"),
        ("192.168.5.219/28", 32, 5, "192.168.5.213/32"),
        ("2001:0db8:1234:3::/48", 64, 0, "2001:db8:1234::/64"),
        ("2001:0db8:1234::/48", 64, 15, "2001:db8:1234:f::/64"),
        ("2001:0db8:85a3::8a2e:0370:7334/50", 63, 6425, "2001:db8:85a3:3232::/63"),
        ("2001:0db8::/32", 48, 0, "2001:db8::/48"),
        ("2001:0db8::/32", 48, 15, "2001:db8:f::/48"),
        ("2001:0db8:85a3::8a2e:0370:7334/32", 48, 6425, "2001:db8:1919::/48"),
        ("2001:0db8:1234:ff00::/56", 72, 0, "2001:db8:1234:ff00::/72"),
        ("2001:0db8:1234:ff00::/56", 72, 15, "2001:db8:1234:ff00:f00::/72"),
        ("2001:0db8:1234:ff00::0370:7334/56", 72, 6425, "2001:db8:1234:ff19:1900::/72"),
        ("2001:0db8:1234:0:1234::/80", 96, 0, "2001:db8:1234:0:1234::/96"),
        ("2001:0db8:1234:0:1234::/80", 96, 15, "2001:db8:1234:0:1234:f::/96"),
        ("2001:0db8:1234:ff00::0370:7334/80", 96, 6425, "2001:db8:1234:ff00:0:1919::/96"),
    ])
    func indexToCIDRBlock(_ cluster: String, _ mask: Int, _ index: Int, _ block: String) throws {
        #expect(try set(cluster, mask).block(index).description == block)
    }

    @Test(arguments: ["127.123.234.0/16", "beef:1234::/16"])
    func releaseAllThenReallocateSameCollection(_ cluster: String) throws {
        var a = try set(cluster, 24)
        let first = try (0..<256).map { _ in try a.allocateNext().cidr }
        #expect(throws: PodrigError.self) { try a.allocateNext() }
        for c in first { try a.release(c) }
        let again = try (0..<256).map { _ in try a.allocateNext().cidr }
        #expect(throws: PodrigError.self) { try a.allocateNext() }
        #expect(Set(first) == Set(again))
        #expect(again == first)  // the scan wrapped to 0: same order
    }

    @Test(arguments: ["127.123.234.0/16", "beef:1234::/16"])
    func allocationOccupied(_ cluster: String) throws {
        var a = try set(cluster, 24)
        let all = try (0..<256).map { _ in try a.allocateNext().cidr }
        for c in all { try a.release(c) }
        for c in all[128...] { try a.occupy(c) }
        try a.occupy(all[128])
        let again = try (0..<128).map { _ in try a.allocateNext().cidr }
        #expect(throws: PodrigError.self) { try a.allocateNext() }
        #expect(again + all[128...] == all)
    }

    @Test func doubleOccupyRelease() throws {
        var a = try set("10.42.0.0/16", 24)
        let ops: [(String, Bool, Int)] = [
            ("10.42.5.0/24", true, 1), ("10.42.9.0/24", true, 2), ("10.42.8.0/22", true, 5), ("10.42.9.0/24", true, 5),
            ("10.42.9.0/24", false, 4), ("10.42.9.0/24", false, 4), ("10.42.4.0/22", false, 3),
        ]
        for (cidr, occupy, n) in ops {
            if occupy { try a.occupy(CIDR.parse(cidr)) } else { try a.release(CIDR.parse(cidr)) }
            #expect(a.allocatedCIDRs == n)
        }
        for _ in 0..<(256 - 3) { _ = try a.allocateNext() }
        #expect(throws: PodrigError.self) { try a.allocateNext() }
    }

    @Test(arguments: [
        ("127.0.0.0/8", 16, "127.0.0.0/16", 0), ("be00::/8", 16, "be00::/16", 0),
        ("127.0.0.0/8", 16, "127.123.0.0/16", 123), ("be00::/8", 16, "beef::/16", 0xef),
        ("127.0.0.0/8", 16, "127.168.0.0/16", 168), ("be00::/8", 16, "be68::/16", 0x68),
        ("127.0.0.0/8", 16, "127.224.0.0/16", 224), ("be00::/8", 16, "be24::/16", 0x24),
        ("192.168.0.0/16", 24, "192.168.12.0/24", 12), ("beef::/16", 24, "beef:1200::/24", 0x12),
        ("192.168.0.0/16", 24, "192.168.151.0/24", 151), ("beef::/16", 24, "beef:9700::/24", 0x97),
    ])
    func indexForCIDR(_ cluster: String, _ mask: Int, _ sub: String, _ bit: Int) throws {
        #expect(try set(cluster, mask).index(of: CIDR.parse(sub).network) == bit)
    }

    @Test(arguments: [("192.168.0.0/16", "127.168.224.0/24"), ("beef::/16", "2001:db00::/24")])
    func indexOutOfRange(_ cluster: String, _ sub: String) throws {
        let a = try set(cluster, 24)
        #expect(throws: PodrigError.self) { try a.index(of: CIDR.parse(sub).network) }
    }

    @Test(arguments: [
        ("127.0.0.0/8", 16, "127.0.0.0/8", 0, 255), ("2001:beef:1200::/40", 48, "2001:beef:1200::/40", 0, 255),
        ("127.0.0.0/8", 16, "127.0.0.0/2", 0, 255), ("2001:beef:1200::/40", 48, "2001:beef:1234::/34", 0, 255),
        ("127.0.0.0/8", 16, "127.0.0.0/16", 0, 0), ("2001:beef:1200::/40", 48, "2001:beef:1200::/48", 0, 0),
        ("127.0.0.0/8", 32, "127.0.0.0/16", 0, 65535), ("2001:beef:1200::/48", 64, "2001:beef:1200::/48", 0, 65535),
        ("127.0.0.0/7", 16, "127.0.0.0/15", 256, 257), ("2001:beef:7f00::/39", 48, "2001:beef:7f00::/47", 256, 257),
        ("127.0.0.0/7", 15, "127.0.0.0/15", 128, 128), ("2001:beef:7f00::/39", 47, "2001:beef:7f00::/47", 128, 128),
        ("127.0.0.0/7", 18, "127.0.0.0/15", 1024, 1031), ("2001:beef:7f00::/39", 50, "2001:beef:7f00::/47", 1024, 1031),
    ])
    func occupy(_ cluster: String, _ mask: Int, _ sub: String, _ begin: Int, _ end: Int) throws {
        var a = try set(cluster, mask)
        try a.occupy(CIDR.parse(sub))
        #expect(a.used == Set(begin...end))
    }

    @Test func ipv6SubnetMaxDiff() throws {
        #expect(throws: PodrigError.self) { try set("beef:1234::/32", 49) }
        var ok = try set("beef:1234::/32", 48)
        #expect(ok.maxCIDRs == 65536)
        var a = try set("127.0.0.0/8", 32)
        #expect(try a.allocateNext().cidr.description == "127.0.0.0/32")
        #expect(try a.allocateNext().cidr.description == "127.0.0.1/32")
        var b = try set("2001:beef:1234:369b::/60", 64)
        #expect(try b.allocateNext().cidr.description == "2001:beef:1234:3690::/64")
        #expect(try b.allocateNext().cidr.description == "2001:beef:1234:3691::/64")
        _ = try ok.allocateNext()
    }

    @Test func occupyHalfThenAllocateSkipsIt() throws {
        var a = try set("10.0.0.0/16", 24)
        try a.occupy(CIDR.parse("10.0.0.0/17"))
        #expect(a.allocatedCIDRs == 128)
        #expect(try a.allocateNext().cidr.description == "10.0.128.0/24")
    }

    @Test func roundRobinAfterRelease() throws {
        var a = try set("10.0.0.0/22", 24)
        let c0 = try a.allocateNext().cidr, c1 = try a.allocateNext().cidr
        try a.release(c0)
        // The released block waits until the scan wraps.
        #expect(try a.allocateNext().cidr.description == "10.0.2.0/24")
        #expect(try a.allocateNext().cidr.description == "10.0.3.0/24")
        #expect(try a.allocateNext().cidr.description == "10.0.0.0/24")
        #expect(c1.description == "10.0.1.0/24")
        do { _ = try a.allocateNext(); Issue.record("expected exhaustion") } catch {
            #expect(error.message == "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range")
        }
    }

    // MARK: the range allocator and the flags

    func ipam(_ f: NodeIPAMConfig.Flags) throws -> NodeIPAM { try NodeIPAM(NodeIPAMConfig.validate(f)) }

    @Test func dualStackPairsInKcmOrder() throws {
        var a = try ipam(.init(clusterCIDR: "10.0.0.0/16,fd00:10::/56"))
        let got = try (0..<3).map { _ in try a.allocate().podCIDRs.map(\.description).joined(separator: ",") }
        #expect(got == ["10.0.0.0/24,fd00:10::/64", "10.0.1.0/24,fd00:10:0:1::/64", "10.0.2.0/24,fd00:10:0:2::/64"])
        var b = try ipam(.init(clusterCIDR: "fd00:10::/56,10.0.0.0/16"))
        #expect(try b.allocate().podCIDRs.map(\.description) == ["fd00:10::/64", "10.0.0.0/24"])
    }

    @Test func serviceRangeIsOccupied() throws {
        var a = try ipam(.init(clusterCIDR: "10.0.0.0/22", serviceClusterIPRange: "10.0.1.0/24"))
        #expect(try a.allocate().podCIDRs[0].description == "10.0.0.0/24")
        #expect(try a.allocate().podCIDRs[0].description == "10.0.2.0/24")
        #expect(try a.allocate().podCIDRs[0].description == "10.0.3.0/24")
        #expect(throws: PodrigError.self) { try a.allocate() }
        // A service range outside the cluster CIDR takes nothing.
        var b = try ipam(.init(clusterCIDR: "10.0.0.0/23", serviceClusterIPRange: "10.96.0.0/12"))
        #expect(try b.allocate().podCIDRs[0].description == "10.0.0.0/24")
        #expect(try b.allocate().podCIDRs[0].description == "10.0.1.0/24")
    }

    @Test func exhaustionNamesTheFamilyAndUndoesTheOther() throws {
        var a = try ipam(.init(clusterCIDR: "10.0.0.0/16,fd00::/63"))
        _ = try a.allocate(); _ = try a.allocate()
        do { _ = try a.allocate(); Issue.record("expected exhaustion") } catch {
            #expect(error.message == "failed to allocate cidr from cluster cidr at idx:1: CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range")
        }
        #expect(a.sets[0].allocatedCIDRs == 2)
    }

    @Test(arguments: [
        (NodeIPAMConfig.Flags(clusterCIDR: "10.0.0.0/16,10.1.0.0/16"), "len of ClusterCIDRs==2 and they are not configured as dual stack (at least one from each IPFamily"),
        (.init(clusterCIDR: "10.0.0.0/16,fd00::/48,10.1.0.0/16"), "length of clusterCIDRs is:3 more than max allowed of 2"),
        (.init(clusterCIDR: "10.0.0/16"), "failed to parse cidr value:\"10.0.0/16\" with error:invalid CIDR address: 10.0.0/16"),
        (.init(clusterCIDR: "10.0.0.0/16,fd00::/48", nodeCIDRMaskSize: 24), "usage of --node-cidr-mask-size is not allowed with dual-stack clusters"),
        (.init(clusterCIDR: "10.0.0.0/16", nodeCIDRMaskSize: 24, nodeCIDRMaskSizeIPv4: 25), "usage of --node-cidr-mask-size-ipv4 and --node-cidr-mask-size-ipv6 is not allowed if --node-cidr-mask-size is set. For dual-stack clusters please unset it and use IPFamily specific flags"),
        (.init(clusterCIDR: "fd00::/48", nodeCIDRMaskSizeIPv4: 24), "usage of --node-cidr-mask-size-ipv4 is not allowed for a single-stack IPv6 cluster"),
        (.init(clusterCIDR: "10.0.0.0/16", nodeCIDRMaskSizeIPv6: 64), "usage of --node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster"),
        (.init(clusterCIDR: "10.0.0.0/25"), "Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family"),
        (.init(clusterCIDR: "10.0.0.0/16,fd00::/40"), "New CIDR set failed; the node CIDR size is too big"),
        (.init(clusterCIDR: "10.0.0.0/16", serviceClusterIPRange: "10.96.0.0/12,10.97.0.0/16"), "serviceCIDR and secondaryServiceCIDR are not dualstack (from different IPfamiles)"),
    ])
    func kcmValidationErrors(_ flags: NodeIPAMConfig.Flags, _ kcm: String) {
        do { _ = try NodeIPAMConfig.validate(flags); Issue.record("expected: \(kcm)") } catch {
            #expect(error.message.hasSuffix(": " + kcm), "\(error.message)")
            #expect(error.message.hasPrefix("--"))
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func masksAndDefaults() throws {
        let c = try NodeIPAMConfig.validate(.init(clusterCIDR: "fd00::/48,10.0.0.0/8", nodeCIDRMaskSizeIPv4: 16, nodeCIDRMaskSizeIPv6: 60))
        #expect(c.nodeMasks == [60, 16])
        #expect(try NodeIPAMConfig.validate(.init(clusterCIDR: "10.0.0.0/8")).nodeMasks == [24])
        #expect(try NodeIPAMConfig.validate(.init(clusterCIDR: "fd00::/48", nodeCIDRMaskSize: 56)).nodeMasks == [56])
        // kcm checks the 16-bit limit for IPv6 only.
        #expect(try NodeIPAMConfig.validate(.init(clusterCIDR: "10.0.0.0/12", nodeCIDRMaskSizeIPv4: 30)).nodeMasks == [30])
    }

    @Test func restoreKeepsEveryNodesBlocks() throws {
        var a = try ipam(.init(clusterCIDR: "10.0.0.0/22"))
        try a.occupy([CIDR.parse("10.0.1.0/24")], node: "n1")
        #expect(try a.allocate().podCIDRs[0].description == "10.0.0.0/24")
        #expect(try a.allocate().podCIDRs[0].description == "10.0.2.0/24")
        #expect(throws: PodrigError.self) { try a.occupy([CIDR.parse("10.9.0.0/24")], node: "n9") }
    }

    @Test func hostileSizesAreRefusedNotScanned() {
        #expect(throws: PodrigError.self) { try NodeIPAMConfig.validate(.init(clusterCIDR: "0.0.0.0/0", nodeCIDRMaskSize: 32, serviceClusterIPRange: "0.0.0.0/1")) }
        #expect(throws: PodrigError.self) { try NodeIPAMConfig.validate(.init(clusterCIDR: "10.0.0.0/8", nodeCIDRMaskSize: 33)) }
        #expect(throws: PodrigError.self) { try NodeIPAMConfig.validate(.init(clusterCIDR: "10.0.0.0/8,,fd00::/48")) }
        #expect(throws: PodrigError.self) { try NodeIPAMConfig.validate(.init(clusterCIDR: "")) }
        #expect(throws: PodrigError.self) { try NodeIPAMConfig.validate(.init(clusterCIDR: String(repeating: "1", count: 100_000))) }
        #expect((try? NodeIPAMConfig.validate(.init(clusterCIDR: "10.0.0.0/8", nodeCIDRMaskSize: 28)))?.nodeMasks == [28])
    }

    @Test(arguments: ["1.2.3.4", "1.2.3.4/33", "::/129", "fd00::1/", "/8", "1.2.3.4/08x", "x/8", " 10.0.0.0/8", "10.0.0.0/-1", "::ffff:1.2.3.4/200"])
    func badCIDRs(_ text: String) {
        #expect(throws: PodrigError.self) { try CIDR.parse(text) }
    }
}
