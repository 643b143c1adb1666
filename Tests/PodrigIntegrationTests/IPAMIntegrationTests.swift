#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import PodrigIPAM
import PodrigSandbox
import Testing

/// podrig-ipam behind the real bridge plugin, in throwaway node netns pr-ipn<x>: sticky IPs,
/// requested IPs, kill -9 at every write step, concurrency and cnitool-style exec.
@Suite(.enabled(if: isRoot)) struct IPAMIntegrationTests {
    func podIPs(_ node: IPAMNode, _ name: String) -> [String] {
        let pod = try? JSONParser.parse(node.cli("get pod \(name) -o json").out)
        return (pod?["status"]?["podIPs"]?.array ?? []).compactMap { $0["ip"]?.string }
    }

    /// The StatefulSet story: web-0 down and up keeps IPv4 and IPv6; another pod meanwhile gets
    /// others; after the TTL the addresses are anyone's. web-0's first down reserves for 1h, so a
    /// loaded machine cannot outlast it; the pods attached after it get a conf with 2 s (a DEL
    /// uses the list its ADD did; a lease keeps the expiry its release computed), so the last
    /// downs reserve for 2 s and the wait for that is one a slow machine only lengthens.
    @Test func statefulSetPodKeepsItsIPsAcrossDownAndUp() throws {
        let node = IPAMNode(1, ttl: "1h")
        let example = Files.dirname(of: Files.dirname(of: Files.dirname(of: #filePath))) + "/examples/web-0.yaml"
        let other = node.dir + "/web-1.yaml"
        try Files.writeAtomic(other, try Files.readString(example).replacing("web-0", with: "web-1"), sync: false)
        #expect(node.cli("up -d \(example)").code == 0)
        let first = podIPs(node, "web-0")
        #expect(first.count == 2 && IPAddr(first[0])?.isV6 == false && IPAddr(first[1])?.isV6 == true, "\(first)")
        #expect(node.cli("down --grace-period 1 web-0").code == 0)
        #expect(node.reserved(for: "default/web-0") == first.sorted { IPAddr($0)! < IPAddr($1)! })
        let ls = node.cli("ipam ls")
        #expect(ls.code == 0 && ls.out.contains("reserved") && ls.out.contains("default/web-0"), "\(ls)")
        node.writeConf(ttl: "2s", ranges: nil)
        #expect(node.cli("up -d \(other)").code == 0)
        let between = podIPs(node, "web-1")
        #expect(between.count == 2 && Set(between).isDisjoint(with: first), "\(between) vs \(first)")
        #expect(node.cli("up -d \(example)").code == 0)
        #expect(podIPs(node, "web-0") == first)
        for p in ["web-0", "web-1"] { #expect(node.cli("down --grace-period 1 \(p)").code == 0) }
        // After the TTL: reclaimed, and a pod asking for web-0's address gets it.
        usleep(2_200_000)
        let late = node.runp("late", annotations: [IPAMRequest.addressesAnnotation: first.joined(separator: ",")])
        #expect(late.id.map { node.addresses(of: $0) } == first.sorted { IPAddr($0)! < IPAddr($1)! }, "\(late.err)")
        #expect(node.reserved(for: "default/web-0").isEmpty)
        if let id = late.id { node.rmp(id) }
        node.expectClean()
    }

    @Test func reservedAddressIsRefusedToOthersUntilTheTTL() throws {
        // One address to give (.2; .1 is the gateway).
        let one = #"[[{"subnet":"10.86.2.0/24","rangeStart":"10.86.2.1","rangeEnd":"10.86.2.2"}]]"#
        let node = IPAMNode(2, ttl: "1h", ranges: one)
        let a = node.runp("a")
        let aid = try #require(a.id, "\(a.err)")
        #expect(node.addresses(of: aid) == ["10.86.2.2"] && node.kernelAddresses(aid) == ["10.86.2.2"])
        node.rmp(aid)
        let b = node.runp("b")
        #expect(b.id == nil && b.err.contains("no IP addresses available") && b.err.contains("reserved"), "\(b.err)")
        let asked = node.runp("c", annotations: [IPAMRequest.addressesAnnotation: "10.86.2.2"])
        #expect(asked.id == nil && asked.err.contains("10.86.2.2 is reserved for pod ipam-test/a"), "\(asked.err)")
        // The same pod gets it back at once; attached under a 2 s TTL, its release reserves for
        // that long only (a's first release reserved for 1h, so load cannot race the checks above).
        node.writeConf(ttl: "2s", ranges: one)
        let again = node.runp("a")
        let againID = try #require(again.id, "\(again.err)")
        #expect(node.addresses(of: againID) == ["10.86.2.2"])
        node.rmp(againID)
        usleep(2_200_000)
        let after = node.runp("b")
        let bid = try #require(after.id, "\(after.err)")
        #expect(node.addresses(of: bid) == ["10.86.2.2"])
        node.rmp(bid)
        node.expectClean()
    }

    @Test func requestedAddressesByAnnotationsAndTheIPsCapability() throws {
        let node = IPAMNode(3)
        let a = node.runp("a", annotations: [IPAMRequest.addressesAnnotation: "10.86.3.7,fd00:86:3::7"])
        let aid = try #require(a.id, "\(a.err)")
        #expect(node.kernelAddresses(aid) == ["10.86.3.7", "fd00:86:3::7"])
        let b = node.runp("b", annotations: [IPAMRequest.calicoAnnotation: #"["10.86.3.8"]"#])
        let bid = try #require(b.id, "\(b.err)")
        #expect(node.addresses(of: bid).first == "10.86.3.8" && node.addresses(of: bid).count == 2)
        // podrig.io/ips becomes the `ips` capability, runtimeConfig.ips for the plugin.
        let c = node.runp("c", annotations: ["podrig.io/ips": "10.86.3.9"])
        let cid = try #require(c.id, "\(c.err)")
        #expect(node.addresses(of: cid).first == "10.86.3.9")
        let taken = node.runp("d", annotations: [IPAMRequest.addressesAnnotation: "10.86.3.7"])
        #expect(taken.id == nil && taken.err.contains("requested IP address 10.86.3.7 is allocated to pod ipam-test/a"), "\(taken.err)")
        let outside = node.runp("e", annotations: [IPAMRequest.addressesAnnotation: "10.99.0.1"])
        #expect(outside.id == nil && outside.err.contains("10.99.0.1 (not in any range of network pr-ip3"), "\(outside.err)")
        for id in [aid, bid, cid] { node.rmp(id) }
        node.expectClean()
    }

    /// kill -9 of podrig-ipam at each write step of an ADD (and its rollback DEL), then of podrig
    /// itself between the plugin and the cache, then a DEL crash: `podrig gc` leaves exactly the
    /// live pod's leases, and later pods get distinct addresses.
    @Test func killNineAtEveryWriteStepThenGCLeavesExactlyTheLiveLeases() throws {
        let node = IPAMNode(4)
        let live = node.runp("live")
        let liveID = try #require(live.id, "\(live.err)")
        let liveIPs = node.addresses(of: liveID)
        for point in IPAMCrashPoint.allCases {
            let r = node.runp("crash-\(point.rawValue)", env: "\(IPAMCrashPoint.environmentVariable)=\(point.rawValue)")
            #expect(r.id == nil, "runp survived a plugin killed at \(point)")
            let gc = node.cli("gc")
            #expect(gc.code == 0, "gc after \(point): \(gc)")
            #expect(IPAMTables.allocated(node.ipamDir) == liveIPs, "after a kill at \(point)")
        }
        let half = node.runp("half", env: "PODRIG_CRASH_AT=cni:added:bridge")
        #expect(half.id == nil)
        #expect(IPAMTables.allocated(node.ipamDir).count == 4, "the killed runp's addresses are leased")
        #expect(node.cli("gc").code == 0)
        #expect(IPAMTables.allocated(node.ipamDir) == liveIPs)
        var ids: [String] = []
        for n in ["next-1", "next-2"] {
            let r = node.runp(n)
            ids.append(try #require(r.id, "\(r.err)"))
        }
        let all = ([liveID] + ids).flatMap { node.addresses(of: $0) }
        #expect(all.count == 6 && Set(all).count == 6)
        // A DEL killed before its rename: `rmp -f` reports it and removes the sandbox anyway; the
        // lease survives the killed DEL, and gc's DEL from the CNI cache frees it.
        let del = node.cli("rmp -f \(ids[0])", env: "\(IPAMCrashPoint.environmentVariable)=synced")
        #expect(del.code == 0 && del.err.contains("podrig gc") && !node.addresses(of: ids[0]).isEmpty, "\(del)")
        #expect(node.cli("gc").code == 0)
        #expect(node.addresses(of: ids[0]).isEmpty)
        #expect(IPAMTables.allocated(node.ipamDir).count == 4, "the other two pods keep theirs")
        for id in [liveID, ids[1]] { node.rmp(id) }
        node.expectClean()
    }

    /// kill -9 of podrig-ipam at each write step of a DEL (rmp) and of a GC (podrig gc releasing a
    /// lease nothing caches, as a cnitool ADD leaves): the next gc finishes the job. After each
    /// step: no address twice in the table, the live pod's leases intact, nothing else allocated.
    @Test func killNineInEveryDELAndGCWriteStepThenGC() throws {
        let node = IPAMNode(7, ttl: "1h")
        let live = node.runp("live")
        let liveID = try #require(live.id, "\(live.err)")
        let liveIPs = node.addresses(of: liveID)
        let plugin = TestBinaries.directory + "/podrig-ipam"
        let conf = #"{"cniVersion":"1.1.0","name":"\#(node.network)","type":"bridge","ipam":\#(node.ipamConfig(ttl: "1h", ranges: nil))}"#
        try Files.writeAtomic(node.dir + "/plain.json", conf, sync: false)
        func noDuplicates(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let leases = node.table?.leases ?? []
            #expect(Set(leases.map(\.ip)).count == leases.count, "an address twice \(what): \(leases.map(\.ip))", sourceLocation: sourceLocation)
            #expect(IPAMTables.allocated(node.ipamDir) == liveIPs, "\(what)", sourceLocation: sourceLocation)
            #expect(node.addresses(of: liveID) == liveIPs, "live lease lost \(what)", sourceLocation: sourceLocation)
        }
        for point in IPAMCrashPoint.allCases {
            let v = node.runp("del-\(point.rawValue)")
            let vid = try #require(v.id, "\(v.err)")
            let del = node.cli("rmp -f \(vid)", env: "\(IPAMCrashPoint.environmentVariable)=\(point.rawValue)")
            #expect(del.code == 0, "rmp -f with a DEL killed at \(point): \(del)")
            let gc = node.cli("gc")
            #expect(gc.code == 0, "gc after a DEL killed at \(point): \(gc)")
            noDuplicates("after a DEL killed at \(point)")
            // Sticky: the deleted pod's addresses are its reservation, wherever the DEL died.
            #expect(node.reserved(for: "ipam-test/del-\(point.rawValue)").count == 2, "after a DEL killed at \(point): \(node.table?.leases.map(\.ip) ?? [])")

            let orphan = "pr-ipo-\(point.rawValue)"
            let add = sh("env -i CNI_COMMAND=ADD CNI_CONTAINERID=\(orphan) CNI_NETNS=/run/netns/\(node.node) CNI_IFNAME=eth0 CNI_PATH=\(node.binDirs) \(plugin) < \(node.dir)/plain.json")
            #expect(add.code == 0, "\(add)")
            let killed = node.cli("gc", env: "\(IPAMCrashPoint.environmentVariable)=\(point.rawValue)")
            #expect(killed.code != 0, "gc with its GC killed at \(point): \(killed)")
            let again = node.cli("gc")
            #expect(again.code == 0, "gc after a GC killed at \(point): \(again)")
            noDuplicates("after a GC killed at \(point)")
        }
        // Later pods still get addresses nobody holds.
        let next = node.runp("next")
        let nid = try #require(next.id, "\(next.err)")
        let held = Set((node.table?.leases ?? []).filter { $0.containerID != nid }.map(\.ip.description))
        #expect(Set(node.addresses(of: nid)).isDisjoint(with: held))
        for id in [liveID, nid] { node.rmp(id) }
        node.expectClean()
    }

    /// The acceptance case: crashes on one root, then a reboot-like wipe of its /run state;
    /// `podrig gc` on it leaves exactly the leases of the pods still alive on the other root.
    @Test func afterCrashesAndARunWipeGCLeavesExactlyTheLiveLeases() throws {
        let node = IPAMNode(5, ttl: "1h")
        let survivor = node.runp("survivor")
        let sid = try #require(survivor.id, "\(survivor.err)")
        let rebooted = TestRoot("ipam-wiped")
        var wiped: [String] = []
        for n in ["w-1", "w-2"] {
            let r = node.runp(n, root: rebooted)
            wiped.append(try #require(r.id, "\(r.err)"))
        }
        _ = node.runp("w-half", root: rebooted, env: "PODRIG_CRASH_AT=cni:added:bridge")
        for point in IPAMCrashPoint.allCases {
            _ = node.runp("w-kill-\(point.rawValue)", root: rebooted, env: "\(IPAMCrashPoint.environmentVariable)=\(point.rawValue)")
        }
        // And a DEL killed at each step on the rebooted root (rmp -f drops the sandbox anyway).
        for point in IPAMCrashPoint.allCases {
            let r = node.runp("w-del-\(point.rawValue)", root: rebooted)
            let id = try #require(r.id, "\(r.err)")
            #expect(node.cli("rmp -f \(id)", root: rebooted, env: "\(IPAMCrashPoint.environmentVariable)=\(point.rawValue)").code == 0)
        }
        // The reboot: pauses die, pins and the root's state vanish; the CNI cache and leases stay.
        // A runp killed mid-chain has not recorded its pause yet: find every pause by its marker.
        let store = SandboxStore(root: rebooted.path)
        for p in SandboxProcesses.scan() where p.sandboxDirectory?.hasPrefix(store.sandboxesDirectory + "/") == true {
            kill(p.identity.pid, SIGKILL)
        }
        for rec in (try? store.list { _, _ in }) ?? [] {
            if let ns = rec.netnsPath { try? NetnsPin.unpin(path: ns) }
        }
        // The sandboxes the wipe orphans keep their pod cgroups (a reboot would clear those too;
        // a wipe of the state alone does not). gc finds the ones with a cached attachment; a runp
        // killed before its cache write leaves one only doctor can name: reported, then removed here.
        let orphaned = (try? Files.list(store.sandboxesDirectory)) ?? []
        let cached = (try? Files.list(node.dir + "/cache/results")) ?? []
        let known = orphaned.filter { id in cached.contains { $0.contains(id) } }
        try Files.removeTree(rebooted.path)
        let gc = node.cli("gc", root: rebooted)
        #expect(gc.code == 0, "\(gc)")
        LeakCheck.cgroupsGone([], pods: known.map { "pod" + $0 })
        let unknown = orphaned.filter { !known.contains($0) }.map { "podrig/kubepods/pod" + $0 }
        if let h = CgroupHierarchy.detect(), !unknown.isEmpty {
            let tree = CgroupTree(hierarchy: h)
            let left = unknown.filter { tree.existing().contains($0) }
            let doctor = node.cli("doctor --leaks", root: rebooted)
            #expect(left.allSatisfy { doctor.out.contains($0) }, "doctor --leaks does not name \(left): \(doctor)")
            for rel in left { try tree.remove(rel) }
        }
        #expect(IPAMTables.allocated(node.ipamDir) == node.addresses(of: sid))
        let leases = node.table?.leases ?? []
        #expect(Set(leases.map(\.ip)).count == leases.count, "an address twice: \(leases.map(\.ip))")
        // Sticky: the wiped pods' addresses are theirs until the TTL, not anyone's.
        #expect(node.reserved(for: "ipam-test/w-1").count == 2 && node.reserved(for: "ipam-test/w-2").count == 2)
        for id in wiped { #expect(node.addresses(of: id).isEmpty) }
        node.rmp(sid)
        node.expectClean(roots: [rebooted])
    }

    /// cnitool-style: only env and stdin, no podrig. 20 ADDs at once get 20 distinct pairs, the
    /// DELs free them all; the bridge plugin delegates to podrig-ipam the same way.
    @Test func twentyConcurrentAddsAndCnitoolStyleExec() throws {
        let node = IPAMNode(6)
        let plugin = TestBinaries.directory + "/podrig-ipam"
        let conf = #"{"cniVersion":"1.1.0","name":"\#(node.network)","type":"bridge","ipam":\#(node.ipamConfig(ttl: nil, ranges: nil))}"#
        try Files.writeAtomic(node.dir + "/plain.json", conf, sync: false)
        func exec(_ command: String, _ id: String) -> String {
            "env -i CNI_COMMAND=\(command) CNI_CONTAINERID=\(id) CNI_NETNS=/run/netns/\(node.node) CNI_IFNAME=eth0 CNI_PATH=\(node.binDirs) \(plugin) < \(node.dir)/plain.json"
        }
        let adds = (1...20).map { "(\(exec("ADD", "pr-ipc\($0)")) > \(node.dir)/add-\($0).json) &" }.joined(separator: "\n")
        #expect(sh(adds + "\nwait").code == 0)
        var got: [String] = []
        for i in 1...20 {
            let r = try JSONParser.parse(try Files.readString(node.dir + "/add-\(i).json"))
            got += (r["ips"]?.array ?? []).compactMap { $0["address"]?.string }
        }
        #expect(got.count == 40 && Set(got).count == 40, "\(got)")
        #expect(IPAMTables.allocated(node.ipamDir).count == 40)
        let status = sh("env -i CNI_COMMAND=STATUS \(plugin) < \(node.dir)/plain.json")
        #expect(status.code == 0, "\(status)")
        let dels = (1...20).map { "\(exec("DEL", "pr-ipc\($0)")) &" }.joined(separator: "\n")
        #expect(sh(dels + "\nwait").code == 0)
        #expect(IPAMTables.allocated(node.ipamDir).isEmpty)

        // The real bridge, exec'd by hand in the node, delegating to podrig-ipam through CNI_PATH.
        let ns = "pr-ipc\(node.x)"
        sh("ip netns del \(ns) 2>/dev/null; ip netns add \(ns)")
        defer { sh("ip netns del \(ns)") }
        let bridge = { (cmd: String) in
            sh("nsenter --net=/run/netns/\(node.node) env -i CNI_COMMAND=\(cmd) CNI_CONTAINERID=cnitool1 CNI_NETNS=/run/netns/\(ns) CNI_IFNAME=eth0 CNI_PATH=\(node.binDirs) /usr/lib/cni/bridge < \(node.dir)/plain.json")
        }
        let plain = #"{"cniVersion":"1.0.0","name":"\#(node.network)","type":"bridge","bridge":"\#(node.network)","isGateway":true,"ipam":\#(node.ipamConfig(ttl: nil, ranges: nil))}"#
        try Files.writeAtomic(node.dir + "/plain.json", plain, sync: false)
        let add = bridge("ADD")
        #expect(add.code == 0, "\(add)")
        let result = try CNIResultIPs.parse(add.out)
        #expect(result.count == 2 && Set(CNITestEnv.addresses(netns: ns)) == Set(result), "\(add.out)")
        #expect(IPAMTables.allocated(node.ipamDir) == result.sorted { IPAddr($0)! < IPAddr($1)! })
        #expect(bridge("DEL").code == 0)
        #expect(IPAMTables.allocated(node.ipamDir).isEmpty)
    }
}

/// The addresses (without prefix) of a CNI result's `ips`.
enum CNIResultIPs {
    static func parse(_ text: String) throws -> [String] {
        (try JSONParser.parse(text)["ips"]?.array ?? []).compactMap { $0["address"]?.string?.split(separator: "/").first.map(String.init) }
    }
}
