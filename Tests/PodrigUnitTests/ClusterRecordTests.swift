import PodrigCluster
import PodrigCore
import Testing

/// The cluster record round-trips; the node agent's files are flannel's and the bridge plugin's formats.
@Suite struct ClusterRecordTests {
    func record() throws -> ClusterRecord {
        let config = try NodeIPAMConfig.validate(.init(clusterCIDR: "10.0.0.0/16,fd00:10::/56", serviceClusterIPRange: "10.0.255.0/24"))
        var r = ClusterRecord(name: "demo", ipam: config, underlay: [try CIDR.parse("172.18.0.0/16"), try CIDR.parse("fc00::/64")], createdAt: 1)
        var a = try r.allocator()
        let al = try a.allocate()
        r.nodes = [NodeRecord(name: "node-1", phase: .ready, slot: 0, podCIDRs: al.podCIDRs, indexes: al.indexes, ips: ["172.18.0.2", "fc00::2"], createdAt: 2)]
        r.nextCandidates = a.nextCandidates
        r.phase = .ready
        return r
    }

    @Test func roundTripsAndRebuildsTheAllocator() throws {
        let r = try record()
        let back = try ClusterRecord(json: try JSONParser.parse(r.json.pretty), source: "t")
        #expect(back == r)
        var a = try back.allocator()
        // node-1 holds block 0, the service range block 255: the next node gets block 1.
        #expect(try a.allocate().podCIDRs.map(\.description) == ["10.0.1.0/24", "fd00:10:0:1::/64"])
        #expect(a.sets[0].used.contains(255))
    }

    @Test func subnetEnvIsFlannels() throws {
        let r = try record()
        #expect(NodeAgent.subnetEnv(r, r.nodes[0]) == """
            FLANNEL_NETWORK=10.0.0.0/16
            FLANNEL_SUBNET=10.0.0.1/24
            FLANNEL_IPV6_NETWORK=fd00:10::/56
            FLANNEL_IPV6_SUBNET=fd00:10::1/64
            FLANNEL_MTU=1500
            FLANNEL_IPMASQ=false

            """)
    }

    @Test func conflistIsBridgePlusPodrigIPAMOnThePodCIDRs() throws {
        let r = try record()
        let c = NodeAgent.conflist(r, r.nodes[0], ipamDirectory: "/x/ipam")
        let bridge = c["plugins"]?[0]
        #expect(c["name"]?.string == "demo" && bridge?["type"]?.string == "bridge" && bridge?["isGateway"] == .bool(true))
        #expect(bridge?["ipam"]?["ranges"]?.compact == #"[[{"subnet":"10.0.0.0/24"}],[{"subnet":"fd00:10::/64"}]]"#)
        #expect(bridge?["ipam"]?["dataDir"]?.string == "/x/ipam")
        #expect(bridge?["ipam"]?["type"]?.string == "podrig-ipam" && bridge?["ipam"]?["reservation"]?["ttl"]?.string == NodeAgent.reservationTTL)
    }

    /// cluster create --reservation-ttl: recorded (a record from before it means the default), in
    /// the node conflists, and 0 means no reservation at all.
    @Test func reservationTTLIsTheClustersOwn() throws {
        var r = try record()
        r.reservationTTL = "36h"
        let back = try ClusterRecord(json: try JSONParser.parse(r.json.pretty), source: "t")
        #expect(back.reservationTTL == "36h" && r.json["reservationTTL"]?.string == "36h")
        #expect(NodeAgent.conflist(r, r.nodes[0], ipamDirectory: "/x")["plugins"]?[0]?["ipam"]?["reservation"]?["ttl"]?.string == "36h")
        var old = r.json
        old["reservationTTL"] = nil
        #expect(try ClusterRecord(json: old, source: "t").reservationTTL == NodeAgent.reservationTTL)
        r.reservationTTL = "0"
        #expect(NodeAgent.conflist(r, r.nodes[0], ipamDirectory: "/x")["plugins"]?[0]?["ipam"]?["reservation"] == nil)
    }

    @Test(arguments: ["{}", #"{"name":"x","phase":"ready","clusterCIDRs":["10.0.0.0/16"],"nodeCIDRMaskSizes":[]}"#,
                      #"{"name":"x","phase":"odd","clusterCIDRs":[],"nodeCIDRMaskSizes":[]}"#])
    func badRecordsAreErrors(_ text: String) throws {
        #expect(throws: PodrigError.self) { try ClusterRecord(json: try JSONParser.parse(text), source: "t") }
    }
}
