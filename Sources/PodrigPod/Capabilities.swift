#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// Container capabilities the way containerd's CRI plugin computes them.
public enum Capabilities {
    /// containerd's (and Docker's) default set.
    public static let defaultNames = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
                                      "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"]

    public static func number(_ name: String) throws(PodrigError) -> Int {
        let n = Int(pr_cap_from_name(name))
        guard n >= 0, n < 64 else { throw PodrigError.invalid("unknown capability \"\(name)\"") }
        return n
    }

    /// Every capability this kernel knows.
    public static var all: UInt64 {
        let last = Int(pr_cap_last())
        return last >= 63 ? UInt64.max : (UInt64(1) << UInt64(last + 1)) - 1
    }

    /// What podrig itself holds: "all" for a privileged container means these (containerd's
    /// WithAllCurrentCapabilities), since nobody can grant more.
    public static var current: UInt64 { pr_cap_effective_self() }

    public static var defaultMask: UInt64 {
        defaultNames.reduce(0) { $0 | (1 << UInt64(try! number($1))) }
    }

    /// containerd's order: "ALL" in add, then "ALL" in drop, then single adds, then single drops.
    public static func mask(privileged: Bool, add: [String], drop: [String], available: UInt64 = current) throws(PodrigError) -> UInt64 {
        if privileged { return available }
        var m = defaultMask
        if add.contains(where: { $0.uppercased() == "ALL" }) { m = available }
        if drop.contains(where: { $0.uppercased() == "ALL" }) { m = 0 }
        for a in add where a.uppercased() != "ALL" { m |= 1 << UInt64(try number(a)) }
        for d in drop where d.uppercased() != "ALL" { m &= ~(1 << UInt64(try number(d))) }
        let missing = m & ~available
        if missing != 0 {
            throw PodrigError.invalid("capabilities \(names(missing).joined(separator: ", ")) are not available to podrig itself, so no container can have them")
        }
        return m
    }

    /// The sets a container gets: bounding, effective and permitted hold the mask; inheritable
    /// stays empty (containerd since CVE-2022-24769). A non-root user loses them at execve.
    public static func sets(_ mask: UInt64) -> CapabilitySets {
        CapabilitySets(bounding: mask, effective: mask, permitted: mask, inheritable: 0)
    }

    public static func names(_ mask: UInt64) -> [String] {
        (0..<64).filter { mask & (1 << UInt64($0)) != 0 }.compactMap { n in
            guard let p = pr_cap_to_name(Int32(n)) else { return nil }
            defer { free(p) }
            return String(cString: p).uppercased()
        }
    }
}
