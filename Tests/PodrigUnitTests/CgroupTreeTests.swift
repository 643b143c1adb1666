#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing
@testable import PodrigCgroups

/// The cgroup writers against fake trees (temp dirs shaped like /sys/fs/cgroup), and kubelet's
/// values per QoS class, pod and container level.
@Suite struct CgroupTreeTests {
    func fakeTree(_ version: CgroupHierarchy.Version) throws -> String {
        let dir = "/tmp/podrig-unit-cgroup-\((try Identifiers.newID()).prefix(8))"
        if version == .v2 {
            try Files.makeDirectories(dir, mode: 0o755)
            try Files.writeAtomic(dir + "/cgroup.controllers", "cpuset cpu io memory pids\n")
            try Files.writeAtomic(dir + "/cgroup.subtree_control", "\n")
        } else {
            for c in CgroupHierarchy.v1Controllers {
                try Files.makeDirectories(dir + "/" + c, mode: 0o755)
                try Files.writeAtomic(dir + "/\(c)/cgroup.procs", "")
            }
            try Files.writeAtomic(dir + "/cpuset/cpuset.cpus", "0-1\n")
            try Files.writeAtomic(dir + "/cpuset/cpuset.mems", "0\n")
        }
        return dir
    }

    func read(_ p: String) -> String? { (try? Files.readString(p))?.trimmed }

    func spec(_ yaml: String) throws -> PodSpec {
        try PodManifestParser.parse(try ConfigText.parse(yaml, source: "t.yaml")).spec
    }

    static let guaranteed = """
    apiVersion: v1
    kind: Pod
    metadata: {name: g}
    spec:
      containers:
      - {name: a, command: ["true"], resources: {limits: {cpu: 500m, memory: 64Mi}}}
      - {name: b, command: ["true"], resources: {limits: {cpu: 250m, memory: 32Mi}}}
    """
    static let burstable = """
    apiVersion: v1
    kind: Pod
    metadata: {name: b}
    spec:
      containers:
      - {name: a, command: ["true"], resources: {requests: {cpu: 100m}, limits: {cpu: 200m, memory: 15Mi}}}
      - {name: b, command: ["true"], resources: {requests: {cpu: 300m, memory: 10Mi}}}
    """
    static let bestEffort = """
    apiVersion: v1
    kind: Pod
    metadata: {name: e}
    spec:
      containers: [{name: a, command: ["true"]}]
    """

    @Test func detectsEachHierarchyAndNone() throws {
        let v2 = try fakeTree(.v2), v1 = try fakeTree(.v1)
        defer { try? Files.removeTree(v2); try? Files.removeTree(v1) }
        #expect(CgroupHierarchy.detect(mount: v2)?.version == .v2)
        let h1 = try #require(CgroupHierarchy.detect(mount: v1))
        #expect(h1.version == .v1 && h1.controllers.map(\.name) == CgroupHierarchy.v1Controllers)
        #expect(CgroupHierarchy.detect(mount: "/nonexistent") == nil)
        #expect(h1.oomEventsFile("podrig/x") == v1 + "/memory/podrig/x/memory.oom_control")
        #expect(h1.eventControlFile("podrig/x") == v1 + "/memory/podrig/x/cgroup.event_control" && h1.cgroupEventsFile("podrig/x") == nil)
        let h2 = try #require(CgroupHierarchy.detect(mount: v2))
        #expect(h2.cgroupEventsFile("podrig/x") == v2 + "/podrig/x/cgroup.events" && h2.eventControlFile("podrig/x") == nil)
    }

    /// ResourceConfigForPod per QoS class (kubelet's helpers_linux.go).
    @Test func podValuesPerQOSClass() throws {
        let g = PodCgroups.pod(try spec(Self.guaranteed))
        #expect(g.cpuShares == 768 && g.cpuQuota == 75000 && g.cpuPeriod == 100_000 && g.memoryLimit == 96 * 1024 * 1024)
        let b = PodCgroups.pod(try spec(Self.burstable))
        // b has no cpu or memory limit: no quota and no memory at the pod level
        #expect(b.cpuShares == 409 && b.cpuQuota == nil && b.memoryLimit == nil)
        let e = PodCgroups.pod(try spec(Self.bestEffort), pidsLimit: 100)
        #expect(e.cpuShares == 2 && e.cpuQuota == nil && e.memoryLimit == nil && e.pidsLimit == 100)
        #expect(CgroupPath.pod(uid: "u", qos: "Guaranteed") == "podrig/kubepods/podu")
        #expect(CgroupPath.pod(uid: "u", qos: "Burstable") == "podrig/kubepods/burstable/podu")
        #expect(CgroupPath.pod(uid: "../x", qos: "BestEffort") == "podrig/kubepods/besteffort/pod.._x")
        // kubelet's pod level writes memory.limit_in_bytes only
        #expect(g.writes(.v1).map(\.description) == ["cpu.shares=768", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=75000",
                                                     "memory.limit_in_bytes=100663296"])
    }

    /// generateLinuxContainerResources: request (else limit) shares, quota over 100ms, memory with swap off.
    @Test func containerValues() throws {
        let s = try spec(Self.burstable)
        let node = NodeCapacity(cpus: 2, memoryBytes: 1 << 30, ephemeralStorageBytes: 0)
        let a = PodCgroups.container(s.containers[0], pod: s, node: node, version: .v1)
        #expect(a.writes(.v1).map(\.description) == ["cpu.shares=102", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=20000",
                                                     "memory.limit_in_bytes=15728640", "memory.memsw.limit_in_bytes=15728640"])
        #expect(a.oomScoreAdj == 1000 - Int((1000 * Int64(15 << 20)) / (1 << 30)))  // requests default to limits
        let a2 = PodCgroups.container(s.containers[0], pod: s, node: node, version: .v2)
        #expect(a2.writes(.v2).map(\.description) == ["cpu.weight=17", "cpu.max=20000 100000", "memory.max=15728640",
                                                      "memory.swap.max=0", "memory.oom.group=1"])
        let b = PodCgroups.container(s.containers[1], pod: s, node: node, version: .v2)
        #expect(b.writes(.v2).map(\.description) == ["cpu.weight=40", "cpu.max=max 100000", "memory.oom.group=1"])
        // kubelet's singleProcessOOMKill: no memory.oom.group; CRI's linux.resources exactly as given (containerd).
        let single = PodCgroups.container(s.containers[1], pod: s, node: node, version: .v2, singleProcessOOMKill: true)
        #expect(single.writes(.v2).map(\.description) == ["cpu.weight=40", "cpu.max=max 100000"])
        var cri = s.containers[1]
        var given = CgroupResources()
        given.memoryLimit = 1 << 24
        cri.linuxResources = given
        #expect(PodCgroups.container(cri, pod: s, node: node, version: .v2).writes(.v2).map(\.description) == ["memory.max=16777216", "memory.swap.max=0"])
        #expect(PodCgroups.oomScoreAdj(qos: "Guaranteed", memoryRequest: 1, memoryCapacity: 2) == -997)
        #expect(PodCgroups.oomScoreAdj(qos: "Burstable", memoryRequest: 1 << 29, memoryCapacity: 1 << 30) == 500)
        #expect(PodCgroups.oomScoreAdj(qos: "Burstable", memoryRequest: 0, memoryCapacity: 1 << 30) == 999)
        #expect(PodCgroups.oomScoreAdj(qos: "Burstable", memoryRequest: 1 << 30, memoryCapacity: 1 << 30) == 3)
        // A request of 1Ei: 1000 × it overflowed (a trap).
        #expect(PodCgroups.oomScoreAdj(qos: "Burstable", memoryRequest: 1 << 60, memoryCapacity: 1 << 30) == 3)
        // CRI containers' values summed for the pod cgroup saturate, not trap.
        var huge = CgroupResources()
        huge.cpuShares = .max; huge.cpuQuota = .max; huge.cpuPeriod = 1000; huge.memoryLimit = .max
        let pod = PodCgroups.pod(containers: [huge, huge])
        #expect(pod.cpuShares == KubeletMapping.maxShares && pod.cpuQuota == 2 * (Int64.max / 1000) && pod.memoryLimit == .max)
    }

    @Test func v2TreeCreatedFilledAndRemoved() throws {
        let root = try fakeTree(.v2)
        defer { try? Files.removeTree(root) }
        let tree = CgroupTree(hierarchy: try #require(CgroupHierarchy.detect(mount: root)))
        var r = CgroupResources()
        r.cpuShares = 1024
        r.cpuQuota = 50000
        r.cpuPeriod = 100_000
        r.memoryLimit = 15 * 1024 * 1024
        r.memorySwapLimit = 20 * 1024 * 1024
        r.pidsLimit = 64
        r.unified = ["memory.high": "12582912"]
        let pod = "podrig/kubepods/podabc", ctr = pod + "/ctr-a"
        try tree.create(pod)
        // optional files are written only where the kernel has them
        try Files.makeDirectories(root + "/" + ctr, mode: 0o755)
        try Files.writeAtomic(root + "/" + ctr + "/memory.swap.max", "max")
        let written = try tree.create(ctr, r)
        #expect(written.map(\.description) == ["cpu.weight=100", "cpu.max=50000 100000", "memory.max=15728640",
                                               "memory.swap.max=5242880", "pids.max=64", "memory.high=12582912"])
        #expect(read(root + "/" + ctr + "/cpu.max") == "50000 100000")
        // the controllers the parent offers, enabled once for its children (a fake child offers none)
        #expect(read(root + "/cgroup.subtree_control") == "+cpu +cpuset +memory +pids")
        #expect(CgroupTree(hierarchy: tree.hierarchy, weightFormula: .linear).hierarchy.version == .v2)
        #expect(tree.existing() == ["podrig", "podrig/kubepods", "podrig/kubepods/podabc", "podrig/kubepods/podabc/ctr-a"])
        try tree.remove(pod)
        #expect(!Files.exists(root + "/podrig"))
        #expect(tree.existing().isEmpty)
        try tree.remove(pod)  // gone already: fine
    }

    @Test func v1TreeInheritsCpusetAndWritesEachController() throws {
        let root = try fakeTree(.v1)
        defer { try? Files.removeTree(root) }
        let tree = CgroupTree(hierarchy: try #require(CgroupHierarchy.detect(mount: root)))
        var r = CgroupResources()
        r.cpuShares = 512
        r.memoryLimit = 1 << 24
        r.pidsLimit = 0
        let path = "podrig/kubepods/besteffort/podx"
        // a new v1 cpuset cgroup is empty until it inherits
        for sub in ["podrig", "podrig/kubepods", "podrig/kubepods/besteffort", path] {
            try Files.makeDirectories(root + "/cpuset/" + sub, mode: 0o755)
            try Files.writeAtomic(root + "/cpuset/\(sub)/cpuset.cpus", "")
            try Files.writeAtomic(root + "/cpuset/\(sub)/cpuset.mems", "")
            rmdir(root + "/cpuset/" + sub)
        }
        try? Files.removeTree(root + "/cpuset/podrig")
        try tree.create(path, r)
        #expect(read(root + "/cpu/\(path)/cpu.shares") == "512")
        #expect(read(root + "/memory/\(path)/memory.limit_in_bytes") == "16777216")
        #expect(read(root + "/pids/\(path)/pids.max") == "max")
        #expect(Files.isDirectory(root + "/cpuacct/" + path) && Files.isDirectory(root + "/cpuset/" + path))
        try tree.remove(path)
        for c in CgroupHierarchy.v1Controllers { #expect(!Files.exists(root + "/\(c)/podrig")) }
    }

    /// The v1 fast path: below an existing pod one mkdir per tree, a fresh cpuset filled from the
    /// pod's without reading its own; an unfilled parent falls back to the walk from the top; an
    /// optional file the tree lacks is skipped, not created. (A fake tree's mkdir makes no files:
    /// the test writes the ones cgroupfs would have.)
    @Test func v1LeafBelowAnExistingPodAndTheWalkOtherwise() throws {
        let root = try fakeTree(.v1)
        defer { try? Files.removeTree(root) }
        let tree = CgroupTree(hierarchy: try #require(CgroupHierarchy.detect(mount: root)))
        let pod = "podrig/kubepods/podp", ctr = pod + "/c1"
        try tree.create(pod)
        try Files.writeAtomic(root + "/cpuset/\(pod)/cpuset.cpus", "1\n")
        try Files.writeAtomic(root + "/cpuset/\(pod)/cpuset.mems", "0\n")
        var r = CgroupResources()
        r.memoryLimit = 1 << 24
        let written = try tree.create(ctr, r)
        #expect(read(root + "/cpuset/\(ctr)/cpuset.cpus") == "1" && read(root + "/cpuset/\(ctr)/cpuset.mems") == "0")
        #expect(written.map(\.description) == ["memory.limit_in_bytes=16777216"])
        #expect(!Files.exists(root + "/memory/\(ctr)/memory.memsw.limit_in_bytes"))
        // an unfilled pod (another podrig making it right now): the walk fills it from its parent
        let kubepods = root + "/cpuset/podrig/kubepods", other = "podrig/kubepods/podq"
        try Files.writeAtomic(kubepods + "/cpuset.cpus", "0-1\n")
        try Files.writeAtomic(kubepods + "/cpuset.mems", "0\n")
        try Files.makeDirectories(root + "/cpuset/" + other, mode: 0o755)
        for f in ["cpuset.cpus", "cpuset.mems"] { try Files.writeAtomic(root + "/cpuset/\(other)/\(f)", "") }
        try tree.create(other + "/c2")
        #expect(read(root + "/cpuset/\(other)/cpuset.cpus") == "0-1" && read(root + "/cpuset/\(other)/cpuset.mems") == "0")
        #expect(tree.existing().contains(ctr) && tree.existing().contains(other + "/c2"))
        for f in ["cpuset.cpus", "cpuset.mems"] { unlink(kubepods + "/" + f) }  // cgroupfs drops its own at rmdir
        try tree.remove(pod)
        try tree.remove(other)
        for c in CgroupHierarchy.v1Controllers { #expect(!Files.exists(root + "/\(c)/podrig")) }
    }

    @Test func refusals() throws {
        #expect(throws: PodrigError.self) { try CgroupPath.parent("/kubepods/../../system.slice") }
        #expect(throws: PodrigError.self) { try CgroupPath.parent("/") }
        #expect(try CgroupPath.parent("/kubepods/burstable/pod1") == "podrig/kubepods/burstable/pod1")
        #expect(try CgroupPath.parent("podrig/x") == "podrig/podrig/x")
        #expect(!CgroupPath.isPodrigs("system.slice") && !CgroupPath.isPodrigs("podrig/../x") && CgroupPath.isPodrigs("podrig/a"))
        let root = try fakeTree(.v2)
        defer { try? Files.removeTree(root) }
        let tree = CgroupTree(hierarchy: try #require(CgroupHierarchy.detect(mount: root)))
        #expect(throws: PodrigError.self) { try tree.create("user.slice/x") }
        func refused(_ f: (inout CgroupResources) -> Void, _ text: String, _ version: CgroupHierarchy.Version? = .v2) {
            var r = CgroupResources()
            f(&r)
            do {
                try r.validate(version, what: "linux.resources", machineCPUs: 2)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.message.contains(text) && !error.message.contains("\n"), "\(error.message)")
            }
        }
        refused({ $0.memoryLimit = 100 }, "below one page")
        refused({ $0.cpuQuota = 999 }, "below the kernel's minimum of 1ms")
        // A limit of 200 million CPUs (`cpu: 2e8`): refused here, not by the kernel's EINVAL.
        refused({ $0.cpuQuota = KubeletMapping.quota(milliCPU: 200_000_000_000, period: KubeletMapping.quotaPeriod) }, "above the kernel's maximum")
        refused({ $0.cpuQuota = Int64.max }, "above the kernel's maximum")
        var largest = CgroupResources()
        largest.cpuQuota = KubeletMapping.maxQuota
        #expect(throws: Never.self) { try largest.validate(.v2, what: "linux.resources", machineCPUs: 2) }
        refused({ $0.cpusetCpus = "0-2" }, "names CPU 2")
        refused({ $0.cpusetCpus = "a" }, "is not a list")
        refused({ $0.memoryLimit = 1 << 24; $0.memorySwapLimit = 1 << 20 }, "below the memory limit")
        refused({ $0.unified = ["memory.high": "1"] }, "need cgroup v2", .v1)
        refused({ $0.unified = ["../x": "1"] }, "not a controller file")
        #expect(CgroupResources.parseList("0-2,4") == [0, 1, 2, 4] && CgroupResources.parseList("3-1") == nil)
    }

    @Test func usageFromFakeFiles() throws {
        let root = try fakeTree(.v2)
        defer { try? Files.removeTree(root) }
        let h = try #require(CgroupHierarchy.detect(mount: root))
        try Files.makeDirectories(root + "/podrig/p", mode: 0o755)
        try Files.writeAtomic(root + "/podrig/p/memory.current", "10000\n")
        try Files.writeAtomic(root + "/podrig/p/memory.stat", "anon 6000\ninactive_file 3000\npgfault 5\n")
        try Files.writeAtomic(root + "/podrig/p/cpu.stat", "usage_usec 1500\nuser_usec 1000\n")
        let u = try #require(CgroupUsage.read(h, "podrig/p"))
        #expect(u.cpuNanos == 1_500_000 && u.memoryUsage == 10000 && u.workingSet == 7000 && u.rss == 6000 && u.pageFaults == 5)
    }
}

/// CRI linux.resources as containerd reads them (proto3 zero = unset), checked at parse.
@Suite struct CRIResourcesTests {
    func parse(_ yaml: String) throws(PodrigError) -> CRIContainerConfig {
        try CRIContainerConfig.parse(try ConfigText.parse("metadata: {name: c}\ncommand: [sleep, '1']\n" + yaml, source: "c.yaml"))
    }

    @Test func fieldsAndZeroes() throws {
        let c = try parse("""
            linux: {resources: {cpu_period: 100000, cpu_quota: 20000, cpu_shares: 204, memory_limit_in_bytes: 15728640,
                                memory_swap_limit_in_bytes: 0, oom_score_adj: 0, cpuset_cpus: "0", cpuset_mems: "", hugepage_limits: [],
                                unified: {memory.high: "10485760"}}}
            """)
        let r = try #require(c.container.linuxResources)
        #expect(r.cpuPeriod == 100_000 && r.cpuQuota == 20000 && r.cpuShares == 204 && r.memoryLimit == 15_728_640)
        #expect(r.memorySwapLimit == nil && r.oomScoreAdj == 0 && r.cpusetCpus == "0" && r.cpusetMems == nil)
        #expect(r.unified == ["memory.high": "10485760"])
        // swap unset: memory+swap equals the memory limit (containerd's default, swap off)
        #expect(r.writes(.v1).contains { $0.file == "memory.memsw.limit_in_bytes" && $0.value == "15728640" })
        #expect(try parse("linux: {}\n").container.linuxResources == nil)
    }

    @Test func refusals() {
        for (yaml, says) in [("linux: {resources: {memory_limit_in_bytes: 4000}}", "below one page"),
                             ("linux: {resources: {cpu_quota: 10}}", "below the kernel's minimum"),
                             ("linux: {resources: {cpuset_cpus: \"0-1000\"}}", "names CPU"),
                             ("linux: {resources: {memory_limit_in_bytes: 16777216, memory_swap_limit_in_bytes: 4096}}", "below the memory limit"),
                             ("linux: {resources: {hugepage_limits: [{page_size: 2MB, limit: 1}]}}", "hugetlb"),
                             ("linux: {resources: {cpu_shares: -5}}", "negative")] {
            do {
                _ = try parse(yaml + "\n")
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect(error.message.contains(says) && error.message.contains("linux.resources"), "\(error.message)")
            }
        }
    }
}

/// The pod cgroup of a CRI sandbox: its linux.resources + overhead, or ResourceConfigForPod over its containers.
@Suite struct CRIPodCgroupTests {
    func res(shares: UInt64? = nil, quota: Int64? = nil, memory: Int64? = nil) -> CgroupResources {
        var r = CgroupResources()
        r.cpuShares = shares
        r.cpuQuota = quota
        r.cpuPeriod = quota == nil ? nil : 100_000
        r.memoryLimit = memory
        return r
    }

    @Test func sandboxResourcesPlusOverhead() {
        #expect(CgroupResources.sandbox(resources: nil, overhead: nil) == nil)
        let p = CgroupResources.sandbox(resources: res(shares: 512, quota: 50000, memory: 1 << 26), overhead: res(shares: 102, quota: 10000, memory: 1 << 24))
        #expect(p?.writes(.v1).map(\.description) == ["cpu.shares=614", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=60000", "memory.limit_in_bytes=83886080"])
        // No pod limit stays no limit, whatever the overhead.
        let q = CgroupResources.sandbox(resources: res(shares: 2), overhead: res(shares: 102, quota: 10000, memory: 1 << 24))
        #expect(q?.writes(.v1).map(\.description) == ["cpu.shares=104"])
    }

    @Test func resourceConfigForPodOverContainers() {
        let two = PodCgroups.pod(containers: [res(shares: 102, quota: 20000, memory: 1 << 25), res(shares: 256, quota: 30000, memory: 1 << 24)])
        #expect(two.writes(.v1).map(\.description) == ["cpu.shares=358", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000", "memory.limit_in_bytes=50331648"])
        #expect(two.writes(.v2).map(\.description) == ["cpu.weight=45", "cpu.max=50000 100000", "memory.max=50331648"])
        let open = PodCgroups.pod(containers: [res(shares: 102, quota: 20000, memory: 1 << 25), res(shares: 2)])
        #expect(open.writes(.v1).map(\.description) == ["cpu.shares=104", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=-1", "memory.limit_in_bytes=-1"])
        #expect(open.writes(.v2).map(\.description) == ["cpu.weight=18", "cpu.max=max 100000", "memory.max=max"])
        let bestEffort = PodCgroups.pod(containers: [res(shares: 2), res()])
        #expect(bestEffort.cpuShares == 2 && bestEffort.cpuQuota == -1 && bestEffort.memoryLimit == -1)
        #expect(PodCgroups.pod(containers: []).cpuShares == 2)
        // Another period: the quota counted in 100 ms periods.
        var p = res(shares: 1024, quota: 50000)
        p.cpuPeriod = 50000
        #expect(PodCgroups.pod(containers: [p]).cpuQuota == 100_000)
    }
}
