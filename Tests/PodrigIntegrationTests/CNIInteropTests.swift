#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

/// podrig and a real libcni client (Tests/interop/libcni-client: cnitool's command line on
/// Debian's libcni) share attachments: each side's ADD is CHECKed and DELeted by the other with
/// the default container IDs, and nothing (lease, cache entry, veth) is left.
@Suite(.enabled(if: isRoot && GoTools.available)) struct CNIInteropTests {
    /// With either IPAM: libcni's client execs podrig-ipam through the bridge plugin as a runtime does.
    @Test(arguments: CNITestEnv.IPAMKind.allCases) func podrigAddThenLibcniCheckAndDel(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(86, ipam: ipam)
        env.conflist([env.bridgePlugin()])
        let ns = "pr-ci\(env.x)", net = env.name
        try withTestNetns(ns) { netns in
            // A relative path, as cnitool users type it: podrig stores and hashes the absolute one.
            let add = env.cli(in: "/run/netns", "cni add ./\(ns)")
            #expect(add.code == 0, "\(add)")
            let id = CNIToolID.containerID(netns: netns)
            #expect(env.cacheEntries() == ["\(net)-\(id)-eth0"])
            let entry = try JSONParser.parse(bytes: try Files.read(env.cacheDir + "/results/\(net)-\(id)-eth0"))
            #expect(entry["netns"]?.string == netns && entry["containerId"]?.string == id)
            #expect(env.leases().count == 2)
            let check = try env.libcni("check \(net) \(netns)")
            #expect(check.code == 0, "libcni CHECK of podrig's ADD: \(check)")
            let del = try env.libcni("del \(net) \(netns)")
            #expect(del.code == 0, "libcni DEL of podrig's ADD: \(del)")
            #expect(sh("ip -n \(ns) link show eth0").code != 0, "eth0 left in the netns")
        }
        env.expectClean()
    }

    @Test(arguments: CNITestEnv.IPAMKind.allCases) func libcniAddThenPodrigCheckAndDel(_ ipam: CNITestEnv.IPAMKind) throws {
        let env = CNITestEnv(87, ipam: ipam)
        env.conflist([env.bridgePlugin()])
        let ns = "pr-ci\(env.x)", net = env.name
        try withTestNetns(ns) { netns in
            let add = try env.libcni("add \(net) \(netns)")
            #expect(add.code == 0, "\(add)")
            let ips = try JSONParser.parse(add.out)["ips"]?.array ?? []
            #expect(ips.count == 2, "\(add.out)")
            #expect(env.cacheEntries() == ["\(net)-\(CNIToolID.containerID(netns: netns))-eth0"])
            let check = env.cli("cni check \(netns)")
            #expect(check.code == 0 && check.out.contains("CHECK passed"), "podrig CHECK of libcni's ADD: \(check)")
            let del = env.cli(in: "/run", "cni del netns/\(ns)")
            #expect(del.code == 0, "podrig DEL of libcni's ADD: \(del)")
            #expect(sh("ip -n \(ns) link show eth0").code != 0, "eth0 left in the netns")
            // And CHECK after DEL fails on both sides (no cached result).
            #expect(env.cli("cni check \(netns)").code == 1)
            #expect(try env.libcni("check \(net) \(netns)").code == 1)
        }
        env.expectClean()
    }

    @Test func runpCacheEntryReadsBackThroughLibcni() throws {
        let env = CNITestEnv(88)
        env.conflist([env.bridgePlugin(v6: false)])
        let pod = writePod(env, "interop", extra: #","port_mappings":[{"container_port":80,"host_port":8088}],"annotations":{"podrig.io/aliases":"extra"}"#)
        let r = env.cli("runp \(pod)")
        #expect(r.code == 0, "\(r)")
        let id = r.out.trimmed
        env.sandboxIDs.append(id)
        defer { env.cli("rmp -f \(id)") }
        let netns = NetnsPin.defaultDirectory + "/" + NetnsPin.name(for: id)
        let cached = try env.libcni("cached pr-c88 \(netns)", env: "CNI_CONTAINERID=\(id)")
        #expect(cached.code == 0, "\(cached)")
        let doc = try JSONParser.parse(cached.out)
        let rt = doc["runtimeConfig"]
        #expect(rt?["ContainerID"]?.string == id && rt?["NetNS"]?.string == netns && rt?["IfName"]?.string == "eth0")
        let args = (rt?["Args"]?.array ?? []).compactMap { $0.array?.compactMap(\.string) }
        for want in [["K8S_POD_NAMESPACE", "cni-test"], ["K8S_POD_NAME", "interop"], ["K8S_POD_INFRA_CONTAINER_ID", id]] {
            #expect(args.contains(want), "CNI_ARGS \(args) lack \(want)")
        }
        let caps = rt?["CapabilityArgs"]
        #expect(caps?["portMappings"]?[0]?["hostPort"] == 8088 && caps?["portMappings"]?[0]?["protocol"] == "tcp", "\(caps?.compact ?? "")")
        #expect(caps?["aliases"] == ["pr-c88": ["interop", "extra"]], "\(caps?.compact ?? "")")
        #expect(caps?["io.kubernetes.cri.pod-annotations"]?["podrig.io/aliases"] == "extra")
        #expect(doc["result"]?["ips"]?[0]?["address"]?.string?.hasPrefix("10.88.88.") == true)
        #expect(doc["config"]?["name"] == "pr-c88")
        let check = try env.libcni("check pr-c88 \(netns)", env: "CNI_CONTAINERID=\(id)")
        #expect(check.code == 0, "libcni CHECK of a runp sandbox: \(check)")
        #expect(env.cli("rmp -f \(id)").code == 0)
        env.expectClean()
        LeakCheck.doctorClean(root: env.root, ids: [id], extra: "--cni-cache-dir \(env.cacheDir)")
    }
}

/// podman's dnsname plugin (Debian's build) on a real chain inside a throwaway node netns: a pod's
/// name and hostname (the `aliases` capability, keyed by network) resolve through dnsname's
/// dnsmasq from another pod; after rmp the name, dnsmasq and its files are gone.
@Suite(.enabled(if: isRoot && GoTools.available && Files.exists("/usr/lib/cni/dnsname") && Files.exists("/usr/sbin/dnsmasq")))
struct CNIDnsnameTests {
    @Test func podNameResolvesFromAnotherPod() throws {
        let env = CNITestEnv(89, node: true)
        let dir = "/run/containers/cni/dnsname/pr-c89"
        env.conflist([#"{"type":"bridge","bridge":"pr-c89","isGateway":true,"ipMasq":false,"ipam":\#(env.ipam(v6: false))}"#,
                      #"{"type":"dnsname","domainName":"pr.test","capabilities":{"aliases":true}}"#])
        let a = env.cli("runp \(writePod(env, "pr-dnsa", extra: #","hostname":"alpha""#))")
        let b = env.cli("runp \(writePod(env, "pr-dnsb"))")
        let ids = [a.out.trimmed, b.out.trimmed].filter { !$0.isEmpty }
        env.sandboxIDs += ids
        let dnsmasqPid = Int32(((try? Files.readString(dir + "/pidfile")) ?? "").trimmed) ?? 0
        defer {
            for id in ids { env.cli("rmp -f \(id)") }
            if dnsmasqPid > 0, kill(dnsmasqPid, 0) == 0 { kill(dnsmasqPid, SIGTERM) }  // dnsname's, started by this test
        }
        #expect(a.code == 0 && b.code == 0, "\(a) \(b)")
        guard ids.count == 2 else { return }
        #expect(dnsmasqPid > 0 && kill(dnsmasqPid, 0) == 0, "dnsname's dnsmasq is not running")
        let pinA = NetnsPin.defaultDirectory + "/" + NetnsPin.name(for: ids[0])
        let pinB = NetnsPin.defaultDirectory + "/" + NetnsPin.name(for: ids[1])
        let ipA = CNITestEnv.addresses(netns: NetnsPin.name(for: ids[0])).first ?? "?"
        let lookup = try GoTools.dnsLookup.get()
        for name in ["pr-dnsa.pr.test", "alpha.pr.test"] {
            let r = sh("nsenter --net=\(pinB) \(lookup) \(name) 10.88.89.1")
            #expect(r.code == 0 && r.out.trimmed == ipA, "\(name) from pod B: \(r), want \(ipA)")
        }
        #expect(sh("nsenter --net=\(pinA) \(lookup) pr-dnsb.pr.test 10.88.89.1").code == 0)
        #expect(env.cli("rmp -f \(ids[0])").code == 0)
        let gone = sh("nsenter --net=\(pinB) \(lookup) pr-dnsa.pr.test 10.88.89.1")
        #expect(gone.code == 1 && gone.err.contains("no such host"), "pr-dnsa still resolves after rmp: \(gone)")
        #expect(env.cli("rmp -f \(ids[1])").code == 0)
        #expect(!Files.exists(dir), "dnsname's files left: \(dir)")
        var alive = false
        for _ in 0..<50 where dnsmasqPid > 0 {
            alive = kill(dnsmasqPid, 0) == 0 && !((try? Files.readString("/proc/\(dnsmasqPid)/stat")) ?? "").contains(") Z ")
            if !alive { break }
            usleep(100_000)
        }
        #expect(!alive, "dnsmasq \(dnsmasqPid) still running")
        env.expectClean()
        LeakCheck.doctorClean(root: env.root, ids: ids, extra: "--cni-cache-dir \(env.cacheDir)", netns: env.node)
    }
}
