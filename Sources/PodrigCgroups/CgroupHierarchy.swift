#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The machine's cgroup hierarchy: v2 (one unified tree, `cgroup.controllers` at its root) or v1
/// (one tree per controller under <mount>/<controller>). podrig's cgroups live at the top of each
/// tree under a `podrig` directory, like kubelet's cgroupfs driver under its cgroup root.
public struct CgroupHierarchy: Sendable, Equatable {
    public enum Version: String, Sendable { case v1, v2 }

    public let version: Version
    /// /sys/fs/cgroup, or a fake tree in tests.
    public let mount: String
    /// v1: each controller podrig uses with its tree's directory (cpu and cpuacct may share one);
    /// v2: the single unified tree, named "".
    public let controllers: [Controller]
    /// v1: a controller mounted together with another (cpuacct in cpu,cpuacct) → that tree's
    /// directory, found once by detect (its realpath is the other's).
    public let coMounted: [String: String]

    public struct Controller: Sendable, Equatable {
        public var name: String
        public var directory: String
    }

    /// What kubelet's cgroupfs manager creates on v1 (freezer, devices, blkio are not podrig's business).
    public static let v1Controllers = ["cpu", "cpuacct", "cpuset", "memory", "pids"]
    /// Controllers enabled for podrig's subtree on v2.
    public static let v2Controllers = ["cpu", "cpuset", "memory", "pids"]
    /// Every podrig cgroup is below this directory of each tree (the guard against touching others').
    public static let topName = "podrig"

    public init(version: Version, mount: String, controllers: [Controller], coMounted: [String: String] = [:]) {
        self.version = version
        self.mount = mount
        self.controllers = controllers
        self.coMounted = coMounted
    }

    /// nil when neither hierarchy is there (no memory controller on v1, no cgroup2 at `mount`).
    public static func detect(mount: String = "/sys/fs/cgroup") -> CgroupHierarchy? {
        if Files.exists(mount + "/cgroup.controllers") {
            return CgroupHierarchy(version: .v2, mount: mount, controllers: [Controller(name: "", directory: mount)])
        }
        var found: [Controller] = []
        var roots: [Identity] = []  // found[i]'s tree (an array: five entries, no hashing)
        var coMounted: [String: String] = [:]
        for name in v1Controllers {
            let dir = mount + "/" + name
            guard let id = Identity(dir + "/cgroup.procs") else { continue }
            if let i = roots.firstIndex(of: id) {
                coMounted[name] = found[i].directory
            } else {
                roots.append(id)
                found.append(Controller(name: name, directory: dir))
            }
        }
        guard found.contains(where: { $0.name == "memory" }) else { return nil }
        return CgroupHierarchy(version: .v1, mount: mount, controllers: found, coMounted: coMounted)
    }

    /// A tree's root cgroup.procs, by device and inode: there (a cgroup mount), and two controller
    /// names (cpuacct → cpu,cpuacct) are one tree when stat(2) says the same — one syscall per
    /// controller, where access(2) and realpath's walk of every component took five.
    struct Identity: Equatable {
        var device: UInt64, inode: UInt64
        init?(_ path: String) {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        }
    }

    /// The directory of `relative` (a podrig cgroup path such as podrig/kubepods/pod<uid>) in
    /// every tree podrig uses.
    public func directories(_ relative: String) -> [String] {
        controllers.map { $0.directory + "/" + relative }
    }

    /// The directory of `relative` in the tree holding `controller` (v2: the unified tree).
    public func directory(_ controller: String, _ relative: String) -> String? {
        if version == .v2 { return mount + "/" + relative }
        guard let dir = controllers.first(where: { $0.name == controller })?.directory ?? coMounted[controller] else { return nil }
        return dir + "/" + relative
    }

    /// The files a process writes itself into, one per tree (cgroup.procs: the whole thread group).
    public func procsFiles(_ relative: String) -> [String] {
        directories(relative).map { $0 + "/cgroup.procs" }
    }

    /// The file counting OOM kills in a cgroup: v2 memory.events, v1 memory.oom_control (both
    /// have an `oom_kill N` line; v1's since Linux 4.13).
    public func oomEventsFile(_ relative: String) -> String? {
        guard let dir = directory("memory", relative) else { return nil }
        return dir + (version == .v2 ? "/memory.events" : "/memory.oom_control")
    }

    /// v1: the memory cgroup's cgroup.event_control, where the supervisor registers an eventfd on
    /// memory.oom_control (the kernel's OOM notification); nil on v2.
    public func eventControlFile(_ relative: String) -> String? {
        guard version == .v1, let dir = directory("memory", relative) else { return nil }
        return dir + "/cgroup.event_control"
    }

    /// v2: the cgroup's cgroup.events (`populated`), watched so that no OOM watch outlives the cgroup; nil on v1.
    public func cgroupEventsFile(_ relative: String) -> String? {
        version == .v2 ? mount + "/" + relative + "/cgroup.events" : nil
    }

    /// Whether podrig can create its cgroups here (root, a writable tree).
    public var isWritable: Bool {
        controllers.allSatisfy { access($0.directory, W_OK) == 0 }
    }
}
