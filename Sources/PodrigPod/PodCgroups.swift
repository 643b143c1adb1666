#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigCgroups
import PodrigSandbox

/// kubelet's cgroup values for a Pod (pkg/kubelet/cm/helpers_linux.go ResourceConfigForPod) and
/// for each container (kuberuntime_container_linux.go), over podrig's Pod model.
public enum PodCgroups {
    /// Requests or limits of one resource over the pod as kubelet's PodRequests/PodLimits add them:
    /// the main containers (and sidecars) summed, then the largest init container if it is bigger.
    static func podAmount(_ spec: PodSpec, _ name: String, limits: Bool) -> (total: Int64, everyContainerSets: Bool) {
        func amount(_ c: ContainerSpec) -> Int64? {
            guard let q = limits ? c.resources.limit(name) : c.resources.request(name), !q.isZero else { return nil }
            return name == "cpu" ? q.milliValue : q.value
        }
        var sum: Int64 = 0, every = true
        for c in spec.containers + spec.initContainers.filter(\.isSidecar) {
            if let a = amount(c) { sum = sum.adding(saturating: a) } else { every = false }
        }
        for c in spec.initContainers where !c.isSidecar {
            if let a = amount(c) { sum = max(sum, a) } else { every = false }
        }
        return (sum, every)
    }

    /// ResourceConfigForPod: Guaranteed gets shares, quota and memory; Burstable shares, and quota
    /// or memory only when every container limits them; BestEffort the minimum shares.
    /// `pidsLimit`: kubelet's podPidsLimit (--pod-max-pids), any class.
    public static func pod(_ spec: PodSpec, pidsLimit: Int64? = nil) -> CgroupResources {
        var r = CgroupResources()
        r.writeSwap = false  // kubelet sets memory.limit_in_bytes alone at the pod level
        r.pidsLimit = pidsLimit
        let qos = QOSClass.of(spec)
        let cpuRequests = podAmount(spec, "cpu", limits: false).total
        let cpu = podAmount(spec, "cpu", limits: true), memory = podAmount(spec, "memory", limits: true)
        let shares = KubeletMapping.shares(milliCPU: cpuRequests)
        let quota = KubeletMapping.quota(milliCPU: cpu.total)
        switch qos {
        case "Guaranteed":
            r.cpuShares = shares
            r.cpuQuota = quota
            r.cpuPeriod = KubeletMapping.quotaPeriod
            r.memoryLimit = memory.total
        case "Burstable":
            r.cpuShares = shares
            if cpu.everyContainerSets {
                r.cpuQuota = quota
                r.cpuPeriod = KubeletMapping.quotaPeriod
            }
            if memory.everyContainerSets { r.memoryLimit = memory.total }
        default:
            r.cpuShares = KubeletMapping.minShares
        }
        return r
    }

    /// ResourceConfigForPod over the containers a CRI sandbox holds (CRI mode sees containers one
    /// by one, with no pod spec): their CRI values read back as kubelet made them — shares from
    /// requests summed, quota (at a 100 ms period) and memory summed only when every container
    /// limits them, BestEffort (nothing anywhere) the minimum shares. Every value is explicit (no
    /// limit written as such), since it updates a pod cgroup as containers come and go.
    public static func pod(containers: [CgroupResources], pidsLimit: Int64? = nil) -> CgroupResources {
        var r = CgroupResources()
        r.writeSwap = false
        r.pidsLimit = pidsLimit
        let quotas = containers.map { c -> Int64? in
            guard let q = c.cpuQuota, q > 0 else { return nil }
            return q.multiplied(saturating: KubeletMapping.quotaPeriod) / max(c.cpuPeriod ?? KubeletMapping.quotaPeriod, 1)
        }
        let memories = containers.map { c in c.memoryLimit.flatMap { $0 > 0 ? $0 : nil } }
        let shares = containers.reduce(UInt64(0)) { $0.adding(saturating: $1.cpuShares ?? 0) }
        let bestEffort = containers.allSatisfy { ($0.cpuShares ?? 0) <= KubeletMapping.minShares } && quotas.allSatisfy { $0 == nil }
            && memories.allSatisfy { $0 == nil }
        r.cpuShares = bestEffort ? KubeletMapping.minShares : min(max(shares, KubeletMapping.minShares), KubeletMapping.maxShares)
        let everyQuota = !containers.isEmpty && quotas.allSatisfy { $0 != nil }
        r.cpuQuota = everyQuota ? max(quotas.reduce(0) { $0.adding(saturating: $1 ?? 0) }, KubeletMapping.minQuota) : -1
        r.cpuPeriod = KubeletMapping.quotaPeriod
        let everyMemory = !containers.isEmpty && memories.allSatisfy { $0 != nil }
        r.memoryLimit = everyMemory ? memories.reduce(0) { $0.adding(saturating: $1 ?? 0) } : -1
        return r
    }

    /// generateLinuxContainerResources: shares from the request (else the limit), quota from the
    /// limit over a 100 ms period, the memory limit with swap off (containerd sets memory+swap
    /// equal to it), oom_score_adj by QoS class, and on v2 memory.oom.group unless
    /// `singleProcessOOMKill` (kubelet's setting; v1 always kills one process). CRI's
    /// linux.resources are taken as given, as containerd does (kubelet sends memory.oom.group in `unified`).
    public static func container(_ c: ContainerSpec, pod spec: PodSpec, node: NodeCapacity, version: CgroupHierarchy.Version?,
                                 singleProcessOOMKill: Bool = false) -> CgroupResources {
        if let given = c.linuxResources { return given }
        var r = CgroupResources()
        let cpuRequest = c.resources.request("cpu").map(\.milliValue) ?? 0
        let cpuLimit = c.resources.limit("cpu").map(\.milliValue) ?? 0
        r.cpuShares = KubeletMapping.shares(milliCPU: cpuRequest == 0 && cpuLimit != 0 ? cpuLimit : cpuRequest)
        r.cpuPeriod = KubeletMapping.quotaPeriod
        r.cpuQuota = KubeletMapping.quota(milliCPU: cpuLimit)
        if let m = c.resources.limit("memory")?.value, m != 0 { r.memoryLimit = m }
        r.oomScoreAdj = oomScoreAdj(qos: QOSClass.of(spec), memoryRequest: c.resources.request("memory")?.value ?? 0,
                                    memoryCapacity: node.memoryBytes)
        r.oomGroup = version == .v2 && !singleProcessOOMKill
        return r
    }

    /// kubelet's GetContainerOOMScoreAdjust (pkg/kubelet/qos/policy.go).
    public static func oomScoreAdj(qos: String, memoryRequest: Int64, memoryCapacity: Int64) -> Int {
        switch qos {
        case "Guaranteed": return -997
        case "BestEffort": return 1000
        default:
            guard memoryCapacity > 0 else { return 999 }
            let adj = 1000 - memoryRequest.multiplied(saturating: 1000) / memoryCapacity
            if adj < 3 { return 3 }          // 1000 + guaranteedOOMScoreAdj
            if adj == 1000 { return 999 }    // never the BestEffort score
            return Int(adj)
        }
    }

    /// The refusals before anything is made: each container's values and the pod's.
    /// `manifest`: the pod's name for a manifest's pod, whose errors then name the manifest's
    /// field (spec.containers[0].resources); CRI containers are named as such.
    public static func validate(_ spec: PodSpec, node: NodeCapacity, version: CgroupHierarchy.Version?,
                                manifest: String? = nil) throws(PodrigError) {
        let all = spec.initContainers.enumerated().map { ("initContainers", $0.offset, $0.element) }
            + spec.containers.enumerated().map { ("containers", $0.offset, $0.element) }
        for (kind, i, c) in all {
            let what = manifest.map { "pod \($0): spec.\(kind)[\(i)].resources" } ?? "container \(c.name): resources"
            try container(c, pod: spec, node: node, version: version).validate(version, what: what)
        }
        try pod(spec).validate(version, what: manifest.map { "pod \($0): resources" } ?? "pod resources")
    }
}

/// How podrig uses cgroups: `enabled` (the default) needs a writable hierarchy and refuses
/// to start pods without one; `disabled` (--cgroups=disabled, PODRIG_CGROUPS=disabled) makes
/// none and warns when a pod's resources go unenforced.
public struct CgroupOptions: Sendable {
    public enum Mode: String, Sendable, CaseIterable { case enabled, disabled }
    public var mode: Mode = CgroupOptions.environmentMode ?? .enabled
    public var mount = "/sys/fs/cgroup"
    public var weightFormula: KubeletMapping.WeightFormula = .quadratic
    /// kubelet's podPidsLimit (--pod-max-pids); nil: none.
    public var podPidsLimit: Int64?
    /// kubelet's singleProcessOOMKill (--single-process-oom-kill): v2 containers without
    /// memory.oom.group, so an OOM kills one process rather than the whole container.
    public var singleProcessOOMKill = false

    public init() {}

    public static var environmentMode: Mode? {
        guard let v = getenv("PODRIG_CGROUPS") else { return nil }
        return Mode(rawValue: String(cString: v))
    }

    /// The tree to make cgroups in, nil when disabled; a one-line error when enabled without one.
    public func tree() throws(PodrigError) -> CgroupTree? {
        guard mode == .enabled else { return nil }
        guard let h = CgroupHierarchy.detect(mount: mount) else {
            throw PodrigError(.notReady, "cgroups: no cgroup v1 (memory controller) or v2 hierarchy at \(mount); pass --cgroups=disabled to run without resource limits")
        }
        guard h.isWritable else {
            throw PodrigError(.notReady, "cgroups: the \(h.version.rawValue) hierarchy at \(mount) is not writable (podrig needs root for cgroups); pass --cgroups=disabled to run without resource limits")
        }
        return CgroupTree(hierarchy: h, weightFormula: weightFormula)
    }
}

extension CgroupOptions {
    /// A CRI sandbox's pod cgroup, made by runp with pause in it (kubelet makes it before the
    /// sandbox): linux.cgroup_parent below podrig/, else podrig/kubepods/pod<sandbox ID>; the
    /// sandbox's linux.resources plus linux.overhead where sent, else ResourceConfigForPod over no
    /// containers yet (BestEffort's 2 shares) until CRIContainers updates it; --pod-max-pids.
    /// nil when cgroups are disabled; a one-line error without a writable hierarchy.
    public func sandboxCgroup(_ config: PodSandboxConfig) throws(PodrigError) -> SandboxCgroup? {
        guard let tree = try tree() else { return nil }
        var values = CgroupResources.sandbox(resources: config.resources, overhead: config.overhead) ?? PodCgroups.pod(containers: [])
        values.pidsLimit = podPidsLimit
        try values.validate(tree.hierarchy.version, what: "linux.resources")
        let path = try config.cgroupParent.map { p throws(PodrigError) in try CgroupPath.parent(p) }
        return SandboxCgroup(tree: tree, path: path, resources: values)
    }
}

/// The pod's cgroup as PodPlanner uses it: where it is and the tree it is in.
public struct PodCgroup: Sendable {
    public var tree: CgroupTree
    public var path: String
    /// CRI containers are named by ID; manifest containers by name.
    public var containerID: String?
    /// CgroupOptions.singleProcessOOMKill.
    public var singleProcessOOMKill = false
    /// The container's cgroup, being made (mkdirs and writes) by the caller on another thread: the
    /// planner waits for it and records what it wrote, rather than making it itself.
    public var made: Background<[CgroupResources.Write]>?

    public init(tree: CgroupTree, path: String, containerID: String? = nil, singleProcessOOMKill: Bool = false) {
        self.tree = tree
        self.path = path
        self.containerID = containerID
        self.singleProcessOOMKill = singleProcessOOMKill
    }

    public func containerPath(_ name: String) -> String {
        containerID.map { CgroupPath.container(pod: path, id: $0) } ?? CgroupPath.container(pod: path, name: name)
    }

    /// The file in a sandbox's directory that names its pod cgroup (removed with the sandbox).
    public static func recordFile(_ sandboxDirectory: String) -> String { CgroupRecord.file(sandboxDirectory) }
    public static func recorded(_ sandboxDirectory: String) -> String? { CgroupRecord.read(sandboxDirectory) }

    /// Removes the cgroup a sandbox recorded (and its containers'), in whatever hierarchy is there.
    public static func removeRecorded(_ sandboxDirectory: String, mount: String = "/sys/fs/cgroup") throws(PodrigError) {
        try CgroupRecord.remove(sandboxDirectory, mount: mount)
    }
}
