#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

/// Configs that need a gateway, forwarding or iptables run inside a throwaway node netns: podrig
/// is run there with nsenter (the pins stay in the host's /run/netns).
@Suite(.enabled(if: isRoot)) struct CNINodeTests {
    func gatewayBridge(_ env: CNITestEnv, v6: Bool = false) -> String {
        #"{"type":"bridge","bridge":"\#(env.bridge)","isGateway":true,"ipMasq":true,"ipam":\#(env.ipam(v6: v6))}"#
    }

    /// runp in the node, `check` while it runs, then stopp + rmp and a clean machine.
    func lifecycle(_ env: CNITestEnv, pod extra: String = "", runErr: (String) -> Void = { _ in }, check: (String, [String]) throws -> Void) throws {
        let run = env.cli("runp \(writePod(env, "n\(env.x)", extra: extra))")
        #expect(run.code == 0, "\(run.err)")
        runErr(run.err)
        let id = run.out.trimmed
        guard Identifiers.isHexID(id) else { return }
        env.sandboxIDs.append(id)
        let record = try SandboxStore(root: env.root.path).load(id)
        try check(id, record.podIPs)
        let stop = env.cli("stopp \(id)")
        #expect(stop.code == 0, "\(stop.err)")
        #expect(env.cli("rmp \(id)").code == 0)
        LeakCheck.cniSandboxGone(record, env: env)
    }

    @Test func embeddedDefaultNetworkWhenNothingIsInstalled() throws {
        let env = CNITestEnv(21, node: true)
        let leaseDir = "/var/lib/cni/networks/podrig"
        func leases() -> Set<String> { Set(((try? Files.list(leaseDir)) ?? []).filter { IPAddress.family($0) != nil }) }
        let before = leases()
        // Forwarding is off in the fresh node netns, yet it is not the host's: no notice.
        #expect(env.inNode("cat /proc/sys/net/ipv4/ip_forward").out.trimmed == "0")
        try lifecycle(env, runErr: { err in
            #expect(!err.contains("built-in network turns on"), "\(err)")
        }) { id, ips in
            #expect(ips.count == 2 && ips[0].hasPrefix("10.88.") && ips[1].hasPrefix("fd00:88::"), "\(ips)")
            #expect(Set(CNITestEnv.addresses(netns: NetnsPin.name(for: id))) == Set(ips))
            #expect(env.inNode("ip -o addr show podrig0").out.contains("10.88.0.1/16"))
            #expect(leases().subtracting(before) == Set(ips))
            #expect(sh("ip -n \(NetnsPin.name(for: id)) -4 route show default").out.contains("via 10.88.0.1"))
        }
        #expect(leases().subtracting(before).isEmpty)
        if before.isEmpty, leases().isEmpty {
            try? Files.removeTree(leaseDir)
            rmdir("/var/lib/cni/networks"); rmdir("/var/lib/cni")  // only if empty
        }
        #expect(sh("\(TestBinaries.podrig) net default").out.contains("\"podrig0\""))
        #expect(sh("\(TestBinaries.podrig) net default --write --cni-conf-dir \(env.confDir)").code == 0)
        #expect(try CNIDiscovery(confDir: env.confDir).select([])[0].source.hasSuffix("10-podrig.conflist"))
    }

    /// `podrig net default --ipam podrig`: the built-in network with podrig-ipam (its dataDir
    /// moved into the test's own directory) brings a pod up and down and frees its lease.
    @Test func embeddedDefaultNetworkWithPodrigIPAM() throws {
        let env = CNITestEnv(27, node: true, ipam: .podrig)
        let text = sh("\(TestBinaries.podrig) net default --ipam podrig").out
        #expect(text.contains(#""type": "podrig-ipam","#) && !text.contains("host-local"), "\(text)")
        env.write("10-podrig.conflist", text.replacing(#""type": "podrig-ipam","#, with: #""type": "podrig-ipam", "dataDir": "\#(env.ipamDir)","#))
        try lifecycle(env) { id, ips in
            #expect(ips.count == 2 && ips[0].hasPrefix("10.88.") && ips[1].hasPrefix("fd00:88::"), "\(ips)")
            #expect(Set(CNITestEnv.addresses(netns: NetnsPin.name(for: id))) == Set(ips))
            #expect(Set(env.leases("podrig")) == Set(ips), "\(env.leases("podrig")) vs \(ips)")
        }
        #expect(env.leases("podrig").isEmpty)
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func ptp(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(22, node: true, ipam: ipam)
        env.conflist([#"{"type":"ptp","ipMasq":false,"ipam":\#(env.ipam())}"#])
        try lifecycle(env) { id, ips in
            #expect(ips.count == 2 && Set(CNITestEnv.addresses(netns: NetnsPin.name(for: id))) == Set(ips))
            #expect(env.inNode("ip -4 route").out.contains(ips[0]))
        }
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func portmapWithPortMappings(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(23, node: true, ipam: ipam)
        env.conflist([gatewayBridge(env), #"{"type":"portmap","capabilities":{"portMappings":true},"snat":true}"#])
        try lifecycle(env, pod: #","port_mappings":[{"container_port":80,"host_port":\#(18000 + env.x),"protocol":"TCP"}]"#) { _, ips in
            let nat = env.inNode("iptables -t nat -S").out
            #expect(nat.contains("--dport \(18000 + env.x)") && nat.contains("\(ips[0]):80"), "\(nat)")
        }
        #expect(!env.inNode("iptables -t nat -S").out.contains("\(18000 + env.x)"))
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func bandwidth(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(24, node: true, ipam: ipam)
        env.conflist([gatewayBridge(env), #"{"type":"bandwidth","capabilities":{"bandwidth":true}}"#])
        try lifecycle(env, pod: #","annotations":{"kubernetes.io/ingress-bandwidth":"1M","kubernetes.io/egress-bandwidth":"2M"}"#) { _, _ in
            let qdiscs = env.inNode("tc qdisc show").out
            #expect(qdiscs.contains("tbf"), "\(qdiscs)")
        }
        #expect(!env.inNode("ip -o link show type ifb").out.contains("bwp"))
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func firewall(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(25, node: true, ipam: ipam)
        env.conflist([gatewayBridge(env), #"{"type":"firewall","backend":"iptables"}"#])
        try lifecycle(env) { _, ips in
            #expect(env.inNode("iptables -S").out.contains(ips[0]))
        }
        #expect(!env.inNode("iptables -S").out.contains("10.88.\(env.x)."))
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func chainOfSeveralPlugins(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(26, node: true, ipam: ipam)
        env.conflist([
            #"{"type":"loopback"}"#, gatewayBridge(env),
            #"{"type":"tuning","sysctl":{"net.ipv4.conf.eth0.accept_redirects":"0"}}"#,
            #"{"type":"portmap","capabilities":{"portMappings":true}}"#,
            #"{"type":"bandwidth","capabilities":{"bandwidth":true}}"#,
            #"{"type":"firewall"}"#,
        ])
        try lifecycle(env, pod: #","port_mappings":[{"container_port":8080,"host_port":\#(18000 + env.x)}],"annotations":{"kubernetes.io/ingress-bandwidth":"10M"}"#) { id, ips in
            #expect(ips.count == 1 && Set(CNITestEnv.addresses(netns: NetnsPin.name(for: id))) == Set(ips))
            #expect(env.inNode("iptables -t nat -S").out.contains("\(18000 + env.x)"))
            // No CHECK here: portmap 1.1.1's CHECK also looks for its chain in ip6tables and fails.
            let trace = env.cli("trace \(id)", cniFlags: false).out
            for p in ["loopback", "bridge", "tuning", "portmap", "bandwidth", "firewall"] { #expect(trace.contains("ADD \(p)")) }
        }
        #expect(!env.inNode("iptables -t nat -S").out.contains("\(18000 + env.x)"))
    }
}
