#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import Testing

/// The cgroup join off the start path: CRI create starts the supervisor, whose per-container
/// holder moves into the container's cgroups at once; start only opens the gate, and the container
/// (and every restart) is forked by the holder, born in its cgroups. Nothing of a created,
/// never-started container may outlive rm, rmp -f or a killed supervisor.
@Suite(.serialized) struct CgroupHolderTests {
    static let hierarchy = CgroupHierarchy.detect()
    static var usable: Bool { isRoot && (hierarchy?.isWritable ?? false) }

    /// The pids in `rel`'s cgroup (memory tree, or the v2 one).
    func members(_ rel: String) -> [Int32] {
        guard let dir = Self.hierarchy?.directory("memory", rel), let text = try? Files.readString(dir + "/cgroup.procs") else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// /proc/PID/cgroup names `rel` in every tree podrig uses (and at least one).
    func inAllTrees(_ pid: Int32, _ rel: String) -> Bool {
        guard let h = Self.hierarchy, let text = try? Files.readString("/proc/\(pid)/cgroup") else { return false }
        let names = Set(h.controllers.map(\.name))
        var matched = 0
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let mine = h.version == .v2 ? f[0] == "0" && f[1].isEmpty : f[1].split(separator: ",").contains { names.contains(String($0)) }
            guard mine else { continue }
            if f[2] != "/" + rel { return false }
            matched += 1
        }
        return matched > 0
    }

    func comm(_ pid: Int32) -> String { (try? Files.readString("/proc/\(pid)/comm"))?.trimmed ?? "" }

    /// Gone, or a zombie of someone else's (not ours to reap).
    func gone(_ pid: Int32) -> Bool { kill(pid, 0) != 0 || Proc.stat(pid)?.state == "Z" }

    func inspect(_ b: CRIBed, _ id: String) -> JSON? { try? JSONParser.parse(b.cli("inspect \(id)").out) }

    func create(_ b: CRIBed, _ sb: String, _ name: String) -> String {
        let path = b.bed.manifest("metadata: {name: \(name)}\ncommand: [sleep, '1000']\nlinux: {resources: {memory_limit_in_bytes: 67108864}}\n",
                                  name: name + ".yaml")
        let c = b.cli("create \(sb) \(path)")
        #expect(c.code == 0, "create: \(c.err)")
        return c.out.trimmed
    }

    @Test(.enabled(if: usable)) func createdContainerIsInItsCgroupsBeforeStart() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let id = create(b, sb, "held")
        let rel = "podrig/kubepods/pod\(sb)/\(id)"
        var held: [Int32] = []
        #expect(b.bed.wait(5) { held = members(rel); return !held.isEmpty }, "no process joined \(rel) after create")
        for pid in held {
            #expect(comm(pid) == "podrig-holder" && inAllTrees(pid, rel), "pid \(pid) (\(comm(pid)))")
        }
        #expect(inspect(b, id)?["status"]?["state"]?.string == "CONTAINER_CREATED")
        #expect(b.cli("stop \(id)").code == 0)  // containerd's: stopping a created container does nothing
        #expect(inspect(b, id)?["status"]?["state"]?.string == "CONTAINER_CREATED")
        let s = b.cli("start \(id)")
        #expect(s.code == 0, "start: \(s.err)")
        let info = inspect(b, id)
        #expect(info?["status"]?["state"]?.string == "CONTAINER_RUNNING")
        let pid = Int32(info?["info"]?["pid"]?.int ?? 0)
        #expect(pid > 0 && comm(pid) == "sleep" && inAllTrees(pid, rel), "pid \(pid) (\(comm(pid)))")
        #expect(b.cli("start \(id)").code != 0, "a second start")
        #expect(b.cli("stop -t 0 \(id)").code == 0 && b.cli("rm \(id)").code == 0)
        for p in held + [pid] { #expect(gone(p), "pid \(p) (\(comm(p))) outlived rm") }
        LeakCheck.cgroupsGone([id])
    }

    /// rm of a created container kills its holder and supervisor and removes its cgroup; one left
    /// created is gone with rmp -f (cleanup's checks); a killed supervisor's holder dies with it,
    /// and start then starts a new supervisor.
    @Test(.enabled(if: usable)) func createdNeverStartedLeavesNothing() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        for round in 0..<3 {
            let id = create(b, sb, "gone\(round)")
            let rel = "podrig/kubepods/pod\(sb)/\(id)"
            var held: [Int32] = []
            if round > 0 { _ = b.bed.wait(5) { held = members(rel); return !held.isEmpty } }  // round 0: rm at once
            let sup = Int32(inspect(b, id)?["info"]?["supervisorPid"]?.int ?? 0)
            let r = b.cli("rm \(id)")
            #expect(r.code == 0, "rm: \(r.err)")
            for p in held + [sup] where p > 0 { #expect(gone(p), "pid \(p) (\(comm(p)), \(Proc.stat(p).map { String($0.state) } ?? "-")) outlived rm") }
            LeakCheck.cgroupsGone([id])
        }
        // kill -9 of the waiting supervisor: its holder goes too; start brings a new one.
        let id = create(b, sb, "orphan")
        let rel = "podrig/kubepods/pod\(sb)/\(id)"
        var held: [Int32] = []
        #expect(b.bed.wait(5) { held = members(rel); return !held.isEmpty })
        let sup = Int32(inspect(b, id)?["info"]?["supervisorPid"]?.int ?? 0)
        #expect(sup > 0)
        kill(sup, SIGKILL)
        #expect(b.bed.wait(5) { members(rel).isEmpty }, "the holder outlived its supervisor: \(members(rel))")
        #expect(inspect(b, id)?["status"]?["state"]?.string == "CONTAINER_CREATED")
        let s = b.cli("start \(id)")
        #expect(s.code == 0, "start after the supervisor died: \(s.err)")
        let pid = Int32(inspect(b, id)?["info"]?["pid"]?.int ?? 0)
        #expect(pid > 0 && inAllTrees(pid, rel))
        _ = create(b, sb, "left")  // rmp -f (cleanup) removes it and its holder
    }

    /// Restarts are forked by the holder too: every instance lands in the same cgroups.
    @Test(.enabled(if: usable)) func restartsLandInTheSameCgroups() throws {
        let bed = PodBed()
        let path = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-cg-restart, uid: pr-cg-restart-uid}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: r
                command: [sh, -c, "cat /proc/self/cgroup; sleep 0.2; exit 1"]
                resources: {limits: {memory: 64Mi}}
            """)
        let up = bed.cli("up -d \(path)")
        #expect(up.code == 0, "\(up.err)")
        #expect(bed.wait(20) { (bed.get("pr-cg-restart")?["status"]?["containerStatuses"]?[0]?["restartCount"]?.int ?? 0) >= 1 })
        let dir = try #require(bed.pod("pr-cg-restart")).logDirectory + "/r"
        let rel = "podrig/kubepods/burstable/podpr-cg-restart-uid/ctr-r"  // a memory limit alone: Burstable
        for n in 0...1 {
            let log = (try? Files.readString(dir + "/\(n).log")) ?? ""
            #expect(log.contains(":/" + rel + "\n"), "instance \(n): \(log)")
        }
        bed.downAndCheck("pr-cg-restart")
    }
}
