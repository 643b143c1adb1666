#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// The mounts a container's private mount namespace gets, in order. Containers see the host's
/// filesystem, so every mountPath must already exist on the host; what podrig provides (/proc,
/// /dev, /etc files) is bind-mounted over it in the child only.
extension PodPlanner {
    static let devices = ["null", "zero", "full", "random", "urandom", "tty"]

    func mounts(_ c: ContainerSpec, cdir: String) throws(PodrigError) -> ([JSON], String?) {
        var m: [JSON] = []
        func bind(_ source: String, _ target: String, readOnly: Bool = false) {
            m.append(["source": .string(source), "target": .string(target), "flags": .int(readOnly ? Int(MS_RDONLY) : 0)])
        }
        let what = "container \(c.name)"
        if !spec.hostPID {
            // A fresh /proc for the container's PID namespace (its own, or the pod's).
            m.append(["source": "proc", "target": "/proc", "fstype": "proc", "flags": .int(Int(MS_NOSUID | MS_NODEV | MS_NOEXEC))])
        }
        var termFile: String?
        if !c.securityContext.privileged {
            let dev = cdir + "/dev"
            try Files.makeDirectories(dev, mode: 0o755)
            for d in PodPlanner.devices {
                try touch(dev + "/" + d)
                bind("/dev/" + d, dev + "/" + d)
            }
            for d in ["pts", "shm"] { try Files.makeDirectories(dev + "/" + d, mode: 0o755) }
            for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                                   ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")] {
                unlink(dev + "/" + name)
                symlink(target, dev + "/" + name)
            }
            bind("/dev/pts", dev + "/pts")
            bind(layout.shm, dev + "/shm")
            if c.terminationMessagePath.hasPrefix("/dev/") {
                let rel = String(c.terminationMessagePath.dropFirst(5))
                if !rel.contains("/") && !PodPlanner.devices.contains(rel) && !["pts", "shm", "fd", "stdin", "stdout", "stderr", "ptmx"].contains(rel) {
                    termFile = dev + "/" + rel
                    try touch(termFile!, mode: 0o666)
                }
            }
            bind(dev, "/dev")
        }
        for (file, target) in [("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf"), ("hostname", "/etc/hostname")]
        where Files.exists(target) {
            bind(layout.etc + "/" + file, target)
        }
        for vm in c.volumeMounts {
            guard let volume = spec.volumes.first(where: { $0.name == vm.name }) else { continue }
            var source: String
            switch volume.source {
            case .emptyDir: source = layout.volume(volume.name)
            case .hostPath(let path, let type): source = path; try checkHostPath(path, type: type, what: "\(what): volume \(volume.name)")
            }
            if let sub = vm.subPath, !sub.isEmpty {
                source += "/" + sub
                if !Files.exists(source) { try Files.makeDirectories(source, mode: 0o777) }
            }
            guard Files.exists(vm.mountPath) else {
                throw PodrigError.invalid("\(what): mountPath \(vm.mountPath) does not exist on this host (containers see the host's filesystem, so a volume must be mounted on an existing path, e.g. under /mnt)")
            }
            bind(source, vm.mountPath, readOnly: vm.readOnly)
        }
        if termFile == nil && c.terminationMessagePath != "/dev/termination-log" {
            if Files.exists(c.terminationMessagePath) && !Files.isDirectory(c.terminationMessagePath) {
                termFile = cdir + "/termination-log"
                try touch(termFile!, mode: 0o666)
                bind(termFile!, c.terminationMessagePath)
            }
        }
        return (m, termFile)
    }

    func touch(_ path: String, mode: mode_t = 0o644) throws(PodrigError) {
        let fd = pr_open(path, O_WRONLY | O_CREAT | O_CLOEXEC, UInt32(mode))
        if fd < 0 { throw PodrigError.system("create(\(path))", errno: -fd) }
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
