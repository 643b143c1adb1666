import PodrigCore

/// Where a pod's and a container's cgroups go, in kubelet's shape:
/// `podrig/kubepods[/burstable|/besteffort]/pod<uid>/<container>`, or under CRI's
/// `linux.cgroup_parent` — always inside podrig's own top directory, never anyone else's.
public enum CgroupPath {
    /// kubelet's QoS level of a pod's cgroup (Guaranteed pods sit directly under kubepods).
    public static func pod(uid: String, qos: String?) -> String {
        var p = CgroupHierarchy.topName + "/kubepods"
        switch qos {
        case "Burstable": p += "/burstable"
        case "BestEffort": p += "/besteffort"
        default: break
        }
        // A uid is whatever the manifest says: only name-safe bytes reach the path.
        let safe = String(uid.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" })
        return p + "/pod" + safe
    }

    /// CRI's `linux.cgroup_parent` (kubelet passes the pod's own cgroup, e.g.
    /// /kubepods/burstable/pod<uid>), always placed below podrig's top directory. `..`, `.` and empty
    /// names are refused, so the result never leaves it; systemd slice names are taken as plain names.
    public static func parent(_ given: String, what: String = "linux.cgroup_parent") throws(PodrigError) -> String {
        var parts = given.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !parts.isEmpty else { throw PodrigError.invalid("\(what): \"\(given)\" names no cgroup") }
        for p in parts where p == ".." || p == "." || p.contains("\0") || p.contains("\n") {
            throw PodrigError.invalid("\(what): \"\(given)\" would leave podrig's cgroup tree (\"\(p)\" is not allowed)")
        }
        for p in parts where p.utf8.count > 255 {
            throw PodrigError.invalid("\(what): \"\(given)\": the name \(p.prefix(20))… is longer than 255 bytes")
        }
        parts.insert(CgroupHierarchy.topName, at: 0)
        return parts.joined(separator: "/")
    }

    /// A container's cgroup below its pod's: its CRI ID, or for a manifest container `ctr-<name>`
    /// (a bare name such as `tasks` could clash with a v1 control file).
    public static func container(pod: String, id: String) -> String { pod + "/" + id }
    public static func container(pod: String, name: String) -> String { pod + "/ctr-" + name }

    /// Whether `relative` is one of podrig's (its first component is podrig's top directory, no `..`).
    public static func isPodrigs(_ relative: String) -> Bool {
        let parts = relative.split(separator: "/")
        return parts.first.map(String.init) == CgroupHierarchy.topName && parts.count >= 2
            && !parts.contains("..") && !parts.contains(".")
    }
}

/// The file in a sandbox's state directory naming its pod cgroup: written before the cgroup is
/// made, read when the sandbox is removed (and by `doctor --leaks` to tell owned from leaked).
public enum CgroupRecord {
    public static func file(_ sandboxDirectory: String) -> String { sandboxDirectory + "/cgroup" }

    public static func read(_ sandboxDirectory: String) -> String? {
        guard let t = (try? Files.readString(file(sandboxDirectory)))?.trimmed, CgroupPath.isPodrigs(t) else { return nil }
        return t
    }

    /// Removes the cgroup a sandbox recorded (its containers' below it too), in whatever hierarchy
    /// is at `mount`, then the record; gone already is fine. Processes must be gone by now.
    public static func remove(_ sandboxDirectory: String, mount: String = "/sys/fs/cgroup") throws(PodrigError) {
        guard let path = read(sandboxDirectory) else { return }
        if let h = CgroupHierarchy.detect(mount: mount) { try CgroupTree(hierarchy: h).remove(path) }
        try? Files.remove(file(sandboxDirectory))
    }
}

extension CgroupTree {
    /// The skeleton every pod shares (podrig, kubepods, its QoS levels): never a leak by itself.
    public static let skeleton: Set<String> = [CgroupHierarchy.topName, CgroupHierarchy.topName + "/kubepods",
                                               CgroupHierarchy.topName + "/kubepods/burstable", CgroupHierarchy.topName + "/kubepods/besteffort"]

    /// Whether any process is in `relative` or below, in any tree; `among` is `existing()` when
    /// the caller already has it (doctor asks for each cgroup it found).
    public func hasProcesses(_ relative: String, among all: [String]? = nil) -> Bool {
        (all ?? existing()).filter { $0 == relative || $0.hasPrefix(relative + "/") }.contains { rel in
            hierarchy.controllers.contains { c in
                !(((try? Files.readString(c.directory + "/" + rel + "/cgroup.procs")) ?? "").trimmed.isEmpty)
            }
        }
    }
}
