#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import PodrigSandbox

/// The pod-level volumes kubelet makes before containers start: configMap/secret/downwardAPI/
/// projected files (atomic-writer layout) and emptyDir.medium Memory as a tmpfs of sizeLimit.
extension PodPlanner {
    func containerPath(_ c: ContainerSpec) -> String {
        if let i = spec.initContainers.firstIndex(where: { $0.name == c.name }) { return "spec.initContainers[\(i)]" }
        if let i = spec.containers.firstIndex(where: { $0.name == c.name }) { return "spec.containers[\(i)]" }
        return "container \(c.name)"
    }

    func writeConfigVolumes() throws(PodrigError) {
        let refs = FieldRef(name: manifest.name, namespace: manifest.namespace, uid: manifest.uid, labels: manifest.labels,
                            annotations: manifest.annotations, nodeName: nodeName, serviceAccountName: spec.serviceAccountName ?? "default",
                            hostIPs: nodeIPs, podIPs: record.podIPs)
        // In the pod's user namespace the files belong to its mapped root (and mapped fsGroup).
        let userns = record.config.userNamespace
        let owner = userns.flatMap { UserNamespaceConfig.host(0, in: $0.uids) }
        let group = userns.map { UserNamespaceConfig.host(spec.securityContext.fsGroup ?? 0, in: $0.gids) } ?? spec.securityContext.fsGroup
        for (i, v) in spec.volumes.enumerated() {
            switch v.source {
            case .projected(let pv):
                let files = try ConfigResolution.files(pv, manifest, path: "spec.volumes[\(i)]", fieldRef: refs, node: node)
                try AtomicVolumeWriter.write(layout.volume(v.name), files, group: group, owner: owner)
            case .emptyDir(let medium) where medium == "Memory":
                let dir = layout.volume(v.name)
                try Files.makeDirectories(dir, mode: 0o777)
                var data = "mode=0777"
                if let owner, let group { data += ",uid=\(owner),gid=\(group)" }
                if let q = v.sizeLimit { data += ",size=\(q.value)" }
                if mount("tmpfs", dir, "tmpfs", UInt(MS_NOSUID | MS_NODEV), data) != 0 {
                    throw PodrigError.system("mount tmpfs for emptyDir \(v.name) (\(data)) on \(dir)", errno: errno)
                }
            default: break
            }
        }
    }
}

public enum PodVolumes {
    /// Unmounts the pod's memory-backed emptyDirs (before its directory is removed).
    public static func unmount(_ layout: PodLayout) {
        let prefix = layout.directory + "/volumes/"
        // No volumes directory, no mount under it (a mount point cannot be removed): rmp of a
        // plain sandbox skips reading and parsing all of mountinfo.
        guard Files.exists(prefix) else { return }
        let text = (try? Files.readString("/proc/self/mountinfo")) ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 4 else { continue }
            let mp = HostMounts.unescape(String(f[4]))
            if mp.hasPrefix(prefix) { umount2(mp, Int32(MNT_DETACH)) }
        }
    }
}
