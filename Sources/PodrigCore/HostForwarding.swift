#if canImport(Glibc)
import Glibc
#endif

/// The forwarding sysctls of this process's netns, and whether that netns is the host's own:
/// what podrig reads before its built-in network's bridge (isGateway) turns forwarding on.
public enum HostForwarding {
    /// sysctl name → its file under /proc/sys (IPv6's is missing when IPv6 is disabled).
    public static let sysctls: [(name: String, path: String)] = [
        ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
        ("net.ipv6.conf.all.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding"),
    ]

    /// This process's netns is PID 1's, i.e. the host's initial one (false if either cannot be
    /// stat'ed: inside a container or a node netns podrig is not on the host's network).
    public static func inInitialNetns() -> Bool {
        var mine = stat(), init1 = stat()
        guard stat("/proc/self/ns/net", &mine) == 0, stat("/proc/1/ns/net", &init1) == 0 else { return false }
        return mine.st_ino == init1.st_ino && mine.st_dev == init1.st_dev
    }

    /// Each sysctl's value ("0", "1", …), nil when it cannot be read.
    public static func values() -> [(name: String, value: String?)] {
        sysctls.map { s in (s.name, (try? Files.readString(s.path))?.trimmed) }
    }

    /// The sysctls that read as off ("0"); unreadable ones do not count (nothing to turn on).
    public static func off() -> [String] {
        values().filter { $0.value == "0" }.map(\.name)
    }
}
