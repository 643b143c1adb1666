#if canImport(Glibc)
import Glibc
#endif

/// A command and everything it started, found through /proc: its descendants and every process
/// still in its session (a child that was orphaned into the container's init stays in the
/// session unless it called setsid itself). Used by `exec --timeout` (CRI ExecSync's timeout
/// must leave nothing running).
public enum ProcessTree {
    /// Processes whose parent chain reaches `root`, or whose session is `root`'s (root included).
    public static func members(of root: Int32) -> [Int32] {
        var parent: [Int32: Int32] = [:]
        var inSession: Set<Int32> = [root]
        for name in (try? Files.list("/proc")) ?? [] {
            guard let pid = Int32(name), let st = Proc.stat(pid), st.state != "Z" else { continue }
            parent[pid] = st.ppid
            if st.session == root { inSession.insert(pid) }
        }
        var out: Set<Int32> = inSession
        for pid in parent.keys where !out.contains(pid) {
            var p = parent[pid] ?? 0, hops = 0
            while p > 1 && hops < 4096 {
                if p == root || inSession.contains(p) { out.insert(pid); break }
                p = parent[p] ?? 0
                hops += 1
            }
        }
        return out.filter { parent[$0] != nil || $0 == root }.sorted()
    }

    /// Stops the whole tree first (so nothing forks while we look), then SIGKILLs it.
    public static func kill(_ root: Int32) {
        var stopped: Set<Int32> = []
        for _ in 0..<20 {
            let found = Set(members(of: root)).subtracting(stopped)
            if found.isEmpty { break }
            for pid in found { Glibc.kill(pid, SIGSTOP) }
            stopped.formUnion(found)
        }
        for pid in stopped { Glibc.kill(pid, SIGKILL) }
        // SIGKILL wakes stopped processes; nothing else to resume.
    }
}
