#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The values podrig writes into one cgroup, in CRI's LinuxContainerResources terms (what
/// kubelet sends and containerd hands runc). nil means "leave the kernel's default".
public struct CgroupResources: Sendable, Equatable, Codable {
    public var cpuShares: UInt64?
    /// µs per period; nil or 0: not written; < 0: written as no limit (a pod cgroup's update).
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    /// Bytes; < 0: written as no limit (a pod cgroup's update).
    public var memoryLimit: Int64?
    /// v1 semantics: memory + swap. nil with a memory limit: equal to it (no swap), as containerd sets it.
    public var memorySwapLimit: Int64?
    public var pidsLimit: Int64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// v2 files written as given (CRI `unified`), sorted by name.
    public var unified: [String: String] = [:]
    /// The container's oom_score_adj (written by the spawn, not a cgroup file).
    public var oomScoreAdj: Int?
    /// v2 memory.oom.group: kill the whole container on OOM (kubelet sets it for containers).
    public var oomGroup = false
    /// Whether memory+swap (v1 memsw, v2 swap.max) is written with the memory limit; kubelet's pod level does not.
    public var writeSwap = true

    public init() {}

    public var isEmpty: Bool { self == CgroupResources() }

    /// One file to write: which tree (controller) and which file, in order.
    public struct Write: Sendable, Equatable, CustomStringConvertible {
        public var controller: String
        public var file: String
        public var value: String
        /// Written only where the kernel has the file (memsw without swap accounting, swap.max without swap).
        public var optional = false
        public var description: String { "\(file)=\(value)" }
    }

    /// The files for `version`, as runc's fs (v1) and fs2 (v2) writers set them.
    public func writes(_ version: CgroupHierarchy.Version, weightFormula: KubeletMapping.WeightFormula = .quadratic) -> [Write] {
        var w: [Write] = []
        func add(_ c: String, _ f: String, _ v: String, optional: Bool = false) { w.append(Write(controller: c, file: f, value: v, optional: optional)) }
        let quota = (cpuQuota ?? 0) != 0 ? cpuQuota : nil
        switch version {
        case .v1:
            if let s = cpuShares { add("cpu", "cpu.shares", String(s)) }
            if let p = cpuPeriod { add("cpu", "cpu.cfs_period_us", String(p)) }
            if let q = quota { add("cpu", "cpu.cfs_quota_us", q > 0 ? String(q) : "-1") }
            if let m = memoryLimit {
                add("memory", "memory.limit_in_bytes", m > 0 ? String(m) : "-1")
                if writeSwap { add("memory", "memory.memsw.limit_in_bytes", String(memorySwapLimit ?? m), optional: true) }
            }
            if let p = pidsLimit { add("pids", "pids.max", p > 0 ? String(p) : "max") }
            if let c = cpusetCpus { add("cpuset", "cpuset.cpus", c) }
            if let m = cpusetMems { add("cpuset", "cpuset.mems", m) }
        case .v2:
            if let s = cpuShares { add("cpu", "cpu.weight", String(KubeletMapping.cpuWeight(shares: s, formula: weightFormula))) }
            if quota != nil || cpuPeriod != nil {
                add("cpu", "cpu.max", KubeletMapping.cpuMax(quota: max(quota ?? 0, 0), period: cpuPeriod ?? KubeletMapping.quotaPeriod))
            }
            if let m = memoryLimit {
                add("memory", "memory.max", m > 0 ? String(m) : "max")
                // runc's ConvertMemorySwapToCgroupV2Value: v2 counts swap alone.
                let swap = memorySwapLimit ?? m
                if writeSwap { add("memory", "memory.swap.max", swap < 0 ? "max" : String(swap - m), optional: true) }
            }
            if oomGroup { add("memory", "memory.oom.group", "1", optional: true) }
            if let p = pidsLimit { add("pids", "pids.max", p > 0 ? String(p) : "max") }
            if let c = cpusetCpus { add("cpuset", "cpuset.cpus", c) }
            if let m = cpusetMems { add("cpuset", "cpuset.mems", m) }
            for (k, v) in unified.sorted(by: { $0.key < $1.key }) {
                add(String(k.prefix { $0 != "." }), k, v)
            }
        }
        return w
    }

    /// The refusals containerd and runc make before anything is created, each one line naming the field.
    /// `machineCPUs`: nil, the machine's — read only when there is a cpuset to check (glibc reads
    /// /sys/devices/system/cpu/possible for it: three syscalls per container on every create).
    public func validate(_ version: CgroupHierarchy.Version?, what: String, machineCPUs given: Int? = nil) throws(PodrigError) {
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        if let m = memoryLimit, m != 0, m != -1, m < page {
            throw PodrigError.invalid("\(what): memory limit \(m) bytes is below one page (\(page) bytes)")
        }
        if let s = memorySwapLimit, s != 0, s != -1 {
            guard let m = memoryLimit, m > 0 else { throw PodrigError.invalid("\(what): a memory+swap limit needs a memory limit") }
            if s < m { throw PodrigError.invalid("\(what): memory+swap limit \(s) is below the memory limit \(m)") }
        }
        if let q = cpuQuota, q > 0, q < KubeletMapping.minQuota {
            throw PodrigError.invalid("\(what): cpu quota \(q)µs is below the kernel's minimum of 1ms (1000)")
        }
        if let q = cpuQuota, q > KubeletMapping.maxQuota {
            throw PodrigError.invalid("\(what): cpu quota \(q)µs is above the kernel's maximum of \(KubeletMapping.maxQuota)µs (a cpu limit of about \(KubeletMapping.maxQuota / 100_000) CPUs at the 100ms period)")
        }
        if let p = cpuPeriod, p != 0, p < 1000 || p > 1_000_000 {
            throw PodrigError.invalid("\(what): cpu period \(p)µs is outside 1ms…1s (1000…1000000)")
        }
        if let s = cpuShares, s != 0, s < KubeletMapping.minShares || s > KubeletMapping.maxShares {
            throw PodrigError.invalid("\(what): cpu shares \(s) is outside 2…262144")
        }
        if let p = pidsLimit, p < -1 { throw PodrigError.invalid("\(what): pids limit \(p) is negative") }
        if let a = oomScoreAdj, a < -1000 || a > 1000 { throw PodrigError.invalid("\(what): oom_score_adj \(a) is outside -1000…1000") }
        if let c = cpusetCpus {
            guard let cpus = CgroupResources.parseList(c) else { throw PodrigError.invalid("\(what): cpuset cpus \"\(c)\" is not a list such as 0-2,4") }
            let machineCPUs = given ?? CgroupResources.machineCPUs()
            if let bad = cpus.first(where: { $0 >= machineCPUs }) {
                throw PodrigError.invalid("\(what): cpuset cpus \"\(c)\" names CPU \(bad); this machine has CPUs 0-\(machineCPUs - 1)")
            }
        }
        if let m = cpusetMems {
            guard let nodes = CgroupResources.parseList(m) else { throw PodrigError.invalid("\(what): cpuset mems \"\(m)\" is not a list such as 0-1") }
            let online = (try? Files.readString("/sys/devices/system/node/online")).flatMap { CgroupResources.parseList($0.trimmed) } ?? [0]
            if let bad = nodes.first(where: { !online.contains($0) }) {
                throw PodrigError.invalid("\(what): cpuset mems \"\(m)\" names memory node \(bad), which this machine does not have")
            }
        }
        if !unified.isEmpty && version == .v1 {
            throw PodrigError.invalid("\(what): unified resources need cgroup v2 (this machine has cgroup v1)")
        }
        for k in unified.keys where k.contains("/") || k.hasPrefix(".") || !k.contains(".") || k.hasPrefix("cgroup.") {
            throw PodrigError.invalid("\(what): unified key \"\(k)\" is not a controller file (such as memory.high)")
        }
    }

    /// CPUs the kernel may run tasks on (cpuset lists are checked against them).
    public static func machineCPUs() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))) }

    /// "0-2,4" → [0, 1, 2, 4]; nil when malformed (empty means "none": []).
    public static func parseList(_ s: String) -> [Int]? {
        if s.isEmpty { return [] }
        var out: [Int] = []
        for part in s.split(separator: ",", omittingEmptySubsequences: false) {
            let r = part.split(separator: "-", omittingEmptySubsequences: false)
            guard r.count <= 2, let a = Int(r[0]), a >= 0 else { return nil }
            let b = r.count == 2 ? Int(r[1]) : a
            guard let b, b >= a, b - a < 100_000 else { return nil }
            out += Array(a...b)
        }
        return out
    }

    /// What `inspect` and `get pod -o yaml` show: the values, in CRI's field names.
    public var json: JSON {
        var o = JSONObject()
        if let v = cpuPeriod { o["cpu_period"] = .int(Int(v)) }
        if let v = cpuQuota { o["cpu_quota"] = .int(Int(v)) }
        if let v = cpuShares { o["cpu_shares"] = .int(Int(v)) }
        if let v = memoryLimit { o["memory_limit_in_bytes"] = .int(Int(v)) }
        if writeSwap, let v = memorySwapLimit ?? memoryLimit { o["memory_swap_limit_in_bytes"] = .int(Int(v)) }
        if let v = pidsLimit { o["pids_limit"] = .int(Int(v)) }
        if let v = cpusetCpus { o["cpuset_cpus"] = .string(v) }
        if let v = cpusetMems { o["cpuset_mems"] = .string(v) }
        if let v = oomScoreAdj { o["oom_score_adj"] = .int(v) }
        if !unified.isEmpty { o["unified"] = .object(JSONObject(unified.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })) }
        return .object(o)
    }
}
