#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import Testing

/// The v2 OOM watch on a fake tree: writing memory.events or cgroup.events fires inotify as the
/// kernel's notification does; an oom_kill count above the baseline is the event, populated 0
/// the cgroup emptied, the files' removal the watch's end.
@Suite struct OOMWatchTests {
    func read(_ w: inout pr_oom_watch) -> Int32 {
        var p = pollfd(fd: w.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 2000) == 1 else { return 0 }
        return pr_oom_watch_read(&w)
    }

    func rewrite(_ path: String, _ text: String) throws {
        // In place, as the kernel changes a control file (IN_MODIFY on the watched inode).
        let fd = open(path, O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(Files.writeAll(fd, Array(text.utf8), what: path) == nil)
    }

    @Test func memoryEventsAndPopulatedOnAFakeTree() throws {
        let dir = "/tmp/podrig-unit-oomw-\((try Identifiers.newID()).prefix(8))"
        try Files.makeDirectories(dir, mode: 0o755)
        defer { try? Files.removeTree(dir) }
        let events = dir + "/memory.events", cg = dir + "/cgroup.events"
        try Files.writeAtomic(events, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 2\noom_group_kill 0\n")
        try Files.writeAtomic(cg, "populated 1\nfrozen 0\n")
        var w = pr_oom_watch()
        #expect(pr_oom_watch_open(&w, events, nil, cg) == 0)
        defer { pr_oom_watch_close(&w) }
        #expect(w.kills == 2 && w.events_wd >= 0 && w.populated_wd >= 0 && w.v1 == 0)
        try rewrite(events, "low 0\nhigh 0\nmax 5\noom 0\noom_kill 2\noom_group_kill 0\n")
        #expect(read(&w) == 0, "max rose, oom_kill did not: no event")
        try rewrite(events, "low 0\nhigh 0\nmax 6\noom 1\noom_kill 3\noom_group_kill 0\n")
        #expect(read(&w) == Int32(PR_OOM_EVENT) && w.kills == 3)
        try rewrite(cg, "populated 0\nfrozen 0\n")
        #expect(read(&w) == Int32(PR_OOM_EMPTIED))
        unlink(events)
        #expect(read(&w) & Int32(PR_OOM_GONE) != 0)
        #expect(pr_oom_kill_count(events) == -ENOENT && pr_cgroup_populated(dir + "/none") == -ENOENT)
    }

    @Test func countsAndBadArguments() throws {
        let dir = "/tmp/podrig-unit-oomc-\((try Identifiers.newID()).prefix(8))"
        try Files.makeDirectories(dir, mode: 0o755)
        defer { try? Files.removeTree(dir) }
        try Files.writeAtomic(dir + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n")
        #expect(pr_oom_kill_count(dir + "/memory.oom_control") == 7)
        try Files.writeAtomic(dir + "/old", "under_oom 0\n")
        #expect(pr_oom_kill_count(dir + "/old") == 0, "kernels before 4.13 have no oom_kill line")
        var w = pr_oom_watch()
        #expect(pr_oom_watch_open(&w, nil, dir + "/cgroup.event_control", nil) == -EINVAL && w.fd == -1)
        #expect(pr_oom_watch_open(&w, dir + "/memory.oom_control", dir + "/none/cgroup.event_control", nil) == -ENOENT && w.fd == -1)
        pr_oom_watch_close(&w)
        pr_oom_watch_close(&w)
        #expect(w.fd == -1)
        #expect(String(cString: pr_termination_reason(137, true)) == "OOMKilled")
        #expect(String(cString: pr_termination_reason(0, false)) == "Completed" && String(cString: pr_termination_reason(137, false)) == "Error")
    }
}
