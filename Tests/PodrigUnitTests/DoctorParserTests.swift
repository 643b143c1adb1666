import PodrigDoctor
import PodrigSandbox
import Testing

@Suite struct DoctorParserTests {
    @Test func leaseFiles() {
        #expect(HostState.parseLease("abc\r\neth0")! == ("abc", "eth0"))
        #expect(HostState.parseLease("abc\n")! == ("abc", nil))
        #expect(HostState.parseLease("") == nil)
        #expect(!HostState.isLeaseFile("lock") && !HostState.isLeaseFile("last_reserved_ip.0"))
        #expect(HostState.isLeaseFile("10.90.0.2"))
    }

    @Test func iptablesComments() {
        let text = """
            :CNI-0a1b2c3d4e5f60718293a4b5 - [0:0]
            -A POSTROUTING -s 10.90.0.2/32 -m comment --comment "name: \\"bench\\" id: \\"1234abcd\\"" -j CNI-0a1b2c3d4e5f60718293a4b5
            -A CNI-0a1b2c3d4e5f60718293a4b5 -d 10.90.0.0/16 -m comment --comment "name: \\"bench\\" id: \\"1234abcd\\"" -j ACCEPT
            -A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"bench\\" id: \\"feed\\"" -m multiport --dports 80 -j CNI-DN-xyz
            -A INPUT -j ACCEPT
            """
        let ids = HostState.parseIptables(text)
        #expect(ids.keys.sorted() == ["1234abcd", "feed"])
        #expect(ids["1234abcd"]?.first == "POSTROUTING -j CNI-0a1b2c3d4e5f60718293a4b5")
        #expect(ids["feed"] == ["CNI-HOSTPORT-DNAT -j CNI-DN-xyz"])
    }

    @Test func links() {
        let text = """
            [{"ifindex":5,"ifname":"veth1","link_netnsid":3,"master":"pr-bench0","linkinfo":{"info_kind":"veth"}},
             {"ifindex":4,"ifname":"pr-bench0","linkinfo":{"info_kind":"bridge"}}]
            """
        let links = HostState.parseLinks(text)
        #expect(links.count == 2)
        #expect(links[0].peerNetnsID == 3 && links[0].master == "pr-bench0" && links[0].kind == "veth")
        #expect(HostState.parseNetnsIDs(#"[{"name":"podrig-abc","id":3},{"name":"x"}]"#) == [3: "podrig-abc"])
    }

    @Test func supervisorPlanPath() {
        let id = String(repeating: "ab", count: 32)
        let p = SandboxProcess(kind: .supervisor, identity: .init(pid: 1, startTime: 1), sandboxDirectory: "/run/x/sandboxes/\(id)")
        #expect(p.sandboxID == id && p.root == "/run/x")
    }
}
