#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import Testing

/// Every pr_* function that can fail returns -errno (pr_sys.h), and `checked` is the one reading of it.
@Suite struct ErrnoConventionTests {
    @Test func failuresAreNegativeErrno() {
        #expect(pr_open("/nonexistent/podrig", O_RDONLY, 0) == -ENOENT)
        #expect(pr_openat(-1, "podrig", O_RDONLY, 0) == -EBADF && pr_openat(AT_FDCWD, "/nonexistent/podrig", O_RDONLY, 0) == -ENOENT)
        #expect(pr_flock(-1, 1, 1) == -EBADF)
        #expect(pr_pidfd_open(-5) == -EINVAL)
        #expect(pr_pidfd_send_signal(-1, 0) == -EBADF)
        #expect(pr_cap_from_name("CAP_BOGUS") == -EINVAL && pr_cap_from_name("") == -EINVAL)
        #expect(pr_cap_from_name("CAP_NET_ADMIN") == 12)
        #expect(pr_netns_prepare_dir("/nonexistent/podrig/netns") == -ENOENT)
        #expect(pr_netns_unpin("/nonexistent/podrig/pin") == 0)  // missing is not an error
        #expect(pr_netns_is_pinned("/nonexistent/podrig/pin") == 0)
        #expect(pr_statfs_type("/nonexistent/podrig") == -Int(ENOENT) && pr_statfs_type("/proc") == 0x9fa0)  // PROC_SUPER_MAGIC
        var fds: [Int32] = [-1, -1]
        #expect(pr_pipe_cloexec(&fds) == 0 && fds[0] >= 0)
        close(fds[0]); close(fds[1])
        var b = [UInt8](repeating: 0, count: 16)
        #expect(pr_random(&b, 16) == 0)
        // pr_spawn too: Spawner reads its -errno with `checked`.
        do {
            _ = try Spawner.spawn(SpawnOptions(path: "/nonexistent/podrig", arguments: ["podrig"]))
            Issue.record("spawned")
        } catch {
            #expect(error.errno == ENOENT && error.description.contains("/nonexistent/podrig"), "\(error)")
        }
    }

    @Test func checkedTurnsItIntoAPodrigError() throws {
        #expect(try checked(3, "x") == 3)
        do {
            try checked(pr_open("/nonexistent/podrig", O_RDONLY, 0), "open(/nonexistent/podrig)")
            Issue.record("no error")
        } catch {
            #expect(error.errno == ENOENT && error.code == .system)
            #expect(error.description == "open(/nonexistent/podrig): No such file or directory", "\(error.description)")
        }
        #expect(try Identifiers.random(8).count == 8)
    }
}
