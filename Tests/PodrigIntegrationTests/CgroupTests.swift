#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import PodrigPod
import Testing

/// Resources enforced on this machine's cgroup hierarchy: critest's OOM scenario through the
/// CRI verbs and as a Pod, a CPU limit that holds a busy loop near its share, kubelet's values
/// per QoS class in the cgroup files, refusals that leave nothing, and every cgroup gone after.
@Suite(.serialized) struct CgroupTests {
    static let hierarchy = CgroupHierarchy.detect()
    static var usable: Bool { isRoot && (hierarchy?.isWritable ?? false) }

    func file(_ controller: String, _ rel: String, _ name: String) -> String? {
        guard let dir = Self.hierarchy?.directory(controller, rel) else { return nil }
        return (try? Files.readString(dir + "/" + name))?.trimmed
    }

    /// critest "should terminate with exitCode 137 and reason OOMKilled" (container_linux.go).
    @Test(.enabled(if: usable)) func oomKilledThroughCRIVerbs() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let id = b.start(sb, """
            metadata: {name: oom}
            image: {image: busybox}
            command: [dd, if=/dev/zero, of=/dev/null, bs=20M]
            linux: {resources: {memory_limit_in_bytes: 15728640}}
            """)
        var inspect: JSON?
        #expect(b.exited(id, within: 20, last: &inspect) != nil, "\(inspect?.compact ?? "")")
        #expect(inspect?["status"]?["reason"]?.string == "OOMKilled")
        #expect(inspect?["status"]?["exitCode"]?.int == 137)
        #expect(inspect?["status"]?["resources"]?["linux"]?["memory_limit_in_bytes"]?.int == 15_728_640)
        let path = try #require(inspect?["info"]?["cgroup"]?["path"]?.string)
        #expect(path == "podrig/kubepods/pod\(sb)/\(id)")
        #expect(file("memory", path, Self.hierarchy?.version == .v2 ? "memory.max" : "memory.limit_in_bytes") == "15728640")
        // The kernel's OOM event is what fired (v1: the memory.oom_control eventfd), not an inference.
        let events = (try? Files.readString(b.root.path + "/sandboxes/\(sb)/containers/\(id)/events.log")) ?? ""
        #expect(events.contains(Self.hierarchy?.version == .v2 ? "OOM event (memory.events)" : "OOM event (memory.oom_control eventfd)"), "\(events)")
        #expect(b.cli("rm \(id)").code == 0)
        LeakCheck.cgroupsGone([id])
    }

    /// A Pod with `limits.memory: 15Mi` shows OOMKilled as kubectl would, and OnFailure restarts it (counted).
    @Test(.enabled(if: usable)) func podMemoryLimitShowsOOMKilled() throws {
        let bed = PodBed()
        let path = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-oom}
            spec:
              restartPolicy: OnFailure
              containers:
              - name: dd
                command: [dd, if=/dev/zero, of=/dev/null, bs=20M]
                resources: {limits: {memory: 15Mi}}
            """)
        let up = bed.cli("up -d \(path)")
        #expect(up.code == 0, "\(up.err)")
        var status: JSON?
        let restarted = bed.wait(30) {
            status = bed.get("pr-oom")?["status"]?["containerStatuses"]?[0]
            return (status?["restartCount"]?.int ?? 0) >= 1
        }
        #expect(restarted, "\(status?.compact ?? "")")
        let last = status?["lastState"]?["terminated"]
        #expect(last?["reason"]?.string == "OOMKilled" && last?["exitCode"]?.int == 137, "\(status?.compact ?? "")")
        let yaml = bed.cli("get pod pr-oom -o yaml").out
        #expect(yaml.contains("reason: OOMKilled") && yaml.contains("exitCode: 137"))
        #expect(status?["cgroup"]?["files"]?[Self.hierarchy?.version == .v2 ? "memory.max" : "memory.limit_in_bytes"]?.string == "15728640")
        bed.downAndCheck("pr-oom")
    }

    /// kubelet's values per QoS class, pod and container level, read back from the kernel's files;
    /// a 200m CPU limit keeps a busy loop near 20% of a core.
    @Test(.enabled(if: usable)) func kubeletValuesPerQOSClassAndCPULimit() throws {
        let h = try #require(Self.hierarchy)
        let bed = PodBed()
        let path = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-qos-g, uid: pr-qos-g-uid}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: spin
                command: [sh, -c, "trap 'exit 0' TERM; while :; do :; done"]
                resources: {limits: {cpu: 200m, memory: 64Mi}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-qos-b, uid: pr-qos-b-uid}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: a
                command: [sleep, "1000"]
                resources: {requests: {cpu: 100m, memory: 16Mi}, limits: {cpu: 300m}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-qos-e, uid: pr-qos-e-uid}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: a, command: [sleep, "1000"]}]
            """)
        let up = bed.cli("up -d \(path)")
        #expect(up.code == 0, "\(up.err)")
        let g = "podrig/kubepods/podpr-qos-g-uid", bu = "podrig/kubepods/burstable/podpr-qos-b-uid", e = "podrig/kubepods/besteffort/podpr-qos-e-uid"
        switch h.version {
        case .v1:
            // Guaranteed: shares, quota and memory at the pod level too
            #expect(file("cpu", g, "cpu.shares") == "204" && file("cpu", g, "cpu.cfs_quota_us") == "20000")
            #expect(file("memory", g, "memory.limit_in_bytes") == "67108864")
            #expect(file("cpu", g + "/ctr-spin", "cpu.cfs_quota_us") == "20000" && file("cpu", g + "/ctr-spin", "cpu.cfs_period_us") == "100000")
            #expect(file("memory", g + "/ctr-spin", "memory.limit_in_bytes") == "67108864")
            if let sw = file("memory", g + "/ctr-spin", "memory.memsw.limit_in_bytes") { #expect(sw == "67108864", "swap off") }
            // Burstable: shares, quota only because every container limits cpu, no memory limit
            #expect(file("cpu", bu, "cpu.shares") == "102" && file("cpu", bu, "cpu.cfs_quota_us") == "30000")
            #expect(file("memory", bu, "memory.limit_in_bytes").flatMap(UInt64.init).map { $0 > 1 << 40 } == true)
            #expect(file("cpu", bu + "/ctr-a", "cpu.shares") == "102" && file("cpu", bu + "/ctr-a", "cpu.cfs_quota_us") == "30000")
            // BestEffort: the minimum shares, at the pod, its container and the QoS level
            #expect(file("cpu", e, "cpu.shares") == "2" && file("cpu", e + "/ctr-a", "cpu.shares") == "2")
            #expect(file("cpu", "podrig/kubepods/besteffort", "cpu.shares") == "2")
            #expect(file("cpu", e + "/ctr-a", "cpu.cfs_quota_us") == "-1")
        case .v2:
            #expect(file("cpu", g + "/ctr-spin", "cpu.max") == "20000 100000")
            #expect(file("memory", g + "/ctr-spin", "memory.max") == "67108864")
            #expect(file("cpu", e + "/ctr-a", "cpu.weight") == "1")
        }
        // The container's processes are in its cgroup, with kubelet's oom_score_adj.
        // (Its cgroup holder, which forks them, is there too: OOM-exempt, so left out here.)
        let pids = ((try? Files.readString(try #require(h.directory("memory", g + "/ctr-spin")) + "/cgroup.procs")) ?? "").split(separator: "\n")
            .filter { (try? Files.readString("/proc/\($0)/comm"))?.trimmed != "podrig-holder" }
        #expect(!pids.isEmpty)
        // Guaranteed: -997, where podrig may lower scores (CAP_SYS_RESOURCE); else the inherited one stays.
        let canLower = (Proc.status(getpid(), "CapEff").flatMap { UInt64($0, radix: 16) } ?? 0) & (1 << 24) != 0
        let own = (try? Files.readString("/proc/self/oom_score_adj"))?.trimmed
        if let pid = pids.first { #expect((try? Files.readString("/proc/\(pid)/oom_score_adj"))?.trimmed == (canLower ? "-997" : own)) }
        // podrig exec runs in the container's cgroup too.
        let cg = bed.cli("exec pr-qos-g -- cat /proc/self/cgroup").out
        #expect(cg.contains(g + "/ctr-spin"), "\(cg)")
        // 200m: about a fifth of one core over 3 s (a loose bound: the machine is shared).
        let before = CgroupUsage.read(h, g + "/ctr-spin")?.cpuNanos ?? 0
        let t0 = Clock.now()
        usleep(3_000_000)
        let used = Double((CgroupUsage.read(h, g + "/ctr-spin")?.cpuNanos ?? 0) - before) / ((Clock.now() - t0) * 1e9)
        #expect(used > 0.08 && used < 0.3, "a 200m limit let the loop use \(used) of a core")
        // `podrig stats` agrees with the cgroup file within 5%.
        let stats = try JSONParser.parse(bed.cli("stats -o json").out)
        let spin = stats["stats"]?.array?.first { $0["attributes"]?["metadata"]?["name"]?.string == "spin" }
        let ws = Double(spin?["memory"]?["workingSetBytes"]?["value"]?.string ?? "") ?? -1
        let direct = Double(CgroupUsage.read(h, g + "/ctr-spin")?.workingSet ?? 0)
        #expect(abs(ws - direct) <= max(direct * 0.05, 64 * 1024), "stats \(ws) vs cgroup \(direct)")
        let cpuStat = Double(spin?["cpu"]?["usageCoreNanoSeconds"]?["value"]?.string ?? "") ?? -1
        let cpuNow = Double(CgroupUsage.read(h, g + "/ctr-spin")?.cpuNanos ?? 0)
        #expect(cpuStat <= cpuNow && cpuStat >= cpuNow * 0.95, "stats \(cpuStat) vs cgroup \(cpuNow)")
        let podStats = try JSONParser.parse(bed.cli("stats -p -o json").out)
        #expect(podStats["stats"]?.array?.count == 3, "\(podStats.compact)")
        // crictl's own name for it.
        let statsp = try JSONParser.parse(bed.cli("statsp -o json").out)
        #expect(statsp["stats"]?.array?.count == 3, "\(statsp.compact)")
        #expect(bed.cli("top pods").out.contains("pr-qos-g"))
        let records = ["pr-qos-g", "pr-qos-b", "pr-qos-e"].compactMap { bed.pod($0)?.record }
        #expect(records.count == 3)
        #expect(bed.cli("down pr-qos-g pr-qos-b pr-qos-e").code == 0)
        for r in records { LeakCheck.sandboxGone(r, root: bed.root) }
        LeakCheck.rootEmpty(bed.root)
        LeakCheck.cgroupsGone(["pr-qos-"])
    }

    /// Bad input is one line naming what, and nothing is made.
    @Test(.enabled(if: usable)) func badInputRefusedLeavingNothing() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let escape = b.bed.manifest(#"{"metadata": {"name": "pr-cg-esc", "uid": "pr-cg-esc"}, "linux": {"cgroup_parent": "/kubepods/../../system.slice"}}"#,
                                    name: "esc.json")
        let r = b.cli("runp \(escape)")
        #expect(r.code != 0 && r.err.contains("linux.cgroup_parent") && r.err.trimmed.split(separator: "\n").count == 1, "\(r.err)")
        let sb = b.runp(#""linux": {"cgroup_parent": "/pr-cg-parent"}"#)
        let cpus = CgroupResources.machineCPUs()
        for (res, says) in [("memory_limit_in_bytes: 100", "below one page"), ("cpu_quota: 500, cpu_period: 100000", "below the kernel's minimum"),
                            ("cpuset_cpus: \"0-\(cpus)\"", "names CPU \(cpus)")] {
            let path = b.bed.manifest("metadata: {name: bad}\ncommand: [sleep, '1']\nlinux: {resources: {\(res)}}\n", name: "bad.yaml")
            let c = b.cli("create \(sb) \(path)")
            #expect(c.code != 0 && c.err.contains(says) && c.err.trimmed.split(separator: "\n").count == 1, "\(res): \(c.err)")
        }
        #expect(b.cli("ps -a -o json").out.contains("\"containers\" : [\n\n]") || !b.cli("ps -a").out.contains("bad"))
        // The pod cgroup is runp's (pause in it); no refused container left one below it.
        LeakCheck.cgroupsGone(["pr-cg-parent/", "pr-cg-esc"])
        #expect(Files.isDirectory(Self.hierarchy!.directories("podrig/pr-cg-parent")[0]))
        // A good one goes under the sandbox's cgroup_parent, inside podrig's tree.
        let ok = b.sleeper(sb)
        let inspect = try JSONParser.parse(b.cli("inspect \(ok)").out)
        #expect(inspect["info"]?["cgroup"]?["path"]?.string == "podrig/pr-cg-parent/" + ok)
    }

    /// --cgroups=disabled: nothing made, a warning that limits are not enforced.
    @Test(.enabled(if: isRoot)) func disabledMakesNoneAndWarns() throws {
        let bed = PodBed()
        let path = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-nocg, uid: pr-nocg-uid}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: a, command: [sleep, "1000"], resources: {limits: {memory: 15Mi}}}]
            """)
        let up = bed.cli("--cgroups disabled up -d \(path)")
        #expect(up.code == 0 && up.err.contains("not enforced"), "\(up.err)")
        LeakCheck.cgroupsGone(["pr-nocg-uid"])
        let s = bed.get("pr-nocg")?["status"]?["containerStatuses"]?[0]
        #expect(s?["cgroup"] == nil)
        bed.downAndCheck("pr-nocg")
    }
}
