#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

/// Real Debian plugins in the host namespace, configs without gateway or masquerade.
@Suite(.enabled(if: isRoot)) struct CNIBridgeTests {
    @Test(arguments: CNITestEnv.IPAMKind.allCases) func dualStackBridgeRecordsEth0AddressesCachesAndReleases(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(11, ipam: ipam)
        env.conflist([#"{"type":"loopback"}"#, env.bridgePlugin()])
        let m = env.manager()
        let r = try m.run(cniPod("ds"))
        let netns = NetnsPin.name(for: r.id)
        #expect(r.podIPs.count == 2)
        #expect(IPAddress.family(r.podIPs[0]) == 4 && IPAddress.family(r.podIPs[1]) == 6)
        #expect(Set(CNITestEnv.addresses(netns: netns)) == Set(r.podIPs))
        #expect(env.leases().sorted() == r.podIPs.sorted())
        let entryPath = env.cacheDir + "/results/\(env.name)-\(r.id)-eth0"
        let entry = try JSONParser.parse(bytes: try Files.read(entryPath))
        #expect(entry["kind"] == "cniCacheV1" && entry["containerId"]?.string == r.id && entry["ifName"] == "eth0")
        #expect(entry["cniArgs"]?[3]?[1]?.string == r.id)
        // The state keeps what DEL needs, so a changed conf dir does not matter.
        try Files.remove(env.confDir + "/10-\(env.name).conflist")
        let trace = try CNITrace.read(m.store.directory(r.id) + "/cni-trace.jsonl")
        #expect(trace.map { $0["plugin"]?.string ?? "" } == ["loopback", "bridge"])
        #expect(trace[1]["env"]?.array?.contains("CNI_IFNAME=eth0") == true)
        try m.stop(r.id)
        #expect(env.leases().isEmpty && env.cacheEntries().isEmpty)
        try m.stop(r.id)  // idempotent
        try m.remove(r.id, force: false)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func ipv6PrimaryFamilyAndPodsShowsBoth(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(29, ipam: ipam)
        env.conflist([env.bridgePlugin()])
        let m = env.manager { $0.preferIPv6 = true }
        let r = try m.run(cniPod("v6first"))
        #expect(IPAddress.family(r.podIPs.first ?? "") == 6 && r.podIPs.count == 2)
        let pods = podrig("pods -o json", root: env.root).out
        #expect(pods.contains(r.podIPs[0]) && pods.contains(r.podIPs[1]))
        try m.remove(r.id, force: true)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test func networkNoneAttachesNothing() throws {
        let env = CNITestEnv(41)
        env.conflist([env.bridgePlugin(v6: false)])
        // podrig() runs with PODRIG_NETWORK=none.
        let flags = "--cni-conf-dir \(env.confDir) --cni-cache-dir \(env.cacheDir)"
        let run = podrig("runp \(flags) \(writePod(env, "none"))", root: env.root)
        #expect(run.code == 0, "\(run.err)")
        let id = run.out.trimmed
        env.sandboxIDs.append(id)
        #expect(env.cacheEntries().isEmpty && env.leases().isEmpty)
        #expect(CNITestEnv.addresses(netns: NetnsPin.name(for: id)).isEmpty)
        // Whatever the options at stopp, a sandbox without CNI state gets no DEL.
        #expect(env.cli("rmp -f \(id)").code == 0)
        #expect(!((try? Files.readString(env.root.path + "/sandboxes/\(id)/cni-trace.jsonl")) ?? "").contains("DEL"))
        env.expectClean()
    }

    @Test func loopbackOnlyNetworkHasNoPodIPs() throws {
        let env = CNITestEnv(17)
        env.conflist([#"{"type":"loopback"}"#])
        let m = env.manager()
        let r = try m.run(cniPod("lo"))
        #expect(r.podIPs.isEmpty)
        #expect(sh("ip -n \(NetnsPin.name(for: r.id)) -o link show lo").out.contains("UP"))
        try m.remove(r.id, force: true)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func twoNetworksGetEth0AndNet1(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(12, ipam: ipam)
        env.conflist([env.bridgePlugin(v6: false)])
        env.conflist([env.bridgePlugin(v6: false, bridge: env.bridge + "b", subnet: env.x + 1)], name: env.name + "b")
        let m = env.manager { $0.networks = [env.name, env.name + "b"] }
        let r = try m.run(cniPod("two"))
        let netns = NetnsPin.name(for: r.id)
        #expect(CNITestEnv.addresses(netns: netns, ifName: "eth0").first?.hasPrefix("10.88.\(env.x).") == true)
        #expect(CNITestEnv.addresses(netns: netns, ifName: "net1").first?.hasPrefix("10.88.\(env.x + 1).") == true)
        #expect(r.podIPs.count == 1 && r.podIPs[0].hasPrefix("10.88.\(env.x)."))
        #expect(env.cacheEntries().count == 2)
        try m.remove(r.id, force: true)
        #expect(env.leases(env.name + "b").isEmpty)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func singleConfFileIsUpgradedAndNamedNetworkChosen(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(14, ipam: ipam)
        env.write("05-other.conf", #"{"cniVersion":"0.4.0","name":"pr-c14-unused","type":"loopback"}"#)
        env.write("20-mine.conf", #"{"cniVersion":"0.4.0","name":"\#(env.name)",\#(env.bridgePlugin(v6: false).dropFirst())"#)
        let m = env.manager { $0.networks = [env.name] }
        let r = try m.run(cniPod("conf"))
        #expect(r.podIPs.first?.hasPrefix("10.88.\(env.x).") == true)
        // CHECK through inspectp (0.4.0 has CHECK).
        let check = podrig("inspectp --check \(env.cniFlags) \(r.id)", root: env.root)
        #expect(check.code == 0, "\(check.err)")
        #expect(check.out.contains("\"result\": \"passed\""))
        try m.remove(r.id, force: true)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test func staticIPAMWithTuningAndIPsCapability() throws {
        let env = CNITestEnv(15)
        let staticIPAM = #"{"type":"static","addresses":[{"address":"10.88.15.7/24"}]}"#
        env.conflist([
            #"{"type":"bridge","bridge":"\#(env.bridge)","isGateway":false,"ipam":\#(staticIPAM)}"#,
            #"{"type":"tuning","sysctl":{"net.ipv4.conf.eth0.rp_filter":"2"},"mtu":1400,"capabilities":{"mac":true}}"#,
        ])
        let m = env.manager()
        let r = try m.run(cniPod("static", annotations: ["podrig.io/mac": "02:88:15:00:00:07"]))
        let netns = NetnsPin.name(for: r.id)
        #expect(r.podIPs == ["10.88.15.7"])
        let link = sh("ip -n \(netns) -o link show eth0").out
        #expect(link.contains("mtu 1400") && link.contains("02:88:15:00:00:07"), "\(link)")
        #expect(sh("ip netns exec \(netns) cat /proc/sys/net/ipv4/conf/eth0/rp_filter").out.trimmed == "2")
        try m.remove(r.id, force: true)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func gcReleasesLeasesOfASandboxKilledMidLife(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(18, ipam: ipam)
        env.conflist([#"{"type":"loopback"}"#, env.bridgePlugin()])
        let m = env.manager()
        let r = try m.run(cniPod("crash"))
        #expect(env.leases().count == 2 && env.cacheEntries().count == 1)
        // Another root's attachment must survive our gc.
        let other = CNITestEnv(30, ipam: ipam)
        other.conflist([other.bridgePlugin(v6: false)])
        kill(r.pause!.pid, SIGKILL)
        try Files.removeTree(m.store.directory(r.id))
        let gc = podrig("gc \(env.cniFlags)", root: env.root)
        #expect(gc.code == 0, "\(gc.err)")
        #expect(gc.out.contains("Deleted CNI attachment \(env.name)/\(r.id)/eth0"))
        #expect(env.leases().isEmpty && env.cacheEntries().isEmpty)
        #expect(!Files.exists(r.netnsPath!))
        let again = podrig("gc \(env.cniFlags)", root: env.root)
        #expect(again.code == 0 && again.out.isEmpty)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func gcKeepsLiveSandboxes(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(31, ipam: ipam)
        env.conflist([env.bridgePlugin(v6: false)])
        let m = env.manager()
        let r = try m.run(cniPod("alive"))
        let gc = podrig("gc \(env.cniFlags)", root: env.root)
        #expect(gc.code == 0 && gc.out.isEmpty, "\(gc)")
        #expect(env.leases().count == 1)
        try m.remove(r.id, force: true)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func cnitoolVerbsOnANetnsPath(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(19, ipam: ipam)
        env.conflist([env.bridgePlugin()], version: "0.4.0")
        let ns = "pr-cns\(env.x)"
        sh("ip netns del \(ns) 2>/dev/null; ip netns add \(ns)")
        defer { sh("ip netns del \(ns)") }
        let add = env.cli("cni add /run/netns/\(ns) --network \(env.name) --args 'IgnoreUnknown=1;FOO=1'")
        #expect(add.code == 0, "\(add.err)")
        let result = try JSONParser.parse(add.out)
        #expect(result["cniVersion"] == "0.4.0" && result["ips"]?.array?.count == 2)
        #expect(Set(CNITestEnv.addresses(netns: ns)) == Set(try CNIResult.parse(result, configVersion: "0.4.0").sandboxIPs(ifName: "eth0")))
        #expect(env.cli("cni check /run/netns/\(ns) --network \(env.name)").out.contains("CHECK passed"))
        let status = env.cli("cni status")
        #expect(status.code == 0 && status.out.contains(env.name), "\(status)")
        let version = env.cli("cni version --network \(env.name)")
        #expect(version.code == 0 && version.out.contains("1.0.0") && version.out.contains("(ok)"), "\(version)")
        // cni gc (cnitool semantics) keeps what --valid names, DELs the rest.
        let entry = env.cacheEntries().first ?? ""
        let id = String(entry.dropFirst(env.name.count + 1).dropLast(5))
        #expect(env.cli("cni gc --valid \(id)").out.isEmpty)
        #expect(env.leases().count == 2)
        let del = env.cli("cni del /run/netns/\(ns) --network \(env.name)")
        #expect(del.code == 0, "\(del.err)")
        #expect(env.cli("cni del /run/netns/\(ns) --network \(env.name)").code == 0)  // idempotent
        env.expectClean()
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func cniAddOnASandboxIsUndoneByStopp(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(32, ipam: ipam)
        env.conflist([#"{"type":"loopback"}"#])
        env.conflist([env.bridgePlugin(v6: false)], name: env.name + "x", file: "20-extra.conflist")
        let run = env.cli("runp \(writePod(env, "extra"))")
        #expect(run.code == 0, "\(run.err)")
        let id = run.out.trimmed
        env.sandboxIDs.append(id)
        let add = env.cli("cni add \(id) --network \(env.name)x")
        #expect(add.code == 0, "\(add.err)")
        #expect(CNITestEnv.addresses(netns: NetnsPin.name(for: id), ifName: "net1").count == 1)
        let trace = env.cli("trace \(id)", cniFlags: false)
        #expect(trace.out.contains("ADD loopback") && trace.out.contains("ADD bridge"), "\(trace.out)")
        let replay = env.cli("trace \(id) --replay 2", cniFlags: false)
        #expect(replay.out.contains("env -i") && replay.out.contains("'CNI_COMMAND=ADD'") && replay.out.contains("/usr/lib/cni/bridge"))
        #expect(env.cli("stopp \(id)").code == 0)
        #expect(env.leases(env.name + "x").isEmpty && env.cacheEntries().isEmpty)
        #expect(env.cli("rmp \(id)").code == 0)
        env.expectClean()
    }
}

/// Writes a crictl pod config for CLI tests and returns its path.
func writePod(_ env: CNITestEnv, _ name: String, extra: String = "") -> String {
    let path = env.dir + "/pod-\(name).json"
    try! Files.writeAtomic(path, #"{"metadata":{"name":"\#(name)","namespace":"cni-test","uid":"uid-\#(name)"}\#(extra)}"#, mode: 0o644, sync: false)
    return path
}
