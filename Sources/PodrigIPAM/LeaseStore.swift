#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// A network's lease store on disk: `<dir>/lock` (flock, held for the whole command) and
/// `<dir>/podrig-ipam.json`, replaced as a whole on every change (temp file, fdatasync, rename,
/// fsync of the directory). A kill at any instant leaves the old table or the new one, never a mix.
public final class LeaseStore {
    public static let fileName = "podrig-ipam.json"
    public static let lockName = "lock"

    public let directory: String
    private let lock: FileLock

    public var path: String { directory + "/" + Self.fileName }

    /// Creates the directory (0755, as host-local) and takes the network's lock, waiting for it.
    public init(directory: String) throws(PodrigError) {
        self.directory = directory
        try Files.makeDirectories(directory, mode: 0o755)
        lock = try FileLock(directory + "/" + Self.lockName, exclusive: true)
        IPAMCrashPoint.reached(.locked)
    }

    public func unlock() { lock.unlock() }

    /// The table, or an empty one when the network has none yet.
    public func load(network: String) throws(PodrigError) -> LeaseTable {
        let bytes: [UInt8]
        do { bytes = try Files.read(path) } catch {
            if error.code == .notFound { return LeaseTable(network: network) }
            throw error
        }
        return try LeaseTable.decode(bytes, path: path)
    }

    /// Replaces the table atomically and durably.
    public func save(_ table: LeaseTable) throws(PodrigError) {
        let tmp = path + ".tmp"
        // The temp name is fixed: only the lock holder writes it, so a leftover is a dead writer's.
        let fd = try checked(pr_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644), "create(\(tmp))")
        let data = table.encoded()
        var failure = Files.writeAll(fd, data, what: tmp)
        IPAMCrashPoint.reached(.written)
        if failure == nil, fdatasync(fd) != 0 { failure = .system("fdatasync(\(tmp))", errno: errno) }
        close(fd)
        IPAMCrashPoint.reached(.synced)
        if failure == nil, rename(tmp, path) != 0 { failure = .system("rename(\(tmp), \(path))", errno: errno) }
        if let failure {
            unlink(tmp)
            throw failure
        }
        IPAMCrashPoint.reached(.renamed)
        let dfd = try checked(pr_open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), "open(\(directory))")
        defer { close(dfd) }
        if fsync(dfd) != 0 { throw PodrigError.system("fsync(\(directory))", errno: errno) }
        IPAMCrashPoint.reached(.committed)
    }

    /// Moves an unreadable table aside (to `podrig-ipam.json.corrupt-<time>`) and returns the new name.
    public func setAsideCorrupt() throws(PodrigError) -> String? {
        guard Files.exists(path) else { return nil }
        let aside = path + ".corrupt-" + String(Time.nowNanos() / 1_000_000_000)
        if rename(path, aside) != 0 { throw PodrigError.system("rename(\(path), \(aside))", errno: errno) }
        return aside
    }
}

/// Fault injection for the crash tests: `PODRIG_IPAM_CRASH=<point>` makes the plugin SIGKILL
/// itself there, the way a kill -9 from outside would land.
public enum IPAMCrashPoint: String, CaseIterable, Sendable {
    case locked      // lock taken, nothing written
    case written     // temp file written, not synced
    case synced      // temp file synced, not renamed
    case renamed     // new table in place, directory not synced
    case committed   // durable, result not printed yet

    public static let environmentVariable = "PODRIG_IPAM_CRASH"

    static let armed: IPAMCrashPoint? = getenv(environmentVariable).flatMap { IPAMCrashPoint(rawValue: String(cString: $0)) }

    static func reached(_ point: IPAMCrashPoint) {
        if armed == point { kill(getpid(), SIGKILL) }
    }
}
