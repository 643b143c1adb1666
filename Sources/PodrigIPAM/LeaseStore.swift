#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// A network's lease store on disk: `<dir>/lock` (flock, held for the whole command) and
/// `<dir>/podrig-ipam.json`, replaced as a whole on every change (temp file, fdatasync, rename,
/// and for `podrig ipam` changes fsync of the directory). A kill at any instant leaves the old
/// table or the new one, never a mix; so does a power cut (the data is on disk before the rename).
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

    /// Replaces the table atomically: old or new after a kill -9 or a power cut. `durable` also
    /// fsyncs the directory, so the rename itself survives a power cut. The plugin's ADD/DEL/GC
    /// skip that second journal commit (half their time on a busy disk): a power cut kills every
    /// pod, and a change it loses leaves either the old table's extra lease of a dead pod (GC
    /// releases it, as after a crash before DEL) or the old table without a dead pod's
    /// allocation (its reservation, if any, is still there) — never a duplicate address.
    /// Reservations and releases made by hand (`podrig ipam`) are durable.
    public func save(_ table: LeaseTable, durable: Bool = true) throws(PodrigError) {
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
        if !durable {
            IPAMCrashPoint.reached(.committed)
            return
        }
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
    case committed   // saved (durable for `podrig ipam`), result not printed yet

    public static let environmentVariable = "PODRIG_IPAM_CRASH"

    static let armed: IPAMCrashPoint? = getenv(environmentVariable).flatMap { IPAMCrashPoint(rawValue: String(cString: $0)) }

    static func reached(_ point: IPAMCrashPoint) {
        if armed == point { kill(getpid(), SIGKILL) }
    }
}
