#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCgroups
import PodrigCore
import Testing

/// The supervisor's OOM watches (pr_oomwatch.h) on the real kernel: v1's eventfd on
/// memory.oom_control fires when a process in the cgroup is OOM-killed, and again when the cgroup
/// is removed; v2's cgroup.events `populated` watch (on this machine's controller-less cgroup2 at
/// /sys/fs/cgroup/unified) reports the cgroup emptied. Every cgroup made is removed.
@Suite(.serialized) struct CgroupWatchTests {
    static let v1Memory = "/sys/fs/cgroup/memory"
    static let unified = "/sys/fs/cgroup/unified"
    static var v1Usable: Bool { isRoot && Files.exists(v1Memory + "/cgroup.event_control") }
    static var v2Usable: Bool { isRoot && Files.exists(unified + "/cgroup.procs") }

    /// Waits up to `ms` for the watch's fd, then reads it.
    func next(_ w: inout pr_oom_watch, ms: Int32 = 5000) -> Int32 {
        var p = pollfd(fd: w.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, ms) == 1 else { return 0 }
        return pr_oom_watch_read(&w)
    }

    func name(_ what: String) -> String { "pr-\(what)-\((try? Identifiers.newID())?.prefix(8) ?? "x")" }

    @Test(.enabled(if: v1Usable)) func v1EventfdFiresOnOOMKillAndRemoval() throws {
        let dir = Self.v1Memory + "/" + CgroupHierarchy.topName + "/" + name("oomw")
        try Files.makeDirectories(dir, mode: 0o755)
        defer { rmdir(dir); rmdir(Self.v1Memory + "/" + CgroupHierarchy.topName) }
        #expect(CgroupTree.write(dir + "/memory.limit_in_bytes", "8388608") == nil)
        if Files.exists(dir + "/memory.memsw.limit_in_bytes") { #expect(CgroupTree.write(dir + "/memory.memsw.limit_in_bytes", "8388608") == nil) }
        var w = pr_oom_watch()
        #expect(pr_oom_watch_open(&w, dir + "/memory.oom_control", dir + "/cgroup.event_control", nil) == 0)
        defer { pr_oom_watch_close(&w) }
        #expect(w.v1 == 1 && w.fd >= 0 && w.kills == 0)
        #expect(pr_oom_watch_read(&w) == 0, "nothing yet")
        // critest's scenario: dd's 20 MiB buffer in an 8 MiB cgroup.
        let r = sh("sh -c 'echo $$ > \(dir)/cgroup.procs && exec dd if=/dev/zero of=/dev/null bs=20M count=1' 2>/dev/null")
        #expect(r.code == 137, "dd: \(r.code) \(r.err)")
        #expect(next(&w) & Int32(PR_OOM_EVENT) != 0, "the eventfd fired")
        #expect(w.kills >= 1 && pr_oom_kill_count(dir + "/memory.oom_control") >= 1)
        #expect(rmdir(dir) == 0, "rmdir: \(errno)")
        #expect(next(&w) == Int32(PR_OOM_GONE), "removal signals once more; the file tells it apart")
    }

    @Test(.enabled(if: v2Usable)) func v2PopulatedWatchSeesEmptiedThenGone() throws {
        let dir = Self.unified + "/" + name("popw")
        #expect(mkdir(dir, 0o755) == 0, "mkdir: \(errno)")
        defer { rmdir(dir) }
        #expect(pr_cgroup_populated(dir + "/cgroup.events") == 0)
        let r = sh("sh -c 'echo $$ > \(dir)/cgroup.procs && exec sleep 60' >/dev/null 2>&1 & echo $!")
        let pid = try #require(Int32(r.out.trimmed))
        var populated = false
        for _ in 0..<200 where !populated {
            populated = pr_cgroup_populated(dir + "/cgroup.events") == 1
            if !populated { usleep(10_000) }
        }
        #expect(populated)
        var w = pr_oom_watch()
        #expect(pr_oom_watch_open(&w, nil, nil, dir + "/cgroup.events") == 0)
        defer { pr_oom_watch_close(&w) }
        #expect(w.v1 == 0 && w.populated_wd >= 0 && w.events_wd == -1)
        kill(pid, SIGKILL)
        // kernfs sends no IN_IGNORED when a cgroup is removed (its inode lingers while watched):
        // populated 0 is the supervisor's cue to drop the watch, so none outlives the cgroup.
        #expect(next(&w) & Int32(PR_OOM_EMPTIED) != 0, "populated 0 was notified")
        pr_oom_watch_close(&w)
        #expect(w.fd == -1)
        #expect(rmdir(dir) == 0, "rmdir: \(errno)")
        #expect(!Files.exists(dir))
    }

    @Test(.enabled(if: v1Usable)) func v1WatchNeedsTheCgroup() {
        var w = pr_oom_watch()
        let gone = Self.v1Memory + "/" + CgroupHierarchy.topName + "/pr-none-here"
        #expect(pr_oom_watch_open(&w, gone + "/memory.oom_control", gone + "/cgroup.event_control", nil) == -ENOENT)
        #expect(w.fd == -1)
    }
}

/// The verdict is the kernel's event, as containerd's TaskOOM: a container whose child was
/// OOM-killed is OOMKilled even though its own process exited 3, not by SIGKILL.
@Suite(.serialized) struct OOMVerdictTests {
    @Test(.enabled(if: CgroupWatchTests.v1Usable)) func aChildOOMKilledMakesTheContainerOOMKilled() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let id = b.start(sb, """
            metadata: {name: oom-child}
            image: {image: busybox}
            command: [sh, -c, "dd if=/dev/zero of=/dev/null bs=20M; exit 3"]
            linux: {resources: {memory_limit_in_bytes: 15728640}}
            """)
        var inspect: JSON?
        #expect(b.exited(id, within: 20, last: &inspect) != nil, "\(inspect?.compact ?? "")")
        #expect(inspect?["status"]?["reason"]?.string == "OOMKilled" && inspect?["status"]?["exitCode"]?.int == 3, "\(inspect?.compact ?? "")")
        #expect(b.cli("rm \(id)").code == 0)
        LeakCheck.cgroupsGone([id])
    }
}
