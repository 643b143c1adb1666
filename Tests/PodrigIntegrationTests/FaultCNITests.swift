#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import PodrigCore
import PodrigSandbox
import Testing

/// A proof test's network: bridge pr-p<x> with gateway and masquerade plus portmap, host-local on
/// 10.90.<x>.0/24 + fd00:90:<x>::/64, all inside a throwaway node netns; own conf, cache and dataDir.
final class ProofNet: @unchecked Sendable {
    let x: Int
    let root: TestRoot
    let dir: String
    let node: String

    init(_ x: Int, name: String = #function) {
        self.x = x
        root = TestRoot(name)
        dir = root.path + "/net"
        node = "pr-pnode\(x)"
        for sub in ["conf", "cache", "ipam", "pods"] { try! Files.makeDirectories(dir + "/" + sub, mode: 0o755) }
        sh("ip netns del \(node) 2>/dev/null; ip netns add \(node) && ip -n \(node) link set lo up")
        let conf = """
            {"cniVersion":"1.0.0","name":"pr-p\(x)","plugins":[
             {"type":"bridge","bridge":"pr-p\(x)","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","dataDir":"\(dir)/ipam",
              "ranges":[[{"subnet":"10.90.\(x).0/24"}],[{"subnet":"fd00:90:\(x)::/64"}]]}},
             {"type":"portmap","capabilities":{"portMappings":true}}]}
            """
        try! Files.writeAtomic(dir + "/conf/10-pr-p\(x).conflist", conf, mode: 0o644, sync: false)
    }

    deinit { sh("ip netns del \(node)") }

    var cniFlags: String { "--cni-conf-dir \(dir)/conf --cni-cache-dir \(dir)/cache --cni-bin-dir /usr/lib/cni" }
    var doctorFlags: String { "--cni-conf-dir \(dir)/conf --cni-cache-dir \(dir)/cache --ipam-data-dir \(dir)/ipam" }

    /// podrig in the node netns with this network (PODRIG_NETWORK emptied: the conf dir decides).
    @discardableResult
    func cli(_ args: String, env: String = "") -> (code: Int32, out: String, err: String) {
        sh("PODRIG_NETWORK= \(env) nsenter --net=/run/netns/\(node) \(TestBinaries.podrig) \(args) --root \(root.path) --pause-path \(TestBinaries.pause) \(cniFlags)")
    }

    func config(_ name: String, hostPort: Int? = nil) -> String {
        let path = "\(dir)/pods/\(name).json"
        let ports = hostPort.map { #", "port_mappings": [{"container_port": 80, "host_port": \#($0)}]"# } ?? ""
        try! Files.writeAtomic(path, #"{"metadata": {"name": "\#(name)", "namespace": "proof", "uid": "uid-\#(name)"}\#(ports)}"#, sync: false)
        return path
    }

    func runp(_ name: String, hostPort: Int? = nil, env: String = "") -> (code: Int32, out: String, err: String) {
        cli("runp \(config(name, hostPort: hostPort))", env: env)
    }

    var leases: [String] {
        ((try? Files.list("\(dir)/ipam/pr-p\(x)")) ?? []).filter { IPAddress.family($0) != nil }
    }

    func doctor(sourceLocation: SourceLocation = #_sourceLocation) -> (code: Int32, out: String, err: String) {
        sh("nsenter --net=/run/netns/\(node) \(TestBinaries.podrig) doctor --leaks --scope root --root \(root.path) \(doctorFlags)")
    }

    /// doctor clean, and the node holds no veth and the dataDir no lease.
    func expectClean(ids: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        LeakCheck.doctorClean(root: root, ids: ids, extra: doctorFlags, netns: node, sourceLocation: sourceLocation)
        #expect(leases.isEmpty, "leases left: \(leases)", sourceLocation: sourceLocation)
        let veths = sh("ip -n \(node) -o link show type veth").out
        #expect(veths.isEmpty, "veths left in the node: \(veths)", sourceLocation: sourceLocation)
        LeakCheck.rootEmpty(root, sourceLocation: sourceLocation)
    }
}

/// Faults with a real CNI chain (bridge + portmap): kill -9 inside the network steps, damaged
/// caches and state, concurrency on one network. Each ends with doctor --leaks clean.
@Suite(.serialized, .enabled(if: isRoot, "needs root"))
struct FaultCNITests {
    static let runSteps = ["runp:attach", "cni:added:bridge", "cni:added:portmap", "cni:cached", "runp:attached", "runp:ready"]

    @Test(arguments: zip(runSteps, 1...runSteps.count))
    func crashDuringRunpThenGC(_ step: String, _ x: Int) throws {
        let net = ProofNet(x)
        let r = net.runp("crash", hostPort: 18080 + x, env: "PODRIG_CRASH_AT=\(step)")
        #expect(r.code == 128 + 9, "podrig should die at \(step): \(r)")
        let ids = try SandboxStore(root: net.root.path).ids()
        #expect(ids.count == 1)
        // A crash after READY was recorded leaves a normal sandbox; before that, a half-made one.
        #expect(net.doctor().code == (step == "runp:ready" ? 0 : 1), "doctor after a crash at \(step)")
        if step == "runp:ready" {
            #expect(net.cli("rmp -f \(ids[0])").code == 0)
        } else {
            let gc = net.cli("gc")
            #expect(gc.code == 0 && gc.out.contains("Removed half-made sandbox \(ids[0])"), "\(gc)")
        }
        net.expectClean(ids: ids)
    }

    @Test(arguments: zip(["stop:pause-signalled", "stop:detached", "stop:pause-stopped"], 10...12))
    func crashDuringStoppThenRetry(_ step: String, _ x: Int) throws {
        let net = ProofNet(x)
        let id = net.runp("crashstop", hostPort: 18080 + x).out.trimmed
        #expect(net.cli("stopp \(id)", env: "PODRIG_CRASH_AT=\(step)").code == 128 + 9)
        #expect(net.cli("gc").code == 0)  // leaves the user's sandbox alone
        #expect(try SandboxStore(root: net.root.path).ids() == [id])
        #expect(net.cli("stopp \(id)").code == 0)
        #expect(net.cli("rmp \(id)").code == 0)
        net.expectClean(ids: [id])
    }

    @Test func zeroByteCacheEntryStillDetaches() throws {
        let net = ProofNet(20)
        let id = net.runp("zerocache").out.trimmed
        let entries = try Files.list(net.dir + "/cache/results")
        #expect(entries.count == 1)
        try Files.writeAtomic(net.dir + "/cache/results/" + entries[0], "")
        let rm = net.cli("rmp -f \(id)")
        #expect(rm.code == 0, "\(rm)")
        net.expectClean(ids: [id])
    }

    @Test func damagedStateThenGC() throws {
        let net = ProofNet(21)
        let id = net.runp("zerostate", hostPort: 18101).out.trimmed
        try Files.writeAtomic(SandboxStore(root: net.root.path).recordPath(id), "")
        let inspect = net.cli("inspectp \(id)")
        #expect(inspect.code == 1 && inspect.err.contains("empty"), "\(inspect)")
        let gc = net.cli("gc")
        #expect(gc.code == 0 && gc.out.contains(id), "\(gc)")
        net.expectClean(ids: [id])
    }

    @Test func twentyConcurrentOnOneNetwork() throws {
        let net = ProofNet(22)
        let n = 20
        let results = Results(n)
        for i in 0..<n { _ = net.config("c\(i)") }
        DispatchQueue.concurrentPerform(iterations: n) { i in results.set(i, net.cli("runp \(net.dir)/pods/c\(i).json")) }
        for r in results.all { #expect(r.code == 0, "\(r)") }
        let ids = results.all.map { $0.out.trimmed }
        let records = try SandboxStore(root: net.root.path).list()
        #expect(records.count == n && records.allSatisfy { $0.state == .ready && $0.podIPs.count == 2 })
        let ips = records.flatMap(\.podIPs)
        #expect(Set(ips).count == ips.count, "duplicate Pod IPs: \(ips)")
        #expect(net.leases.count == 2 * n)
        DispatchQueue.concurrentPerform(iterations: n) { i in results.set(i, net.cli("rmp -f \(ids[i])")) }
        for r in results.all { #expect(r.code == 0, "\(r)") }
        net.expectClean(ids: ids)
    }

    @Test func pauseKilledThenRemove() throws {
        let net = ProofNet(23)
        let id = net.runp("killed", hostPort: 18123).out.trimmed
        let pause = try #require(try SandboxStore(root: net.root.path).load(id).pause)
        kill(pause.pid, SIGKILL)
        for _ in 0..<200 where pause.isAlive { usleep(5000) }
        #expect(net.cli("inspectp \(id)").out.contains("SANDBOX_NOTREADY"))
        #expect(net.cli("rmp \(id)").code == 0)
        net.expectClean(ids: [id])
    }
}
