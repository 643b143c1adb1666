#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// Network namespace pins in /run/netns, named podrig-<first 12 of the sandbox ID> so that
/// `ip netns list` shows them and anyone can tell they are podrig's.
public enum NetnsPin {
    public static let defaultDirectory = "/run/netns"

    public static func name(for sandboxID: String) -> String { "podrig-" + sandboxID.prefix(12) }

    public static func pin(pid: Int32, path: String) throws(PodrigError) {
        let dir = Files.dirname(of: path)
        try checked(pr_netns_prepare_dir(dir), "prepare \(dir) as a shared mount")
        try checked(pr_netns_pin(pid, path), "bind mount /proc/\(pid)/ns/net on \(path)")
    }

    /// A new network namespace with lo up, pinned at `path` (what `ip netns add` does), made by a
    /// vfork-style child without exec: runp's plugin chain can start before pause joins it.
    public static func create(path: String) throws(PodrigError) {
        let dir = Files.dirname(of: path)
        try checked(pr_netns_prepare_dir(dir), "prepare \(dir) as a shared mount")
        try checked(pr_netns_create(path), "create a network namespace pinned at \(path)")
    }

    public static func unpin(path: String) throws(PodrigError) {
        try checked(pr_netns_unpin(path), "unpin \(path)")
    }

    public static func isPinned(path: String) -> Bool {
        pr_netns_is_pinned(path) == 1
    }
}
