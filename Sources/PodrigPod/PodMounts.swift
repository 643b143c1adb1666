#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import PodrigSandbox

/// A container's root: an overlay with the host's root filesystem as its only lower layer and a
/// fresh tmpfs upper per start, so the container sees the host's programs but its writes (and
/// the mount points podrig creates for volumes) never land on the host. The host's other mounts
/// are bind-mounted in, /proc, /sys and /dev are the container's own, then pivot_root.
extension PodPlanner {
    static let devices = ["null", "zero", "full", "random", "urandom", "tty"]

    func mounts(_ c: ContainerSpec, cdir: String) throws(PodrigError) -> ([JSON], String?) {
        var m: [JSON] = []
        func add(_ source: String?, _ target: String, _ fstype: String?, _ flags: Int = 0, _ data: String? = nil) {
            var o: JSON = ["target": .string(target), "flags": .int(flags)]
            if let source { o["source"] = .string(source) }
            if let fstype { o["fstype"] = .string(fstype) }
            if let data { o["data"] = .string(data) }
            m.append(o)
        }
        func bind(_ source: String, _ target: String, readOnly: Bool = false) { add(source, target, nil, readOnly ? Int(MS_RDONLY) : 0) }
        let what = "container \(c.name)"
        let privileged = c.securityContext.privileged
        let root = cdir + "/rootfs", rw = cdir + "/rw"
        try Files.makeDirectories(root, mode: 0o755)
        try Files.makeDirectories(rw, mode: 0o700)
        let hostMounts = HostMounts.topLevel()

        // In the pod's user namespace the lower layer is "/" idmapped through it (the host's files
        // are owned inside as outside: root's by the pod's root), and the upper's root is its root's.
        var lower = "/", upperOwner: String?
        if let userns = record.config.userNamespace, let pause = record.pause {
            lower = cdir + "/lower"
            try Files.makeDirectories(lower, mode: 0o755)
            add("/", lower, PR_MOUNT_IDMAP, 0, "/proc/\(pause.pid)/ns/user")
            upperOwner = "\(UserNamespaceConfig.host(0, in: userns.uids) ?? 0):\(UserNamespaceConfig.host(0, in: userns.gids) ?? 0)"
        }
        add("tmpfs", rw, "tmpfs", Int(MS_NOSUID | MS_NODEV), "mode=0755")
        add(nil, rw + "/upper", PR_MOUNT_MKDIR, 0, upperOwner)
        add(nil, rw + "/work", PR_MOUNT_MKDIR)
        add("overlay", root, "overlay", 0, "lowerdir=\(lower),upperdir=\(rw)/upper,workdir=\(rw)/work")
        for mp in hostMounts where !["/proc", "/sys", "/dev", "/tmp"].contains(mp) && !mp.hasPrefix(cdir) {
            add(mp, root + mp, PR_MOUNT_HOST)
        }
        if !spec.hostPID {
            add("proc", root + "/proc", "proc", Int(MS_NOSUID | MS_NODEV | MS_NOEXEC))  // the container's PID namespace
        } else {
            bind("/proc", root + "/proc")
        }
        if privileged || spec.hostNetwork {
            bind("/sys", root + "/sys")
        } else {
            add("sysfs", root + "/sys", "sysfs", Int(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC))
        }
        var termFile: String?
        if privileged {
            bind("/dev", root + "/dev")
        } else {
            let dev = cdir + "/dev"
            try Files.makeDirectories(dev, mode: 0o755)
            for d in PodPlanner.devices {
                try touch(dev + "/" + d)
                bind("/dev/" + d, dev + "/" + d)
            }
            for d in ["pts", "shm", "mqueue"] { try Files.makeDirectories(dev + "/" + d, mode: 0o755) }
            for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                                   ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")] {
                unlink(dev + "/" + name)
                symlink(target, dev + "/" + name)
            }
            bind("/dev/pts", dev + "/pts")
            bind(layout.shm, dev + "/shm")
            if c.terminationMessagePath.hasPrefix("/dev/") {
                let rel = String(c.terminationMessagePath.dropFirst(5))
                if !rel.contains("/") && !PodPlanner.devices.contains(rel) && !["pts", "shm", "mqueue", "fd", "stdin", "stdout", "stderr", "ptmx"].contains(rel) {
                    termFile = dev + "/" + rel
                    try touch(termFile!, mode: 0o666)
                }
            }
            bind(dev, root + "/dev")
        }
        for (file, target) in [("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf"), ("hostname", "/etc/hostname")] {
            if !Files.exists(target) { add(nil, root + target, PR_MOUNT_TOUCH) }
            bind(layout.etc + "/" + file, root + target)
        }
        // A mount point may only be created inside the overlay, never in a host mount bound into it.
        func makeMountPoint(_ path: String, file: Bool) throws(PodrigError) {
            if Files.exists(path) { return }
            if let host = hostMounts.first(where: { path.hasPrefix($0 + "/") }), host != "/tmp" {
                throw PodrigError.invalid("\(what): mountPath \(path) does not exist and is inside the host mount \(host), where podrig does not create directories")
            }
            add(nil, root + path, file ? PR_MOUNT_TOUCH : PR_MOUNT_MKDIR)
        }
        for vm in c.volumeMounts {
            guard let volume = spec.volumes.first(where: { $0.name == vm.name }) else { continue }
            var source: String
            switch volume.source {
            case .emptyDir, .projected: source = layout.volume(volume.name)
            case .hostPath(let path, let type): source = path; try checkHostPath(path, type: type, what: "\(what): volume \(volume.name)")
            }
            if let sub = vm.subPath, !sub.isEmpty {
                source += "/" + sub
                if !Files.exists(source) { try Files.makeDirectories(source, mode: 0o777) }
            }
            try makeMountPoint(vm.mountPath, file: !Files.isDirectory(source))
            bind(source, root + vm.mountPath, readOnly: vm.readOnly)
        }
        if termFile == nil && !c.terminationMessagePath.hasPrefix("/dev/") {
            termFile = cdir + "/termination-log"
            try touch(termFile!, mode: 0o666)
            try makeMountPoint(c.terminationMessagePath, file: true)
            bind(termFile!, root + c.terminationMessagePath)
        }
        // runc's way: a path that does not exist is skipped; the choice of file or directory is
        // the host's, whose /proc and /sys the container's own mirror.
        for p in c.securityContext.effectiveMaskedPaths where Files.exists(p) {
            if Files.isDirectory(p) {
                add("tmpfs", root + p, "tmpfs", Int(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), "size=0")
            } else {
                add("/dev/null", root + p, PR_MOUNT_HOST)
            }
        }
        for p in c.securityContext.effectiveReadonlyPaths where Files.exists(p) {
            bind(root + p, root + p, readOnly: true)
        }
        if c.securityContext.readOnlyRootFilesystem {
            bind(root, root, readOnly: true)
        }
        add(nil, root, PR_MOUNT_PIVOT)
        return (m, termFile)
    }

    func touch(_ path: String, mode: mode_t = 0o644) throws(PodrigError) {
        let fd = try checked(pr_open(path, O_WRONLY | O_CREAT | O_CLOEXEC, UInt32(mode)), "create(\(path))")
        fchmod(fd, mode)
        close(fd)
    }

    func checkHostPath(_ path: String, type: String, what: String) throws(PodrigError) {
        var st = stat()
        let exists = stat(path, &st) == 0
        let kind = st.st_mode & S_IFMT
        switch type {
        case "DirectoryOrCreate": if !exists { try Files.makeDirectories(path, mode: 0o755) }
        case "FileOrCreate": if !exists { try touch(path) }
        case "Directory": guard exists && kind == S_IFDIR else { throw PodrigError.invalid("\(what): hostPath \(path) is not a directory") }
        case "File": guard exists && kind == S_IFREG else { throw PodrigError.invalid("\(what): hostPath \(path) is not a file") }
        case "Socket": guard exists && kind == S_IFSOCK else { throw PodrigError.invalid("\(what): hostPath \(path) is not a socket") }
        case "CharDevice": guard exists && kind == S_IFCHR else { throw PodrigError.invalid("\(what): hostPath \(path) is not a character device") }
        case "BlockDevice": guard exists && kind == S_IFBLK else { throw PodrigError.invalid("\(what): hostPath \(path) is not a block device") }
        default: guard exists else { throw PodrigError.invalid("\(what): hostPath \(path) does not exist") }
        }
    }
}

/// The host's mount points directly below "/" (each bound recursively into a container's root).
enum HostMounts {
    static func topLevel() -> [String] {
        let text = (try? Files.readString("/proc/self/mountinfo")) ?? ""
        var points: [String] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 4 else { continue }
            let mp = unescape(String(f[4]))
            if mp != "/" && !points.contains(mp) { points.append(mp) }
        }
        points.sort { $0.count < $1.count }
        var top: [String] = []
        for p in points where !top.contains(where: { p.hasPrefix($0 + "/") }) { top.append(p) }
        return top
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x5C, i + 3 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
