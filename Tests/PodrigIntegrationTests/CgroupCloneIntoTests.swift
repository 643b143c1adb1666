#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// cgroup v2's clone3 CLONE_INTO_CGROUP on the real kernel: this machine's cgroup2 mount at
/// /sys/fs/cgroup/unified (hybrid mode, no controllers) is enough for the mechanics. The child
/// starts in the cgroup, with no cgroup.procs write; a directory that is not a v2 cgroup is the
/// spawn's one-line error naming the step and errno.
@Suite(.serialized) struct CgroupCloneIntoTests {
    static let unified = "/sys/fs/cgroup/unified"
    static var usable: Bool { isRoot && Files.exists(unified + "/cgroup.controllers") }  // a cgroup2 root

    func run(_ o: SpawnOptions) throws(PodrigError) -> String {
        let r = try ProcessRunner.run(o, input: [], timeout: 10)
        return String(decoding: r.stdout, as: UTF8.self)
    }

    @Test(.enabled(if: usable)) func childStartsInItsV2Cgroup() throws {
        let name = "podrig-clone3-\((try Identifiers.newID()).prefix(8))"
        let dir = Self.unified + "/" + name
        #expect(mkdir(dir, 0o755) == 0)
        defer { rmdir(dir) }
        for _ in 0..<3 {
            var o = SpawnOptions(path: "/bin/cat", arguments: ["cat", "/proc/self/cgroup"])
            o.cgroupDirectory = dir
            let out = try run(o)
            #expect(out.split(separator: "\n").contains("0::/" + name), "\(out)")
        }
        // Our own cgroup is untouched, and the cgroup is empty again (rmdir works).
        #expect(!((try? Files.readString("/proc/self/cgroup")) ?? "").contains(name))
        #expect(((try? Files.readString(dir + "/cgroup.procs")) ?? "x").isEmpty)
        // A v1 directory is no v2 cgroup: clone3 says EBADF, reported as the join step.
        var bad = SpawnOptions(path: "/bin/true", arguments: ["true"])
        bad.cgroupDirectory = "/sys/fs/cgroup/memory"
        do throws(PodrigError) {
            _ = try run(bad)
            Issue.record("spawn into a v1 directory succeeded")
        } catch {
            #expect(error.message.contains("join cgroup (clone3 into /sys/fs/cgroup/memory)") && error.description.contains("Bad file descriptor"),
                    "\(error)")
        }
    }

    /// The supervisor's v2 path: a container whose one cgroup.procs is on cgroup2 gets no holder
    /// and is cloned into its cgroup at every start (here two: restartPolicy OnFailure, exit 1 once).
    @Test(.enabled(if: usable)) func supervisorClonesContainersIntoTheirV2Cgroup() throws {
        let id = (try Identifiers.newID()).prefix(8)
        let name = "podrig-clone3-sup-\(id)", cg = Self.unified + "/" + name
        let dir = "/tmp/podrig-clone3-\(id)"
        #expect(mkdir(cg, 0o755) == 0)
        defer { rmdir(cg); try? Files.removeTree(dir) }
        try Files.makeDirectories(dir + "/logs", mode: 0o755)
        let script = "cat /proc/self/cgroup; [ -e \(dir)/again ] || { touch \(dir)/again; exit 1; }"
        let plan: JSON = [
            "version": .int(PodPlanner.planVersion), "stateDir": .string(dir), "logDir": .string(dir + "/logs"), "restartPolicy": "OnFailure",
            "containers": [[
                "name": "c", "kind": "main",
                "spawn": ["path": "/bin/sh", "argv": ["sh", "-c", .string(script)]],
                "cgroup": ["path": .string(name), "procs": [.string(cg + "/cgroup.procs")]],
            ]],
        ]
        try Files.writeAtomic(dir + "/plan.json", plan.pretty + "\n")
        let r = try ProcessRunner.run(SpawnOptions(path: TestBinaries.supervisor, arguments: ["podrig-supervisor", dir + "/plan.json"]), input: [], timeout: 30)
        #expect(r.status.code == 0, "\(String(decoding: r.stderr, as: UTF8.self))")
        for n in 0...1 {
            let log = (try? Files.readString(dir + "/logs/c/\(n).log")) ?? ""
            #expect(log.contains(" 0::/" + name + "\n"), "instance \(n): \(log)")
        }
        let events = (try? Files.readString(dir + "/events.log")) ?? ""
        #expect(!events.contains("holder"), "\(events)")
        #expect(((try? Files.readString(cg + "/cgroup.procs")) ?? "x").isEmpty)
    }
}
