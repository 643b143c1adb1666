import PodrigCore

/// A cgroup's usage as kubelet's stats (cadvisor) read it: CPU core-nanoseconds since creation,
/// memory usage, and the working set = usage − inactive_file (never below 0).
public struct CgroupUsage: Sendable, Equatable {
    public var cpuNanos: UInt64
    public var memoryUsage: UInt64
    public var workingSet: UInt64
    public var rss: UInt64
    public var pageFaults: UInt64
    public var majorPageFaults: UInt64
    public var pids: UInt64?

    public static func read(_ h: CgroupHierarchy, _ relative: String) -> CgroupUsage? {
        func text(_ controller: String, _ file: String) -> String? {
            guard let dir = h.directory(controller, relative) else { return nil }
            return try? Files.readString(dir + "/" + file)
        }
        func number(_ controller: String, _ file: String) -> UInt64? { text(controller, file).flatMap { UInt64($0.trimmed) } }
        let stat = text("memory", "memory.stat").map(CgroupUsage.keyValues) ?? [:]
        let cpu: UInt64
        let usage: UInt64
        let inactive: UInt64
        let rss: UInt64
        switch h.version {
        case .v1:
            guard let u = number("memory", "memory.usage_in_bytes") else { return nil }
            cpu = number("cpuacct", "cpuacct.usage") ?? 0
            usage = u
            inactive = stat["total_inactive_file"] ?? stat["inactive_file"] ?? 0
            rss = stat["total_rss"] ?? stat["rss"] ?? 0
        case .v2:
            guard let u = number("memory", "memory.current") else { return nil }
            cpu = (text("cpu", "cpu.stat").map(CgroupUsage.keyValues)?["usage_usec"] ?? 0) * 1000
            usage = u
            inactive = stat["inactive_file"] ?? 0
            rss = stat["anon"] ?? 0
        }
        let faults = stat[h.version == .v1 ? "total_pgfault" : "pgfault"] ?? stat["pgfault"] ?? 0
        let major = stat[h.version == .v1 ? "total_pgmajfault" : "pgmajfault"] ?? stat["pgmajfault"] ?? 0
        return CgroupUsage(cpuNanos: cpu, memoryUsage: usage, workingSet: usage > inactive ? usage - inactive : 0, rss: rss,
                           pageFaults: faults, majorPageFaults: major, pids: number("pids", "pids.current"))
    }

    /// "key value" lines (memory.stat, cpu.stat).
    public static func keyValues(_ text: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = UInt64(f[1]) { out[String(f[0])] = v }
        }
        return out
    }
}
