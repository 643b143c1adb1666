#if canImport(Glibc)
import Glibc
#endif
import CPodrig

/// Linux namespaces podrig creates or joins, in the order runc joins them (pr_spawn joins a
/// user namespace last, whatever its place in the list).
public enum NamespaceKind: String, Sendable, Codable, CaseIterable {
    case ipc, uts, net, pid, mnt, cgroup, user

    public var cloneFlag: Int32 {
        switch self {
        case .net: pr_clone_newnet()
        case .uts: pr_clone_newuts()
        case .ipc: pr_clone_newipc()
        case .pid: pr_clone_newpid()
        case .mnt: pr_clone_newns()
        case .cgroup: pr_clone_newcgroup()
        case .user: pr_clone_newuser()
        }
    }
}

/// A mount made inside a new mount namespace. `fstype == nil` means a bind mount.
public struct SpawnMount: Sendable {
    public var source: String?
    public var target: String
    public var fstype: String?
    public var flags: UInt
    public var data: String?

    public init(source: String?, target: String, fstype: String? = nil, flags: UInt = 0, data: String? = nil) {
        self.source = source
        self.target = target
        self.fstype = fstype
        self.flags = flags
        self.data = data
    }

    public static func bind(_ source: String, to target: String, readOnly: Bool = false) -> SpawnMount {
        SpawnMount(source: source, target: target, flags: readOnly ? UInt(MS_RDONLY) : 0)
    }
}

public struct CapabilitySets: Sendable, Equatable {
    public var bounding: UInt64
    public var effective: UInt64
    public var permitted: UInt64
    public var inheritable: UInt64
    public var ambient: UInt64

    public init(bounding: UInt64, effective: UInt64, permitted: UInt64, inheritable: UInt64, ambient: UInt64 = 0) {
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.ambient = ambient
    }

    /// The same mask in every set but ambient (what runc gives a root container).
    public static func all(_ mask: UInt64) -> CapabilitySets {
        CapabilitySets(bounding: mask, effective: mask, permitted: mask, inheritable: mask)
    }
}

/// Everything pr_spawn can do, in Swift terms.
public struct SpawnOptions: Sendable {
    public var path: String
    public var arguments: [String]
    public var environment: [String] = []
    /// Namespaces to join, as paths (/proc/<pid>/ns/net, /run/netns/x); opened before the fork.
    public var join: [(kind: NamespaceKind, path: String)] = []
    /// cgroup.procs files the child writes itself into first (a container's cgroup, for exec).
    public var cgroupProcs: [String] = []
    /// A cgroup v2 directory the child starts in (clone3 CLONE_INTO_CGROUP: no migration; where the
    /// kernel cannot, the child writes its cgroup.procs).
    public var cgroupDirectory: String?
    public var unshare: [NamespaceKind] = []
    /// With `.user` in `unshare`: the new namespace's /proc/<pid>/uid_map and gid_map contents,
    /// written by the parent before the child goes on.
    public var idMaps: (uid: String, gid: String)?
    public var detach = false
    public var newSession = false
    public var hostname: String?
    public var loopbackUp = false
    public var mounts: [SpawnMount] = []
    public var rlimits: [(resource: Int32, soft: UInt64, hard: UInt64)] = []
    public var workingDirectory: String?
    public var user: (uid: UInt32, gid: UInt32, groups: [UInt32])?
    public var capabilities: CapabilitySets?
    public var noNewPrivileges = false
    /// A BPF program from `SeccompFilter.export()`.
    public var seccompFilter: [UInt8]?
    public var stdin: Int32 = -1
    public var stdout: Int32 = -1
    public var stderr: Int32 = -1
    public var parentDeathSignal: Int32 = 0
    /// Blocked in the program from its first instruction (pr_spawn_attr.blocked_signals).
    public var blockedSignals: [Int32] = []
    /// stdin is a pty slave that becomes the controlling terminal (needs newSession).
    public var controllingTerminal = false

    public init(path: String, arguments: [String]) {
        self.path = path
        self.arguments = arguments
    }
}

public struct SpawnedProcess: Sendable {
    public var pid: pid_t
    /// Our direct child (we must wait for it), or reparented away (detached / PID namespace).
    public var isChild: Bool
}

public enum Spawner {
    public static func spawn(_ o: SpawnOptions) throws(PodrigError) -> SpawnedProcess {
        guard o.join.count <= Int(PR_SPAWN_MAX_NS) else {
            throw PodrigError(.internalError, "too many namespaces to join (\(o.join.count))")
        }
        // Open every namespace first, as runc does, so a missing one fails before any fork.
        var nsFds: [Int32] = []
        defer { for fd in nsFds { close(fd) } }
        for (kind, path) in o.join {
            let fd = try checked(pr_open(path, O_RDONLY | O_CLOEXEC, 0), "open(\(path)) to join the \(kind.rawValue) namespace")
            nsFds.append(fd)
        }
        guard o.cgroupProcs.count <= Int(PR_SPAWN_MAX_CGROUPS) else {
            throw PodrigError(.internalError, "too many cgroups to join (\(o.cgroupProcs.count))")
        }
        var cgFds: [Int32] = []
        defer { for fd in cgFds { close(fd) } }
        for path in o.cgroupProcs {
            // v1: the child writes "0" into the `tasks` next to cgroup.procs, moving its one thread
            // (the whole child), for which the kernel skips cgroup_threadgroup_rwsem and its RCU grace
            // period (≈ 10 ms); cgroup.procs where there is none (v2). The supervisor's side: holder.c cgroup_join_open.
            var fd: Int32 = -ENOENT
            if path.hasSuffix("/cgroup.procs") { fd = pr_open(String(path.dropLast("cgroup.procs".count)) + "tasks", O_WRONLY | O_CLOEXEC, 0) }
            if fd == -ENOENT { fd = pr_open(path, O_WRONLY | O_CLOEXEC, 0) }
            cgFds.append(try checked(fd, "open(\(path)) to join the container's cgroup"))
        }
        var cgDir: Int32 = -1
        defer { if cgDir >= 0 { close(cgDir) } }
        if let dir = o.cgroupDirectory {
            cgDir = try checked(pr_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), "open(\(dir)) to start in the cgroup")
        }

        var cstrings: [UnsafeMutablePointer<CChar>] = []
        defer { for p in cstrings { free(p) } }
        func dup(_ s: String) -> UnsafeMutablePointer<CChar> {
            let p = strdup(s)!
            cstrings.append(p)
            return p
        }
        func dupOpt(_ s: String?) -> UnsafePointer<CChar>? { s.map { UnsafePointer(dup($0)) } }

        var argv: [UnsafeMutablePointer<CChar>?] = o.arguments.map { dup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = o.environment.map { dup($0) } + [nil]
        var mounts: [pr_spawn_mount] = o.mounts.map {
            pr_spawn_mount(source: dupOpt($0.source), target: UnsafePointer(dup($0.target)),
                           fstype: dupOpt($0.fstype), flags: $0.flags, data: dupOpt($0.data))
        }
        var rlimits: [pr_spawn_rlimit] = o.rlimits.map { pr_spawn_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
        var groups: [gid_t] = o.user?.groups ?? []
        let path = dup(o.path)
        let hostname = dupOpt(o.hostname)
        let cwd = dupOpt(o.workingDirectory)
        let uidMap = dupOpt(o.idMaps?.uid), gidMap = dupOpt(o.idMaps?.gid)

        let attrPtr = UnsafeMutablePointer<pr_spawn_attr>.allocate(capacity: 1)
        defer { attrPtr.deallocate() }
        pr_spawn_attr_init(attrPtr)
        var attr = attrPtr.pointee
        attr.path = UnsafePointer(path)
        withUnsafeMutableBytes(of: &attr.ns_fds) { buf in
            let p = buf.bindMemory(to: Int32.self)
            for (i, fd) in nsFds.enumerated() { p[i] = fd }
        }
        withUnsafeMutableBytes(of: &attr.ns_types) { buf in
            let p = buf.bindMemory(to: Int32.self)
            for (i, j) in o.join.enumerated() { p[i] = j.kind.cloneFlag }
        }
        attr.ns_count = Int32(nsFds.count)
        withUnsafeMutableBytes(of: &attr.cgroup_fds) { buf in
            let p = buf.bindMemory(to: Int32.self)
            for (i, fd) in cgFds.enumerated() { p[i] = fd }
        }
        attr.cgroup_count = Int32(cgFds.count)
        attr.cgroup_into = cgDir >= 0 ? 1 : 0
        attr.cgroup_dir_fd = cgDir
        attr.unshare_flags = o.unshare.reduce(0) { $0 | $1.cloneFlag }
        attr.uid_map = uidMap
        attr.gid_map = gidMap
        attr.detach = o.detach ? 1 : 0
        attr.new_session = o.newSession ? 1 : 0
        attr.hostname = hostname
        attr.loopback_up = o.loopbackUp ? 1 : 0
        attr.cwd = cwd
        if let user = o.user {
            attr.set_ids = 1
            attr.uid = user.uid
            attr.gid = user.gid
        }
        if let caps = o.capabilities {
            attr.set_caps = 1
            attr.cap_bounding = caps.bounding
            attr.cap_effective = caps.effective
            attr.cap_permitted = caps.permitted
            attr.cap_inheritable = caps.inheritable
            attr.cap_ambient = caps.ambient
        }
        attr.no_new_privs = o.noNewPrivileges ? 1 : 0
        attr.stdin_fd = o.stdin
        attr.stdout_fd = o.stdout
        attr.stderr_fd = o.stderr
        attr.parent_death_signal = o.parentDeathSignal
        attr.blocked_signals = o.blockedSignals.reduce(0) { $1 >= 1 && $1 <= 64 ? $0 | (UInt64(1) << UInt64($1 - 1)) : $0 }
        attr.controlling_tty = o.controllingTerminal ? 1 : 0

        var pid: pid_t = -1
        var isChild: Int32 = 0
        var step: Int32 = 0
        var index: Int32 = -1
        let filter = o.seccompFilter ?? []
        let rc: Int32 = argv.withUnsafeMutableBufferPointer { argvBuf in
            envp.withUnsafeMutableBufferPointer { envBuf in
                mounts.withUnsafeMutableBufferPointer { mountBuf in
                    rlimits.withUnsafeMutableBufferPointer { rlBuf in
                        groups.withUnsafeMutableBufferPointer { groupBuf in
                            filter.withUnsafeBytes { filterBuf in
                                attr.argv = UnsafePointer(argvBuf.baseAddress!)
                                attr.envp = UnsafePointer(envBuf.baseAddress!)
                                attr.mounts = UnsafePointer(mountBuf.baseAddress)
                                attr.mount_count = mountBuf.count
                                attr.rlimits = UnsafePointer(rlBuf.baseAddress)
                                attr.rlimit_count = rlBuf.count
                                attr.groups = UnsafePointer(groupBuf.baseAddress)
                                attr.group_count = groupBuf.count
                                if o.seccompFilter != nil {
                                    attr.seccomp_filter = filterBuf.baseAddress
                                    attr.seccomp_filter_len = filterBuf.count
                                }
                                return pr_spawn(&attr, &pid, &isChild, &step, &index)
                            }
                        }
                    }
                }
            }
        }
        try checked(rc, describe(step: step, index: Int(index), options: o))
        return SpawnedProcess(pid: pid, isChild: isChild != 0)
    }

    /// "setns(/proc/1/ns/net)", "execve(/bin/x)", "mount(/etc/hosts on /etc/hosts)" …
    static func describe(step: Int32, index: Int, options o: SpawnOptions) -> String {
        let name = String(cString: pr_spawn_step_name(step))
        switch Int(step) {
        case Int(PR_STEP_SETNS.rawValue) where o.join.indices.contains(index),
             Int(PR_STEP_SETNS_USER.rawValue) where o.join.indices.contains(index):
            return "setns(\(o.join[index].path))"
        case Int(PR_STEP_MOUNT.rawValue) where o.mounts.indices.contains(index):
            let m = o.mounts[index]
            return "mount(\(m.source ?? m.fstype ?? "none") on \(m.target))"
        case Int(PR_STEP_CGROUP.rawValue) where o.cgroupProcs.indices.contains(index):
            return "join cgroup (write \(o.cgroupProcs[index]))"
        case Int(PR_STEP_CGROUP.rawValue) where o.cgroupDirectory != nil:
            return "join cgroup (clone3 into \(o.cgroupDirectory ?? ""))"
        case Int(PR_STEP_EXEC.rawValue):
            return "execve(\(o.path))"
        case Int(PR_STEP_CHDIR.rawValue):
            return "chdir(\(o.workingDirectory ?? ""))"
        case Int(PR_STEP_HOSTNAME.rawValue):
            return "sethostname(\(o.hostname ?? ""))"
        case Int(PR_STEP_UNSHARE.rawValue):
            return "unshare(\(o.unshare.map(\.rawValue).joined(separator: ",")))"
        case Int(PR_STEP_SETUID.rawValue), Int(PR_STEP_SETGID.rawValue), Int(PR_STEP_SETGROUPS.rawValue):
            return "\(name)(\(o.user.map { "\($0.uid):\($0.gid)" } ?? ""))"
        default:
            return name
        }
    }

    /// Resolves a command name through PATH (a name with '/' is taken as is).
    public static func lookPath(_ name: String, path: String?) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let dirs = (path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":")
        for dir in dirs {
            let candidate = "\(dir)/\(name)"
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}
