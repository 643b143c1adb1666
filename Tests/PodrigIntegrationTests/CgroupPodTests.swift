#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import PodrigPod
import Testing

/// A CRI sandbox's pod cgroup: linux.resources plus linux.overhead where kubelet sends them
/// (shown by inspectp), else kubelet's ResourceConfigForPod kept over the containers as they are
/// created and removed; bad values refused naming the field, nothing made. Read from the kernel's files.
@Suite(.serialized) struct CgroupPodTests {
    static let hierarchy = CgroupHierarchy.detect()
    static var usable: Bool { isRoot && (hierarchy?.isWritable ?? false) }

    func limits(_ rel: String) -> [String: String] {
        guard let h = Self.hierarchy else { return [:] }
        return Dictionary(CgroupTree(hierarchy: h).limits(rel).map { ($0.file, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    func podPath(_ b: CRIBed, _ sb: String) -> String {
        (try? Files.readString(b.root.path + "/sandboxes/\(sb)/cgroup"))?.trimmed ?? ""
    }

    @Test(.enabled(if: usable)) func sandboxResourcesAndOverheadOnThePodCgroup() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let mi = 1 << 20
        let sb = b.runp(#""linux": {"resources": {"cpu_shares": 512, "cpu_quota": 50000, "cpu_period": 100000, "memory_limit_in_bytes": \#(64 * mi)}, "overhead": {"cpu_shares": 102, "cpu_quota": 10000, "cpu_period": 100000, "memory_limit_in_bytes": \#(16 * mi)}}"#)
        _ = b.sleeper(sb, "linux: {resources: {cpu_shares: 512, cpu_quota: 50000, cpu_period: 100000, memory_limit_in_bytes: \(64 * mi)}}\n")
        let path = podPath(b, sb)
        #expect(path == "podrig/kubepods/pod\(sb)")
        let l = limits(path)
        switch Self.hierarchy?.version {
        case .v1:
            #expect(l["cpu.shares"] == "614" && l["cpu.cfs_quota_us"] == "60000" && l["memory.limit_in_bytes"] == String(80 * mi), "\(l)")
        default:
            #expect(l["cpu.max"] == "60000 100000" && l["memory.max"] == String(80 * mi), "\(l)")
        }
        let inspect = try JSONParser.parse(b.cli("inspectp \(sb)").out)
        #expect(inspect["info"]?["cgroup"]?["path"]?.string == path)
        #expect(inspect["info"]?["cgroup"]?["resources"]?["memory_limit_in_bytes"]?.int == 80 * mi)
        #expect(inspect["info"]?["cgroup"]?["files"] == .object(JSONObject(l.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })) || inspect["info"]?["cgroup"]?["files"]?.object?.count == l.count)
        #expect(inspect["info"]?["config"]?["linux"]?["overhead"]?["cpu_shares"]?.int == 102)
    }

    @Test(.enabled(if: usable)) func badSandboxResourcesRefusedLeavingNothing() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        for (body, says) in [(#""linux": {"overhead": {"memory_limit_in_bytes": 100}}"#, "linux.overhead: memory limit 100 bytes is below one page"),
                             (#""linux": {"resources": {"cpu_quota": 500, "cpu_period": 100000}}"#, "linux.resources: cpu quota 500"),
                             (#""linux": {"resources": {"cpu_shares": -5}}"#, "linux.resources.cpu_shares")] {
            let path = b.bed.manifest(#"{"metadata": {"name": "pr-cg-bad", "uid": "pr-cg-bad"}, \#(body)}"#, name: "bad.json")
            let r = b.cli("runp \(path)")
            #expect(r.code != 0 && r.err.contains(says) && r.err.trimmed.split(separator: "\n").count == 1, "\(body): \(r.err)")
        }
        #expect(((try? Files.list(b.root.path + "/sandboxes")) ?? []).isEmpty, "no sandbox made")
        LeakCheck.cgroupsGone(["pr-cg-bad"])
    }

    /// ResourceConfigForPod as containers come and go (no sandbox resources: crictl's habit).
    @Test(.enabled(if: usable)) func burstablePodFollowsItsContainers() throws {
        let h = try #require(Self.hierarchy)
        let b = CRIBed()
        defer { b.cleanup() }
        let mi = 1 << 20
        let sb = b.runp()
        let a = b.sleeper(sb, name: "a", "linux: {resources: {cpu_shares: 102, cpu_quota: 20000, cpu_period: 100000, memory_limit_in_bytes: \(32 * mi)}}\n")
        let path = podPath(b, sb)
        func expect(shares: Int, quota: Int?, memory: Int?, _ when: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let l = limits(path)
            switch h.version {
            case .v1:
                #expect(l["cpu.shares"] == String(shares), "\(when): \(l)", sourceLocation: sourceLocation)
                #expect(l["cpu.cfs_quota_us"] == String(quota ?? -1), "\(when): \(l)", sourceLocation: sourceLocation)
                if let memory { #expect(l["memory.limit_in_bytes"] == String(memory), "\(when): \(l)", sourceLocation: sourceLocation) }
                else { #expect((l["memory.limit_in_bytes"].flatMap(UInt64.init) ?? 0) > 1 << 40, "\(when): \(l)", sourceLocation: sourceLocation) }
            case .v2:
                #expect(l["cpu.max"] == (quota.map { "\($0) 100000" } ?? "max 100000"), "\(when): \(l)", sourceLocation: sourceLocation)
                #expect(l["memory.max"] == (memory.map(String.init) ?? "max"), "\(when): \(l)", sourceLocation: sourceLocation)
            }
        }
        expect(shares: 102, quota: 20000, memory: 32 * mi, "one container")
        let c2 = b.sleeper(sb, name: "b", "linux: {resources: {cpu_shares: 256, cpu_quota: 30000, cpu_period: 100000, memory_limit_in_bytes: \(16 * mi)}}\n")
        expect(shares: 358, quota: 50000, memory: 48 * mi, "two limited containers: summed")
        let c3 = b.sleeper(sb, name: "c", "linux: {resources: {cpu_shares: 2}}\n")
        expect(shares: 360, quota: nil, memory: nil, "one without limits: the pod has none")
        #expect(b.cli("rm -f \(c3)").code == 0)
        expect(shares: 358, quota: 50000, memory: 48 * mi, "it was removed")
        #expect(b.cli("rm -f \(c2)").code == 0)
        expect(shares: 102, quota: 20000, memory: 32 * mi, "back to one")
        #expect(b.cli("rm -f \(a)").code == 0)
        LeakCheck.cgroupsGone([a, c2, c3])
    }

    /// kubelet's oom_score_adj per QoS class, written by the child while still root: BestEffort
    /// 1000, Burstable by its memory request, Guaranteed -997 where podrig may lower a score
    /// (CAP_SYS_RESOURCE; this machine's bounding set lacks it: then the inherited score stays and
    /// an event says why).
    @Test(.enabled(if: usable)) func oomScoreAdjPerQOSClass() throws {
        let bed = PodBed()
        let path = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-adj-g}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: a, command: [sleep, "1000"], resources: {limits: {cpu: 100m, memory: 32Mi}}}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-adj-b}
            spec:
              terminationGracePeriodSeconds: 1
              securityContext: {runAsUser: 1000}
              containers: [{name: a, command: [sleep, "1000"], resources: {requests: {memory: 64Mi}}}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-adj-e}
            spec:
              terminationGracePeriodSeconds: 1
              securityContext: {runAsUser: 1000}
              containers: [{name: a, command: [sleep, "1000"]}]
            """)
        let up = bed.cli("up -d \(path)")
        #expect(up.code == 0, "\(up.err)")
        func adj(_ name: String) -> String? {
            guard let pid = bed.pod(name)?.status?.containers.first?.pid, pid > 0 else { return nil }
            return (try? Files.readString("/proc/\(pid)/oom_score_adj"))?.trimmed
        }
        #expect(adj("pr-adj-e") == "1000", "BestEffort, even as uid 1000")
        let burstable = PodCgroups.oomScoreAdj(qos: "Burstable", memoryRequest: 64 << 20, memoryCapacity: NodeCapacity.discover().memoryBytes)
        #expect(adj("pr-adj-b") == String(burstable), "Burstable")
        let canLower = (Proc.status(getpid(), "CapBnd").flatMap { UInt64($0, radix: 16) } ?? 0) & (1 << 24) != 0
        let own = (try? Files.readString("/proc/self/oom_score_adj"))?.trimmed
        #expect(adj("pr-adj-g") == (canLower ? "-997" : own), "Guaranteed")
        if !canLower, let p = bed.pod("pr-adj-g") {
            let events = (try? Files.readString(p.layout.events)) ?? ""
            #expect(events.contains("oom_score_adj -997 not applied (lowering it needs CAP_SYS_RESOURCE"), "\(events)")
        }
        let records = ["pr-adj-g", "pr-adj-b", "pr-adj-e"].compactMap { bed.pod($0)?.record }
        #expect(bed.cli("down pr-adj-g pr-adj-b pr-adj-e").code == 0)
        for r in records { LeakCheck.sandboxGone(r, root: bed.root) }
        LeakCheck.rootEmpty(bed.root)
    }
}
