import PodrigCgroups
import PodrigCore

/// The pod cgroup a sandbox is made with, pause in it: kubelet makes the pod cgroup before the
/// sandbox, and containerd starts pause in the sandbox's linux.cgroup_parent. pause then counts
/// as one process against the pod's pids.max, as it does under kubelet.
public struct SandboxCgroup: Sendable {
    public var tree: CgroupTree
    /// Below podrig's top directory; nil: podrig/kubepods/pod<sandbox ID>.
    public var path: String?
    /// Another sandbox (another root) holds `path` already: `-<sandbox ID prefix>` appended, never shared.
    public var disambiguate = false
    public var resources: CgroupResources

    public init(tree: CgroupTree, path: String?, resources: CgroupResources, disambiguate: Bool = false) {
        self.tree = tree
        self.path = path
        self.resources = resources
        self.disambiguate = disambiguate
    }

    /// Where the sandbox `id`'s cgroup goes.
    func resolvedPath(_ id: String) -> String {
        guard var p = path else { return CgroupPath.pod(uid: id, qos: nil) }
        if disambiguate, tree.hierarchy.directories(p).contains(where: Files.isDirectory) { p += "-" + id.prefix(12) }
        return p
    }

    /// Records the path in the sandbox's directory first (so that every removal, after a failure
    /// too, finds it), then makes it with its values; kubelet's BestEffort QoS cgroup gets the
    /// minimum shares. Returns the path.
    func create(id: String, sandboxDirectory: String) throws(PodrigError) -> String {
        let p = resolvedPath(id)
        try Files.writeAtomic(CgroupRecord.file(sandboxDirectory), p + "\n", sync: false)
        let bestEffort = CgroupHierarchy.topName + "/kubepods/besteffort"
        if p.hasPrefix(bestEffort + "/") {
            var qos = CgroupResources()
            qos.cpuShares = KubeletMapping.minShares
            try tree.create(bestEffort, qos)
        }
        try tree.create(p, resources)
        return p
    }

    /// pause born in `path`: on v2 by clone3 CLONE_INTO_CGROUP (no migration); on v1 the child
    /// writes itself into each tree's cgroup.procs between fork and exec.
    func join(_ spawn: inout SpawnOptions, path: String) {
        if tree.hierarchy.version == .v2 {
            spawn.cgroupDirectory = tree.hierarchy.mount + "/" + path
        } else {
            spawn.cgroupProcs = tree.hierarchy.procsFiles(path)
        }
    }
}
