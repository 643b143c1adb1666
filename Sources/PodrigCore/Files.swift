#if canImport(Glibc)
import Glibc
#endif
import CPodrig

/// File helpers on raw syscalls: atomic replace, whole-file reads, locks, directories.
public enum Files {
    /// Reads a whole file. Missing files throw .notFound.
    public static func read(_ path: String) throws(PodrigError) -> [UInt8] {
        let fd = pr_open(path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 {
            if -fd == ENOENT { throw PodrigError(.notFound, "\(path): no such file") }
            throw PodrigError.system("open(\(path))", errno: -fd)
        }
        defer { close(fd) }
        return try read(fd: fd, name: path)
    }

    /// All of an open descriptor, to EOF (a file, or podrig-ipam's stdin); `name` is for errors.
    /// `regularFile`: the caller knows it is one, so no fstat — a read short of the buffer is its
    /// end (Linux reads regular files in full up to EOF).
    public static func read(fd: Int32, name: String, regularFile: Bool = false) throws(PodrigError) -> [UInt8] {
        // Size the buffer from fstat so a small file takes one read (plus the one that sees EOF
        // only when the file grew meanwhile).
        var size = 0
        if !regularFile {
            var st = stat()
            size = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        }
        // Uninitialised storage: zero-filling first costs more than the read on short-lived
        // processes (podrig-ipam reads its stdin and lease table once per command). A pipe's
        // first buffer holds a prevResult-laden config (a few KiB) in one go.
        var out: [UInt8] = []
        var capacity = max(size + 1, 16384)
        var failure: Int32 = 0
        while true {
            var atEnd = false
            out = [UInt8](unsafeUninitializedCapacity: capacity) { buf, used in
                used = out.count
                if used > 0 { out.withUnsafeBufferPointer { buf.baseAddress!.initialize(from: $0.baseAddress!, count: $0.count) } }
                while used < capacity {
                    let n = Glibc.read(fd, buf.baseAddress! + used, capacity - used)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    used += n
                    // A regular file read short of its size + 1 has reached its end; others read to EOF.
                    if n == 0 || (size > 0 && used >= size && used < capacity) || (regularFile && used < capacity) { atEnd = true; return }
                }
            }
            if failure != 0 { throw PodrigError.system("read(\(name))", errno: failure) }
            if atEnd { return out }
            capacity *= 2
        }
    }

    /// Reads a whole regular file without the fstat: one open, one read (while it fits 16 KiB),
    /// one close — `podrig pods` reads 1000 records.
    public static func readRegular(_ path: String) throws(PodrigError) -> [UInt8] {
        try readRegular(at: AT_FDCWD, path, name: path)
    }

    /// The same, `path` relative to the directory open at `dirfd` (no walk from / for each of a
    /// thousand records); `name` is the file's full path, for errors.
    public static func readRegular(at dirfd: Int32, _ path: String, name: String) throws(PodrigError) -> [UInt8] {
        let fd = pr_openat(dirfd, path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 {
            if -fd == ENOENT { throw PodrigError(.notFound, "\(name): no such file") }
            throw PodrigError.system("open(\(name))", errno: -fd)
        }
        defer { close(fd) }
        return try read(fd: fd, name: name, regularFile: true)
    }

    public static func readString(_ path: String) throws(PodrigError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes all of `data` to `fd`, retrying short writes and EINTR; nil on success.
    public static func writeAll(_ fd: Int32, _ data: [UInt8], what: String) -> PodrigError? {
        var failure: PodrigError?
        data.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .system("write(\(what))", errno: errno)
                    return
                }
                off += n
            }
        }
        return failure
    }

    /// Writes `data` to `path` atomically: a temp file in the same directory, written, fsync'd
    /// (when `sync`), then renamed over the target. Readers see the old or the new file, never half.
    public static func writeAtomic(_ path: String, _ data: [UInt8], mode: mode_t = 0o600, sync: Bool = true) throws(PodrigError) {
        let tmp = "\(path).tmp-\(Identifiers.hex(try Identifiers.random(8)))"
        let fd = try checked(pr_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, UInt32(mode)), "create(\(tmp))")
        var failure = writeAll(fd, data, what: tmp)
        if failure == nil, sync, fdatasync(fd) != 0 { failure = .system("fsync(\(tmp))", errno: errno) }
        close(fd)
        if failure == nil, rename(tmp, path) != 0 { failure = .system("rename(\(tmp), \(path))", errno: errno) }
        if let failure {
            unlink(tmp)
            throw failure
        }
    }

    public static func writeAtomic(_ path: String, _ text: String, mode: mode_t = 0o600, sync: Bool = true) throws(PodrigError) {
        try writeAtomic(path, Array(text.utf8), mode: mode, sync: sync)
    }

    /// Whether what is stored under `path` is gone after a power loss anyway, so fsync buys
    /// nothing there (kill -9 safety needs only write + rename): /run, which FHS has cleared at
    /// every boot (containerd and CRI-O keep their state there unsynced), or a tmpfs/ramfs.
    /// Anything else counts as persistent.
    public static func isVolatile(_ path: String) -> Bool {
        if (path == "/run" || path.hasPrefix("/run/")) && !path.contains("/..") { return true }
        let type = pr_statfs_type(path)
        return type == 0x0102_1994 || type == 0x8584_58f6  // TMPFS_MAGIC, RAMFS_MAGIC (-errno: persistent)
    }

    /// mkdir -p with the given mode for every directory it creates.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(PodrigError) {
        if mkdir(path, mode) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw PodrigError.system("mkdir(\(path))", errno: errno) }
        let parent = dirname(of: path)
        if parent != path, !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST { throw PodrigError.system("mkdir(\(path))", errno: errno) }
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a directory (no "." or ".."), unsorted. A missing directory is empty.
    public static func list(_ path: String) throws(PodrigError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw PodrigError.system("opendir(\(path))", errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// rm -rf, not following symlinks. Missing paths are fine.
    public static func removeTree(_ path: String) throws(PodrigError) {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw PodrigError.system("lstat(\(path))", errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 && errno != ENOENT { throw PodrigError.system("rmdir(\(path))", errno: errno) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw PodrigError.system("unlink(\(path))", errno: errno)
        }
    }

    public static func remove(_ path: String) throws(PodrigError) {
        if unlink(path) != 0 && errno != ENOENT { throw PodrigError.system("unlink(\(path))", errno: errno) }
    }

    public static func dirname(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// An flock(2) on a file, released on `unlock()` or when the holder exits (so a killed podrig
/// never leaves a lock behind).
public final class FileLock {
    private var fd: Int32

    /// Takes an exclusive (or shared) lock on `path`, creating it; waits unless `wait` is false.
    public init(_ path: String, exclusive: Bool = true, wait: Bool = true) throws(PodrigError) {
        fd = try checked(pr_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600), "open(\(path))")
        let rc = pr_flock(fd, exclusive ? 1 : 0, wait ? 0 : 1)
        if rc != 0 {
            close(fd)
            fd = -1
            if rc == -EWOULDBLOCK { throw PodrigError(.conflict, "\(path) is locked by another podrig command") }
            try checked(rc, "flock(\(path))")
        }
    }

    public func unlock() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    deinit { unlock() }
}
