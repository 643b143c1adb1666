#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// Sandbox records on disk: <root>/sandboxes/<id>/sandbox.json, written atomically; a flock on
/// the sandbox directory serializes commands on one sandbox.
public struct SandboxStore: Sendable {
    public let root: String

    /// Whether the verbs' final records are fsync'd: not under a volatile root (/run, tmpfs),
    /// where a power loss wipes them anyway; write + rename alone keeps them whole after kill -9.
    public let durable: Bool

    public init(root: String) {
        self.root = root
        self.durable = !Files.isVolatile(root)
    }

    public var sandboxesDirectory: String { root + "/sandboxes" }

    public func directory(_ id: String) -> String { sandboxesDirectory + "/" + id }

    public func recordPath(_ id: String) -> String { directory(id) + "/sandbox.json" }

    /// Makes <root> and <root>/sandboxes (0700).
    public func prepare() throws(PodrigError) {
        try Files.makeDirectories(sandboxesDirectory, mode: 0o700)
    }

    /// Creates the directory of a new sandbox and locks it.
    public func create(_ id: String) throws(PodrigError) -> FileLock {
        try prepare()
        let dir = directory(id)
        if mkdir(dir, 0o700) != 0 {
            throw errno == EEXIST ? PodrigError(.alreadyExists, "sandbox \(id) already exists") : .system("mkdir(\(dir))", errno: errno)
        }
        return try FileLock(dir + "/lock")
    }

    /// Locks an existing sandbox (waits for other commands on it).
    public func lock(_ id: String) throws(PodrigError) -> FileLock {
        let dir = directory(id)
        guard Files.isDirectory(dir) else { throw PodrigError(.notFound, "sandbox \(id) not found") }
        let lock = try FileLock(dir + "/lock")
        // It may have been removed while we waited.
        guard Files.exists(recordPath(id)) || Files.isDirectory(dir) else {
            throw PodrigError(.notFound, "sandbox \(id) not found")
        }
        return lock
    }

    /// `sync`: fsync'd when the root is durable (see `durable`).
    public func save(_ record: SandboxRecord, sync: Bool = true) throws(PodrigError) {
        try Files.writeAtomic(recordPath(record.id), record.json.compact, sync: sync && durable)
    }

    public func load(_ id: String) throws(PodrigError) -> SandboxRecord {
        try load(id, bytes: try recordBytes(id, in: AT_FDCWD))
    }

    /// A record's bytes, read relative to `dirfd` (the sandboxes directory open, or AT_FDCWD);
    /// errors name the full path. Empty is an error: a truncated record.
    private func recordBytes(_ id: String, in dirfd: Int32) throws(PodrigError) -> [UInt8] {
        let path = recordPath(id)
        let bytes: [UInt8]
        do {
            bytes = dirfd == AT_FDCWD ? try Files.readRegular(path) : try Files.readRegular(at: dirfd, id + "/sandbox.json", name: path)
        } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "sandbox \(id) not found") }
            throw error
        }
        if bytes.isEmpty { throw PodrigError(.invalidInput, "sandbox state \(path) is empty (truncated); `podrig gc` removes it") }
        return bytes
    }

    private func load(_ id: String, bytes: [UInt8]) throws(PodrigError) -> SandboxRecord {
        do {
            return try SandboxRecord(json: try JSONParser.parse(bytes: bytes))
        } catch {
            throw PodrigError(.invalidInput, "sandbox state \(recordPath(id)) is corrupt (\(error.description)); `podrig gc` removes it")
        }
    }

    /// IDs of every sandbox directory (including half-made ones).
    public func ids() throws(PodrigError) -> [String] {
        try Files.list(sandboxesDirectory).filter { Identifiers.isHexID($0) }.sorted()
    }

    /// Every readable record, in ID order; unreadable ones are reported through `onError` (in ID
    /// order, on the calling thread) and skipped. `effectiveState`: each record's state is its
    /// effectiveState (pause checked in /proc). Records are read and parsed on all cores: `podrig
    /// pods` over 1000 sandboxes is 1000 opens, reads and parses, and as many /proc reads.
    public func list(effectiveState: Bool = false, onError: (String, PodrigError) -> Void = { _, _ in }) throws(PodrigError) -> [SandboxRecord] {
        try readAll(onError: onError) { id, dirfd throws(PodrigError) in
            var r = try load(id, bytes: try recordBytes(id, in: dirfd))
            if effectiveState { r.state = r.effectiveState }
            return r
        }
    }

    /// What `podrig pods` prints of every readable record (SandboxSummary), as `list` gives them:
    /// same order, same records, same errors — a record the summary cannot read is parsed whole,
    /// which names what is wrong with it.
    public func summaries(effectiveState: Bool = false, onError: (String, PodrigError) -> Void = { _, _ in }) throws(PodrigError) -> [SandboxSummary] {
        try readAll(onError: onError) { id, dirfd throws(PodrigError) in
            let bytes = try recordBytes(id, in: dirfd)
            var s: SandboxSummary
            if let quick = SandboxSummary(recordBytes: bytes) { s = quick } else { s = SandboxSummary(try load(id, bytes: bytes)) }
            if effectiveState { s.state = s.effectiveState }
            return s
        }
    }

    /// `read(id, dirfd)` for every sandbox ID on up to 4 threads, relative to the sandboxes
    /// directory held open; results in ID order, failures to `onError` (a record removed meanwhile,
    /// with its directory, is skipped silently).
    private func readAll<T>(onError: (String, PodrigError) -> Void,
                            _ read: (String, Int32) throws(PodrigError) -> T) throws(PodrigError) -> [T] {
        let ids = try ids()
        if ids.isEmpty { return [] }
        let dirfd = pr_open(sandboxesDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        defer { if dirfd >= 0 { close(dirfd) } }
        // Gone since the listing (all removed meanwhile): each read then reports what it finds.
        let at = dirfd >= 0 ? dirfd : AT_FDCWD
        var loaded = [Result<T, PodrigError>?](repeating: nil, count: ids.count)
        loaded.withUnsafeMutableBufferPointer { slots in
            Parallel.forEach(ids.count) { i in
                do throws(PodrigError) {
                    slots[i] = .success(try read(ids[i], at))
                } catch {
                    slots[i] = .failure(error)
                }
            }
        }
        var out: [T] = []
        out.reserveCapacity(ids.count)
        for (id, result) in zip(ids, loaded) {
            switch result {
            case .success(let r)?: out.append(r)
            case .failure(let error)?:
                if error.code != .notFound || Files.exists(directory(id)) { onError(id, error) }
            case nil: break
            }
        }
        return out
    }

    /// Resolves a full ID or a unique prefix.
    public func resolve(_ prefix: String) throws(PodrigError) -> String {
        if Identifiers.isHexID(prefix), Files.isDirectory(directory(prefix)) { return prefix }
        return try Identifiers.resolve(prefix, among: try ids(), kind: "sandbox")
    }

    /// nil when nothing matches: gone already (see Identifiers.resolveIfPresent).
    public func resolveIfPresent(_ prefix: String) throws(PodrigError) -> String? {
        if Identifiers.isHexID(prefix), Files.isDirectory(directory(prefix)) { return prefix }
        return try Identifiers.resolveIfPresent(prefix, among: try ids(), kind: "sandbox")
    }

    public func remove(_ id: String) throws(PodrigError) {
        // A command waiting for this sandbox (a completed pod's own `stopp`) may recreate the lock
        // file between its unlink and the rmdir (ENOTEMPTY); it finds no record once it holds the
        // lock, so going again removes what it left.
        for attempt in 1... {
            do throws(PodrigError) { return try Files.removeTree(directory(id)) } catch {
                if attempt == 5 { throw error }
                usleep(10_000)
            }
        }
    }
}
