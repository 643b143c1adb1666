#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox
import Testing

@Suite(.serialized, .enabled(if: isRoot, "needs root"))
struct SandboxLifecycleTests {
    func config(_ name: String, pid: NamespaceMode = .container, network: NamespaceMode = .pod) -> PodSandboxConfig {
        PodSandboxConfig(name: name, namespace: "podrig-test", hostname: name + "-host",
                         namespaceOptions: NamespaceOptions(network: network, pid: pid, ipc: .pod))
    }

    @Test func runStopRemove() throws {
        let root = TestRoot()
        let m = root.manager
        let r = try m.run(config("life"))
        #expect(r.state == .ready)
        #expect(r.pause?.isAlive == true)
        let pin = try #require(r.netnsPath)
        #expect(NetnsPin.isPinned(path: pin))
        #expect(sh("ip netns list").out.contains(NetnsPin.name(for: r.id)))
        #expect(sh("nsenter --uts=/proc/\(r.pause!.pid)/ns/uts hostname").out.trimmed == "life-host")
        // lo is up in the new netns.
        #expect(sh("ip -n \(NetnsPin.name(for: r.id)) -o link show lo").out.contains("UP"))
        // IPC and UTS are the pod's own, not the host's.
        #expect(sh("readlink /proc/\(r.pause!.pid)/ns/ipc").out != sh("readlink /proc/self/ns/ipc").out)

        try m.stop(r.id)
        #expect(try m.status(r.id).state == .notReady)
        #expect(!r.pause!.isAlive)
        #expect(!Files.exists(pin))
        try m.stop(r.id)  // idempotent
        try m.remove(r.id, force: false)
        try m.remove(r.id, force: false)  // idempotent
        LeakCheck.sandboxGone(r, root: root)
    }

    @Test func removeReadyNeedsForce() throws {
        let root = TestRoot()
        let m = root.manager
        let r = try m.run(config("force"))
        #expect(throws: PodrigError.self) { try m.remove(r.id, force: false) }
        #expect(r.pause?.isAlive == true)
        try m.remove(r.id, force: true)
        LeakCheck.sandboxGone(r, root: root)
    }

    @Test func sharedPIDNamespaceHasPauseAsPID1() throws {
        let root = TestRoot()
        let m = root.manager
        let r = try m.run(config("sharedpid", pid: .pod))
        let pid = r.pause!.pid
        #expect(Proc.status(pid, "NSpid")?.split(separator: "\t").last == "1")
        let ps = sh("nsenter --pid=/proc/\(pid)/ns/pid -- unshare -m --mount-proc ps -e -o pid=,comm=")
        #expect(ps.out.split(separator: "\n").contains { String($0).trimmed == "1 podrig-pause" }, "\(ps)")
        try m.remove(r.id, force: true)
        LeakCheck.sandboxGone(r, root: root)
    }

    @Test func hostNetworkUsesNodeIPs() throws {
        let root = TestRoot()
        let m = root.manager(nodeIPs: ["192.0.2.10", "2001:db8::10"])
        let r = try m.run(config("hostnet", network: .node))
        #expect(r.netnsPath == nil)
        #expect(r.podIPs == ["192.0.2.10", "2001:db8::10"])
        #expect(sh("readlink /proc/\(r.pause!.pid)/ns/net").out == sh("readlink /proc/self/ns/net").out)
        try m.remove(r.id, force: true)
        LeakCheck.sandboxGone(r, root: root)
        // Discovered node IPs are real addresses of this machine.
        let discovered = NodeAddresses.discover()
        for ip in discovered { #expect(IPAddress.family(ip) != nil) }
    }

    @Test func deadPauseMeansNotReadyAndRemoveStillCleans() throws {
        let root = TestRoot()
        let m = root.manager
        let r = try m.run(config("killed"))
        kill(r.pause!.pid, SIGKILL)
        for _ in 0..<100 where r.pause!.isAlive { usleep(10_000) }
        #expect(try m.status(r.id).effectiveState == .notReady)
        try m.remove(r.id, force: false)
        LeakCheck.sandboxGone(r, root: root)
    }

    @Test func failedRunLeavesNothing() throws {
        let root = TestRoot()
        let m = root.manager
        var c = config("badsysctl")
        c.sysctls = ["vm.swappiness": "10"]  // not namespaced: refused after pause and pin exist
        #expect(throws: PodrigError.self) { try m.run(c) }
        LeakCheck.rootEmpty(root)
    }

    @Test func namespacedSysctlsApply() throws {
        let root = TestRoot()
        let m = root.manager
        var c = config("sysctl")
        c.sysctls = ["net.ipv4.ip_unprivileged_port_start": "80"]
        let r = try m.run(c)
        #expect(sh("ip netns exec \(NetnsPin.name(for: r.id)) cat /proc/sys/net/ipv4/ip_unprivileged_port_start").out.trimmed == "80")
        try m.remove(r.id, force: true)
        LeakCheck.sandboxGone(r, root: root)
    }

    @Test func pauseStaysUnderOneMiB() throws {
        let root = TestRoot()
        let m = root.manager
        let r = try m.run(config("rss"))
        let mem = try #require(Proc.memoryKiB(r.pause!.pid))
        #expect(mem.rss <= 1024, "pause VmRSS \(mem.rss) KiB")
        try m.remove(r.id, force: true)
        LeakCheck.sandboxGone(r, root: root)
    }
}
