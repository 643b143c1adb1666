#if canImport(Glibc)
import Glibc
#endif
import PodrigCluster
import PodrigCgroups
import PodrigCore
import PodrigIPAM
import PodrigSandbox
import Testing

/// Simulated clusters on the real kernel: kcm's podCIDRs, nodes as netns on an underlay, host-gw
/// routes, real bridge + host-local on each node, pods placed with spec.nodeName / --node.
/// Cluster names start with `cl` (netns pr-cl…), unique to these tests.
@Suite(.enabled(if: isRoot), .serialized) struct ClusterTests {
    /// What the machine shows of this test's clusters and pods (other suites run in parallel, so
    /// only pr-cl… netns, host links a cluster could have made, and mounts/processes naming the root).
    static func machine(_ root: TestRoot) -> [String] {
        let netns = sh("ip netns list").out.split(separator: "\n").map { String($0.split(separator: " ")[0]) }.filter { $0.hasPrefix("pr-cl") }
        let links = sh("ip -o link show").out.split(separator: "\n").compactMap { $0.split(separator: ":").dropFirst().first.map { String($0).trimmed } }
            .filter { $0.hasPrefix("pr-cl") || $0.hasPrefix("cni0") || $0.hasPrefix("underlay") || $0.hasPrefix("eth0@") }
        let mounts = ((try? Files.readString("/proc/self/mountinfo")) ?? "").split(separator: "\n")
            .filter { $0.contains("pr-cl") || $0.contains(root.path) }.map(String.init)
        let procs = sh("ps -eo args").out.split(separator: "\n").filter { $0.contains(root.path) && !$0.contains("ps -eo") }.map(String.init)
        return (netns.map { "netns " + $0 } + links.map { "link " + $0 } + mounts + procs).sorted()
    }

    func nodes(_ root: TestRoot) throws -> [JSON] {
        let r = podrig("get nodes -o json", root: root)
        #expect(r.code == 0, "\(r.err)")
        return try JSONParser.parse(r.out)["items"]?.array ?? []
    }

    func routes(_ netns: String) -> String { sh("ip -n \(netns) route show dev eth0; ip -n \(netns) -6 route show dev eth0").out }

    func waitRunning(_ root: TestRoot, _ name: String) -> JSON? {
        for _ in 0..<100 {
            if let doc = try? JSONParser.parse(podrig("get pod \(name) -o json", root: root).out), doc["status"]?["phase"]?.string == "Running",
               doc.condition("Ready") == "True" { return doc }
            usleep(100_000)
        }
        Issue.record("pod \(name) never became Running+Ready: \(podrig("get pod \(name) -o json", root: root).out)")
        return nil
    }

    /// A python3 TCP server on both families that answers "pong <peer>"; ready once it listens.
    static let server = """
        import socket
        s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.bind(('::', PORT)); s.listen(16)
        while True:
            c, a = s.accept(); c.sendall(('pong ' + a[0]).encode()); c.close()
        """

    static func manifest(_ name: String, node: String, hostNetwork: Bool = false, port: Int = 8080) -> String {
        let code = server.split(separator: "PORT", omittingEmptySubsequences: false).joined(separator: String(port))
        let indented = code.split(separator: "\n", omittingEmptySubsequences: false).map { "          " + $0 }.joined(separator: "\n")
        return """
            apiVersion: v1
            kind: Pod
            metadata:
              name: \(name)
            spec:
              nodeName: \(node)
              hostNetwork: \(hostNetwork)
              terminationGracePeriodSeconds: 1
              containers:
              - name: srv
                command: ["python3", "-c"]
                args:
                - |
            \(indented)
                readinessProbe:
                  tcpSocket: {port: \(port)}
                  periodSeconds: 1
            """
    }

    func client(_ root: TestRoot, pod: String, _ ip: String, port: Int = 8080) -> String {
        let code = "import socket; s = socket.create_connection(('\(ip)', \(port)), timeout=5); print(s.recv(100).decode())"
        let r = sh("\(TestBinaries.podrig) exec --root \(root.path) \(pod) -- python3 -c \"\(code)\"")
        #expect(r.code == 0, "client \(pod) → \(ip): \(r.err)")
        return r.out.trimmed
    }

    @Test func threeNodeDualStackPodsTalkAcrossNodes() throws {
        let root = TestRoot()
        let before = Self.machine(root)
        let create = podrig("cluster create cl1 --cluster-cidr 10.0.0.0/16,fd00:10::/56 --nodes 3", root: root)
        #expect(create.code == 0, "\(create.err)")
        let ns = try nodes(root)
        #expect(ns.map { $0["spec"]?["podCIDRs"]?.array?.compactMap(\.string) ?? [] } ==
                [["10.0.0.0/24", "fd00:10::/64"], ["10.0.1.0/24", "fd00:10:0:1::/64"], ["10.0.2.0/24", "fd00:10:0:2::/64"]])
        #expect(ns.first?["spec"]?["podCIDR"]?.string == "10.0.0.0/24")
        let ips = ns.map { n in (n["status"]?["addresses"]?.array ?? []).filter { $0["type"]?.string == "InternalIP" }.compactMap { $0["address"]?.string } }
        #expect(ips[2] == ["172.18.0.4", "fc00:f853:ccd:e793::4"])
        let wide = podrig("get nodes -o wide", root: root).out
        #expect(wide.contains("10.0.2.0/24,fd00:10:0:2::/64") && wide.contains("pr-cl1-node-3"), "\(wide)")
        // host-gw: node-1 routes the other nodes' podCIDRs via their IPs, per family.
        let r1 = routes("pr-cl1-node-1")
        #expect(r1.contains("10.0.1.0/24 via 172.18.0.3") && r1.contains("10.0.2.0/24 via 172.18.0.4") && r1.contains("fd00:10:0:2::/64 via fc00:f853:ccd:e793::4"), "\(r1)")
        #expect(!r1.contains("10.0.0.0/24 via"))
        let env = try Files.readString(root.path + "/clusters/cl1/nodes/node-3/subnet.env")
        #expect(env.contains("FLANNEL_SUBNET=10.0.2.1/24\n") && env.contains("FLANNEL_IPV6_SUBNET=fd00:10:0:2::1/64\n") && env.contains("FLANNEL_NETWORK=10.0.0.0/16\n"))
        // The host namespace has no underlay address.
        #expect(!sh("ip -o addr").out.contains("172.18.0."))

        let dir = root.path + "/m"
        try Files.makeDirectories(dir)
        try Files.writeAtomic(dir + "/srv.yaml", Self.manifest("srv", node: "node-3"))
        try Files.writeAtomic(dir + "/host.yaml", Self.manifest("hostsrv", node: "node-2", hostNetwork: true, port: 8090))
        // --node wins over spec.nodeName (the flag is the scheduler here).
        try Files.writeAtomic(dir + "/cli.yaml", Self.manifest("cli", node: "node-2", port: 8070))
        for f in ["srv", "host", "cli"] {
            let up = podrig("up -d \(dir)/\(f).yaml" + (f == "cli" ? " --node node-1" : ""), root: root)
            #expect(up.code == 0, "up \(f): \(up.err)")
        }
        guard let srv = waitRunning(root, "srv"), let cli = waitRunning(root, "cli"), let host = waitRunning(root, "hostsrv") else { return }
        let srvIPs = (srv["status"]?["podIPs"]?.array ?? []).compactMap { $0["ip"]?.string }
        let cliIPs = (cli["status"]?["podIPs"]?.array ?? []).compactMap { $0["ip"]?.string }
        #expect(srvIPs.count == 2 && srvIPs[0].hasPrefix("10.0.2.") && srvIPs[1].hasPrefix("fd00:10:0:2::"), "\(srvIPs)")
        #expect(cliIPs.count == 2 && cliIPs[0].hasPrefix("10.0.0.") && cliIPs[1].hasPrefix("fd00:10::"), "\(cliIPs)")
        #expect(srv["status"]?["hostIP"]?.string == "172.18.0.4")
        #expect((srv["status"]?["hostIPs"]?.array ?? []).compactMap { $0["ip"]?.string } == ips[2])
        #expect(srv["spec"]?["nodeName"]?.string == "node-3")
        #expect(cli["spec"]?["nodeName"]?.string == "node-1")
        #expect(cli["status"]?["hostIP"]?.string == "172.18.0.2")
        // kubelet's rule: a hostNetwork pod's IPs are its node's, both families.
        #expect((host["status"]?["podIPs"]?.array ?? []).compactMap { $0["ip"]?.string } == ips[1])
        #expect(podrig("get pods -o wide", root: root).out.contains("node-3"))
        // A hostNetwork pod on a node sees the node's network and has the node's name.
        let hn = sh("\(TestBinaries.podrig) exec --root \(root.path) hostsrv -- sh -c 'hostname; ip -o -4 addr show eth0'")
        #expect(hn.out.hasPrefix("node-2\n") && hn.out.contains("172.18.0.3/16"), "\(hn)")
        guard srvIPs.count == 2, cliIPs.count == 2 else { return }
        // Pod on node-1 → pod on node-3, by IP, both families; the server sees the pod's own IP.
        #expect(client(root, pod: "cli", srvIPs[0]) == "pong ::ffff:\(cliIPs[0])")
        #expect(client(root, pod: "cli", srvIPs[1]) == "pong \(cliIPs[1])")
        // Pod on node-1 → hostNetwork pod on node-2, at the node's IPs.
        #expect(client(root, pod: "cli", ips[1][0], port: 8090) == "pong ::ffff:\(cliIPs[0])")
        #expect(client(root, pod: "cli", ips[1][1], port: 8090) == "pong \(cliIPs[1])")
        // Leases live under the node, in podrig-ipam's table.
        let leases = IPAMTables.allocated(root.path + "/clusters/cl1/nodes/node-3/ipam/cl1")
        #expect(leases.contains(srvIPs[0]) && leases.contains(srvIPs[1]), "\(leases)")

        let del = podrig("cluster delete cl1", root: root)
        #expect(del.code == 0, "\(del.err)")
        #expect(del.out.contains("pod default/srv on node-3 removed"))
        #expect(!Files.exists(root.path + "/clusters/cl1"))
        LeakCheck.rootEmpty(root)
        LeakCheck.doctorClean(root: root)
        #expect(Self.machine(root) == before)
    }

    @Test func nodeRemoveReleasesItsCIDRAndRoutes() throws {
        let root = TestRoot()
        let before = Self.machine(root)
        #expect(podrig("cluster create cl2 --cluster-cidr 10.20.0.0/16,fd00:20::/56 --nodes 3", root: root).code == 0)
        #expect(routes("pr-cl2-node-1").contains("10.20.1.0/24 via 172.18.0.3"))
        // A runp sandbox on node-2 gets its IPs from node-2's podCIDRs; node rm removes it.
        try Files.writeAtomic(root.path + "/p.yaml", "metadata: {name: p2, uid: p2}\n")
        let run = podrig("runp \(root.path)/p.yaml --node node-2", root: root)
        #expect(run.code == 0, "\(run.err)")
        let rec = try SandboxStore(root: root.path).load(run.out.trimmed)
        #expect(rec.podIPs.count == 2 && rec.podIPs[0].hasPrefix("10.20.1.") && rec.podIPs[1].hasPrefix("fd00:20:0:1::"), "\(rec.podIPs)")
        #expect(rec.node?.name == "node-2" && rec.node?.hostIPs == ["172.18.0.3", "fc00:f853:ccd:e793::3"])
        let rm = podrig("node rm node-2", root: root)
        #expect(rm.code == 0, "\(rm.err)")
        #expect(rm.out.contains("pod default/p2 on node-2 removed"))
        LeakCheck.sandboxGone(rec, root: root)
        for n in ["node-1", "node-3"] {
            let r = routes("pr-cl2-\(n)")
            #expect(!r.contains("10.20.1.0/24") && !r.contains("fd00:20:0:1::/64"), "\(n): \(r)")
        }
        #expect(!Files.exists("/run/netns/pr-cl2-node-2"))
        // Round robin: the released block waits until the scan wraps.
        let add = podrig("node add node-4", root: root)
        #expect(add.code == 0, "\(add.err)")
        #expect(add.out.contains("10.20.3.0/24,fd00:20:0:3::/64"), "\(add.out)")
        #expect(routes("pr-cl2-node-1").contains("10.20.3.0/24 via 172.18.0.3"), "the freed underlay slot is reused")
        #expect(routes("pr-cl2-node-4").contains("10.20.0.0/24 via 172.18.0.2"))
        let yaml = podrig("node get node-4 -o yaml", root: root).out
        #expect(yaml.contains("10.20.3.0/24 is block 3 of 256 in 10.20.0.0/16"), "\(yaml)")
        // A wrong route is put right and a stray one removed on the next reconcile.
        sh("ip -n pr-cl2-node-1 route replace 10.20.3.0/24 via 172.18.0.99 dev eth0; ip -n pr-cl2-node-1 route add 10.20.200.0/24 via 172.18.0.4 dev eth0")
        #expect(podrig("node add", root: root).code == 0)
        let fixed = routes("pr-cl2-node-1")
        #expect(fixed.contains("10.20.3.0/24 via 172.18.0.3") && !fixed.contains("10.20.200.0") && fixed.contains("10.20.4.0/24"), "\(fixed)")
        #expect(podrig("cluster delete cl2", root: root).code == 0)
        LeakCheck.doctorClean(root: root)
        #expect(Self.machine(root) == before)
    }

    func podIPs(_ root: TestRoot, _ name: String) -> [String] {
        (waitRunning(root, name)?["status"]?["podIPs"]?.array ?? []).compactMap { $0["ip"]?.string }
    }

    /// Nodes use podrig-ipam with a reservation TTL: a StatefulSet's db-0 re-created on its node
    /// gets the same IPs back while a pod started in between gets others. `podrig gc` of a node
    /// pod whose sandbox state vanished runs the DEL in the node's netns (a probe plugin chained
    /// after the bridge records where it ran) and frees its lease there.
    @Test func nodeIPsAreStickyAndGCDeletesInTheNodesNetns() throws {
        let root = TestRoot()
        let before = Self.machine(root)
        let create = podrig("cluster create cl7 --cluster-cidr 10.70.0.0/16,fd00:70::/56 --nodes 2", root: root)
        #expect(create.code == 0, "\(create.err)")
        let nodeDir = { (n: String) in root.path + "/clusters/cl7/nodes/\(n)" }
        let conf = try JSONParser.parse(try Files.readString(nodeDir("node-1") + "/net.d/10-cl7.conflist"))
        #expect(conf["plugins"]?[0]?["ipam"]?["type"]?.string == "podrig-ipam" && conf["plugins"]?[0]?["ipam"]?["reservation"]?["ttl"]?.string == "1h")

        let dir = root.path + "/m"
        try Files.makeDirectories(dir)
        try Files.writeAtomic(dir + "/db.yaml", """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db}
            spec:
              serviceName: db
              replicas: 1
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec:
                  nodeName: node-1
                  terminationGracePeriodSeconds: 1
                  containers: [{name: c, command: [sleep, "3600"]}]
            """)
        try Files.writeAtomic(dir + "/other.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: {name: other}
            spec:
              nodeName: node-1
              terminationGracePeriodSeconds: 1
              containers: [{name: c, command: [sleep, "3600"]}]
            """)
        #expect(podrig("up -d \(dir)/db.yaml", root: root).code == 0)
        let first = podIPs(root, "db-0")
        #expect(first.count == 2 && first[0].hasPrefix("10.70.0.") && first[1].hasPrefix("fd00:70::"), "\(first)")
        #expect(podrig("down --grace-period 1 db-0", root: root).code == 0)
        #expect(podrig("up -d \(dir)/other.yaml", root: root).code == 0)
        let between = podIPs(root, "other")
        #expect(between.count == 2 && Set(between).isDisjoint(with: first), "\(between) vs \(first)")
        #expect(podrig("up -d \(dir)/db.yaml", root: root).code == 0)
        #expect(podIPs(root, "db-0") == first)
        let table = nodeDir("node-1") + "/ipam/cl7"
        #expect(IPAMTables.allocated(table) == (first + between).sorted { IPAddr($0)! < IPAddr($1)! })

        // A probe after the bridge on node-2 logs the netns it runs in; a sandbox there loses its
        // state (as a reboot-like wipe of the root would), then gc.
        let probe = dir + "/bin/pr-probe"
        try Files.makeDirectories(dir + "/bin")
        try Files.writeAtomic(probe, """
            #!/usr/bin/env python3
            import json, os, sys
            c = json.load(sys.stdin)
            cmd = os.environ.get('CNI_COMMAND', '')
            with open('\(dir)/probe.log', 'a') as f: f.write(cmd + ' ' + os.readlink('/proc/self/ns/net') + '\\n')
            if cmd == 'ADD': print(json.dumps(c.get('prevResult', {})))
            elif cmd == 'VERSION': print('{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}')
            """, mode: 0o755)
        let conf2 = nodeDir("node-2") + "/net.d/10-cl7.conflist"
        var list2 = try JSONParser.parse(try Files.readString(conf2))
        list2["plugins"] = .array((list2["plugins"]?.array ?? []) + [["type": "pr-probe"]])
        try Files.writeAtomic(conf2, list2.pretty, mode: 0o644)
        let bins = "--cni-bin-dir \(dir)/bin:/opt/cni/bin:/usr/libexec/cni:/usr/lib/cni"
        try Files.writeAtomic(dir + "/leak.yaml", "metadata: {name: leak, namespace: default, uid: leak-1}\n")
        let run = podrig("runp \(dir)/leak.yaml --node node-2 \(bins)", root: root)
        #expect(run.code == 0, "\(run.err)")
        let rec = try SandboxStore(root: root.path).load(run.out.trimmed)
        let table2 = nodeDir("node-2") + "/ipam/cl7"
        #expect(IPAMTables.allocated(table2) == rec.podIPs.sorted { IPAddr($0)! < IPAddr($1)! }, "\(rec.podIPs)")
        if let p = rec.pause { kill(p.pid, SIGKILL) }
        if let ns = rec.netnsPath { try? NetnsPin.unpin(path: ns) }
        // The state goes, the pod cgroup runp made stays: gc finds it through the cached attachment.
        try Files.removeTree(SandboxStore(root: root.path).directory(rec.id))
        let leaked = sh("\(TestBinaries.podrig) doctor --leaks --root \(root.path)")
        #expect(leaked.code == 1 && leaked.out.contains("podrig-ipam.json#\(rec.podIPs[0])") && leaked.out.contains("on a cluster node to a sandbox that is gone"), "\(leaked)")
        let gc = podrig("gc \(bins)", root: root)
        #expect(gc.code == 0 && gc.out.contains("Deleted CNI attachment cl7/\(rec.id)/eth0")
                && gc.out.contains("Removed cgroup podrig/kubepods/pod\(rec.id)"), "\(gc)")
        LeakCheck.cgroupsGone([], pods: ["pod" + rec.id])
        #expect(IPAMTables.allocated(table2).isEmpty, "gc left \(IPAMTables.allocated(table2))")
        #expect(IPAMTables.table(table2)?.leases.allSatisfy { $0.state == .reserved && $0.pod == "default/leak" } == true)
        let nodeNet = sh("stat -L -c %i /run/netns/pr-cl7-node-2").out.trimmed
        let log = (try? Files.readString(dir + "/probe.log")) ?? ""
        #expect(log.contains("ADD net:[\(nodeNet)]") && log.contains("DEL net:[\(nodeNet)]"), "node-2 netns \(nodeNet); probe saw: \(log)")
        #expect(!log.contains("DEL " + sh("readlink /proc/self/ns/net").out.trimmed), "a DEL ran in the host netns: \(log)")

        // The nodes' tables as doctor sees them: live pods' leases are theirs, reservations no one's.
        LeakCheck.doctorClean(root: root)
        for p in ["db-0", "other"] { #expect(podrig("down --grace-period 1 \(p)", root: root).code == 0) }
        LeakCheck.doctorClean(root: root)
        #expect(podrig("cluster delete cl7", root: root).code == 0)
        LeakCheck.rootEmpty(root)
        LeakCheck.doctorClean(root: root)
        #expect(Self.machine(root) == before)
    }

    /// A node's netns vanished (a reboot-like wipe of /run/netns) under a pod whose state is gone:
    /// gc says so in one line, DELs in a throwaway netns and frees the lease. A gc killed right
    /// after making that netns leaves it behind: doctor reports it, the next gc removes it, and a
    /// scratch netns whose gc still runs is nobody's leak.
    @Test func gcWhenANodesNetnsIsGone() throws {
        let root = TestRoot()
        let before = Self.machine(root)
        #expect(podrig("cluster create cl8 --cluster-cidr 10.80.0.0/16 --nodes 1", root: root).code == 0)
        let dir = root.path + "/m"
        try Files.makeDirectories(dir)
        try Files.writeAtomic(dir + "/leak.yaml", "metadata: {name: leak, namespace: default, uid: leak-8}\n")
        let run = podrig("runp \(dir)/leak.yaml --node node-1", root: root)
        #expect(run.code == 0, "\(run.err)")
        let rec = try SandboxStore(root: root.path).load(run.out.trimmed)
        let table = root.path + "/clusters/cl8/nodes/node-1/ipam/cl8"
        #expect(IPAMTables.allocated(table) == rec.podIPs, "\(rec.podIPs)")
        if let p = rec.pause { kill(p.pid, SIGKILL) }
        if let ns = rec.netnsPath { try? NetnsPin.unpin(path: ns) }
        // Only the network is left to gc here: the pod cgroup (runp's) goes with the lost state.
        try? CgroupRecord.remove(SandboxStore(root: root.path).directory(rec.id))
        try Files.removeTree(SandboxStore(root: root.path).directory(rec.id))
        #expect(sh("ip netns del pr-cl8-node-1").code == 0)

        // A gc of this root still running (this process) has its scratch netns: never touched.
        let me = try #require(ProcessIdentity.of(getpid()))
        let running = "\(ScratchNetns.prefix)\(me.pid)-\(me.startTime)-abcdef"
        #expect(ScratchNetns.owner(of: running) == me)
        try Files.makeDirectories(ScratchNetns.markerDirectory(root: root.path))
        try Files.writeAtomic(ScratchNetns.markerDirectory(root: root.path) + "/" + running, "", sync: false)
        sh("ip netns add \(running)")
        defer { sh("ip netns del \(running)") }

        let killed = sh("PODRIG_CRASH_AT=gc:scratch-netns \(TestBinaries.podrig) gc --root \(root.path)")
        #expect(killed.code != 0)
        let left = ScratchNetns.stale(root: root.path)
        #expect(left.count == 1 && !left.contains(running) && left.allSatisfy { Files.exists("/run/netns/" + $0) }, "\(left)")
        let doctor = sh("\(TestBinaries.podrig) doctor --leaks --root \(root.path)")
        #expect(doctor.code == 1 && left.allSatisfy { doctor.out.contains($0) } && doctor.out.contains("throwaway netns of a gc")
                && !doctor.out.contains(running), "\(doctor)")
        #expect(IPAMTables.allocated(table) == rec.podIPs, "the killed gc freed nothing")

        let gc = podrig("gc", root: root)
        #expect(gc.code == 0 && gc.out.contains("Deleted CNI attachment cl8/\(rec.id)/eth0"), "\(gc)")
        let lines = gc.out.split(separator: "\n")
        #expect(lines.filter { $0.contains("node cl8/node-1's netns /run/netns/pr-cl8-node-1 is gone") }.count == 1, "\(gc)")
        #expect(left.allSatisfy { l in lines.contains { $0.contains("Removed netns \(l)") } }, "\(gc)")
        #expect(IPAMTables.allocated(table).isEmpty, "gc left \(IPAMTables.allocated(table))")
        #expect(ScratchNetns.stale(root: root.path).isEmpty && sh("ip netns list").out.contains(running))
        #expect(left.allSatisfy { !Files.exists("/run/netns/" + $0) })
        LeakCheck.doctorClean(root: root)
        try ScratchNetns.remove(running, root: root.path)
        #expect(!Files.exists(ScratchNetns.markerDirectory(root: root.path)))
        #expect(podrig("cluster delete cl8", root: root).code == 0)
        LeakCheck.rootEmpty(root)
        #expect(Self.machine(root) == before)
    }

    @Test func badInputIsOneLineAndLeavesNothing() throws {
        let root = TestRoot()
        let before = Self.machine(root)
        func refused(_ args: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let r = podrig(args, root: root)
            #expect(r.code != 0, "\(args) succeeded", sourceLocation: sourceLocation)
            let lines = r.err.split(separator: "\n")
            #expect(lines.count == 1 && r.err.contains(text), "\(args): \(r.err)", sourceLocation: sourceLocation)
        }
        refused("cluster create cl3 --cluster-cidr 10.30.0.0/23 --nodes 3", "no remaining CIDRs left to allocate in the accepted range")
        refused("cluster create cl3 --cluster-cidr 10.30.0.0/25", "mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size")
        refused("cluster create cl3 --cluster-cidr 10.30.0.0/16,fd00:30::/40", "New CIDR set failed; the node CIDR size is too big")
        refused("cluster create cl3 --cluster-cidr 10.30.0.0/16 --node-cidr-mask-size-ipv6 64", "--node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster")
        refused("cluster create Cl_3 --cluster-cidr 10.30.0.0/16", "cluster name \"Cl_3\" is not a valid name")
        refused("cluster create cl3 --cluster-cidr 10.30.0.0/16 --node Node.1", "node name \"Node.1\" is not a valid name")
        refused("cluster create cl3 --cluster-cidr 10.30.0.0/16 --reservation-ttl 5x", "--reservation-ttl: \"5x\" is not a duration")
        refused("cluster create cl3 --cluster-cidr 10.30.0.0/16 --reservation-ttl=-1h", "--reservation-ttl: \"-1h\" must not be negative")
        #expect(!Files.exists(root.path + "/clusters/cl3"))
        #expect(podrig("cluster create cl3 --cluster-cidr 10.30.0.0/16 --nodes 1 --reservation-ttl 30m", root: root).code == 0)
        let ls = podrig("cluster ls -o yaml", root: root)
        #expect(ls.code == 0 && ls.out.contains("reservationTTL: 30m"), "\(ls)")
        let conf = try JSONParser.parse(try Files.readString(root.path + "/clusters/cl3/nodes/node-1/net.d/10-cl3.conflist"))
        #expect(conf["plugins"]?[0]?["ipam"]?["reservation"]?["ttl"]?.string == "30m")
        refused("cluster create cl4 --cluster-cidr 10.30.128.0/17", "overlaps cluster \"cl3\"'s 10.30.0.0/16")
        try Files.writeAtomic(root.path + "/p.yaml", "metadata: {name: p}\n")
        refused("runp \(root.path)/p.yaml --node node-9", "--node node-9: no such node")
        refused("node rm node-9", "cluster cl3 has no node node-9")
        #expect(sh("ip netns list").out.split(separator: "\n").filter { $0.contains("pr-cl4") }.isEmpty)
        #expect(podrig("cluster delete cl3", root: root).code == 0)
        LeakCheck.rootEmpty(root)
        LeakCheck.doctorClean(root: root)
        #expect(Self.machine(root) == before)
    }

    @Test(arguments: ["cluster:recorded", "cluster:underlay", "cluster:node"])
    func crashMidCreateThenGC(_ step: String) throws {
        let root = TestRoot()
        let before = Self.machine(root)
        let r = sh("PODRIG_CRASH_AT=\(step) \(TestBinaries.podrig) cluster create cl5 --cluster-cidr 10.50.0.0/16 --nodes 2 --root \(root.path)")
        #expect(r.code != 0)
        let doctor = sh("\(TestBinaries.podrig) doctor --leaks --root \(root.path)")
        #expect(doctor.code == 1 && doctor.out.contains("half-created cluster cl5"), "\(doctor)")
        let gc = podrig("gc", root: root)
        #expect(gc.code == 0 && gc.out.contains("cluster cl5"), "\(gc)")
        LeakCheck.doctorClean(root: root)
        #expect(Self.machine(root) == before)
        // And the name is free again.
        #expect(podrig("cluster create cl5 --cluster-cidr 10.50.0.0/16 --nodes 1", root: root).code == 0)
        #expect(podrig("cluster delete cl5", root: root).code == 0)
    }

    @Test(arguments: ["node:recorded", "node:created", "node:deleting"])
    func crashInNodeAddOrRemoveThenGC(_ step: String) throws {
        let root = TestRoot()
        let before = Self.machine(root)
        #expect(podrig("cluster create cl6 --cluster-cidr 10.60.0.0/16 --nodes 2", root: root).code == 0)
        let verb = step == "node:deleting" ? "node rm node-2" : "node add node-3"
        let r = sh("PODRIG_CRASH_AT=\(step) \(TestBinaries.podrig) \(verb) --root \(root.path)")
        #expect(r.code != 0)
        let doctor = sh("\(TestBinaries.podrig) doctor --leaks --root \(root.path)")
        #expect(doctor.code == 1 && doctor.out.contains("cluster cl6"), "\(doctor)")
        let gc = podrig("gc", root: root)
        #expect(gc.code == 0 && gc.out.contains("cluster cl6: half-"), "\(gc)")
        LeakCheck.doctorClean(root: root)
        let left = podrig("get nodes -o json", root: root).out
        #expect(left.contains("\"node-1\"") && !left.contains("\"node-3\""), "\(left)")
        // node-1's routes name only the nodes that are left.
        let r1 = routes("pr-cl6-node-1")
        #expect(!r1.contains("10.60.2.0/24"), "\(r1)")
        #expect(r1.contains("10.60.1.0/24") == (step != "node:deleting"), "\(r1)")
        // A netns that looks like the cluster's but that no record names is reported.
        sh("ip netns add pr-cl6-ghost")
        let ghost = sh("\(TestBinaries.podrig) doctor --leaks --root \(root.path)")
        #expect(ghost.code == 1 && ghost.out.contains("pr-cl6-ghost"), "\(ghost)")
        sh("ip netns del pr-cl6-ghost")
        #expect(podrig("cluster delete cl6", root: root).code == 0)
        LeakCheck.doctorClean(root: root)
        #expect(Self.machine(root) == before)
    }
}
