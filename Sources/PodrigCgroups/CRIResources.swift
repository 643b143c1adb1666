import PodrigCore

/// CRI's LinuxContainerResources as JSON (a container's linux.resources, a sandbox's
/// linux.resources and linux.overhead): read with the refusals containerd makes, each naming the field.
extension CgroupResources {
    public init(criJSON o: JSONObject, path: String) throws(PodrigError) {
        var rr = ConfigReader(.object(o), path: path)
        self.init()
        func nonZero(_ key: String) throws(PodrigError) -> Int64? {
            guard let v = try rr.int(key), v != 0 else { return nil }
            return Int64(v)
        }
        cpuPeriod = try nonZero("cpu_period")
        cpuQuota = try nonZero("cpu_quota")
        if let s = try nonZero("cpu_shares") {
            guard s > 0 else { throw PodrigError.invalid("\(path).cpu_shares: \(s) is negative") }
            cpuShares = UInt64(s)
        }
        memoryLimit = try nonZero("memory_limit_in_bytes")
        memorySwapLimit = try nonZero("memory_swap_limit_in_bytes")
        if let adj = try rr.int("oom_score_adj") { oomScoreAdj = adj }
        if let v = try rr.string("cpuset_cpus"), !v.isEmpty { cpusetCpus = v }
        if let v = try rr.string("cpuset_mems"), !v.isEmpty { cpusetMems = v }
        unified = try rr.stringMap("unified") ?? [:]
        if let h = try rr.array("hugepage_limits"), !h.isEmpty {
            throw PodrigError.invalid("\(path).hugepage_limits: hugetlb limits are not supported")
        }
        rr.ignoreRest()
        try validate(nil, what: path)
    }

    /// The pod cgroup's values from a sandbox's linux.resources and linux.overhead, as kubelet's
    /// ResourceConfigForPod adds the overhead to the pod's sums (the two are kubelet's
    /// calculateSandboxResources and convertOverheadToLinuxResources of those sums): shares added,
    /// quota and memory added where the pod has them (no pod limit stays no limit). kubelet's pod
    /// level writes memory alone (no memory+swap).
    public static func sandbox(resources: CgroupResources?, overhead: CgroupResources?) -> CgroupResources? {
        guard resources != nil || overhead != nil else { return nil }
        let r = resources ?? CgroupResources(), o = overhead ?? CgroupResources()
        var p = CgroupResources()
        p.writeSwap = false
        if r.cpuShares != nil || o.cpuShares != nil {
            p.cpuShares = min(max((r.cpuShares ?? 0).adding(saturating: o.cpuShares ?? 0), KubeletMapping.minShares), KubeletMapping.maxShares)
        }
        if let q = r.cpuQuota, q > 0 {
            p.cpuQuota = q.adding(saturating: max(o.cpuQuota ?? 0, 0))
            p.cpuPeriod = r.cpuPeriod ?? KubeletMapping.quotaPeriod
        }
        if let m = r.memoryLimit, m > 0 { p.memoryLimit = m.adding(saturating: max(o.memoryLimit ?? 0, 0)) }
        return p
    }
}
