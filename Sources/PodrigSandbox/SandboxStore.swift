#if canImport(Glibc)
import Glibc
#endif
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
        let path = recordPath(id)
        let bytes: [UInt8]
        do {
            bytes = try Files.readRegular(path)
        } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "sandbox \(id) not found") }
            throw error
        }
        if bytes.isEmpty { throw PodrigError(.invalidInput, "sandbox state \(path) is empty (truncated); `podrig gc` removes it") }
        do {
            return try SandboxRecord(json: try JSONParser.parse(bytes: bytes))
        } catch {
            throw PodrigError(.invalidInput, "sandbox state \(path) is corrupt (\(error.description)); `podrig gc` removes it")
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
        let ids = try ids()
        var loaded = [Result<SandboxRecord, PodrigError>?](repeating: nil, count: ids.count)
        loaded.withUnsafeMutableBufferPointer { slots in
            Parallel.forEach(ids.count) { i in
                do throws(PodrigError) {
                    var r = try load(ids[i])
                    if effectiveState { r.state = r.effectiveState }
                    slots[i] = .success(r)
                } catch {
                    slots[i] = .failure(error)
                }
            }
        }
        var out: [SandboxRecord] = []
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
