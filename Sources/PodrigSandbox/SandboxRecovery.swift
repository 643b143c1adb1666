#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// gc for the sandbox layer: what a runp killed half-way left behind.
extension SandboxManager {
    /// How old a sandbox directory without a record must be before gc takes it as abandoned.
    public static let recordGrace: Double = 10

    public struct RecoveryReport: Sendable {
        /// Sandboxes removed (IDs).
        public var removed: [String] = []
        /// Sandboxes skipped because another command holds their lock.
        public var busy: [String] = []
        public var errors: [String] = []
        public init() {}
    }

    /// Removes every sandbox a crashed runp left half-made — state `creating`, or a directory
    /// whose record is missing, empty or corrupt — undoing its pause, network (detach, which
    /// DELs by the config when no CNI state was recorded), netns pin and state. Ready and
    /// stopped sandboxes are the user's and stay; locked ones are in use and stay.
    /// `podrig gc` runs this before the CNI cache sweep.
    public func recoverHalfMade() -> RecoveryReport {
        var report = RecoveryReport()
        let ids: [String]
        do { ids = try store.ids() } catch {
            report.errors.append(error.description)
            return report
        }
        var processes: [SandboxProcess]?
        for id in ids {
            let lock: FileLock
            do {
                lock = try FileLock(store.directory(id) + "/lock", wait: false)
            } catch {
                if error.code == .conflict { report.busy.append(id) } else { report.errors.append(error.description) }
                continue
            }
            defer { lock.unlock() }
            var record: SandboxRecord
            do {
                record = try store.load(id)
                guard record.state == .creating else { continue }
            } catch {
                guard error.code == .notFound || error.code == .invalidInput else {
                    report.errors.append(error.description)
                    continue
                }
                // A runp between mkdir and its first save looks the same: leave young ones alone.
                if error.code == .notFound, Files.ageSeconds(store.directory(id)) ?? 0 < SandboxManager.recordGrace {
                    report.busy.append(id)
                    continue
                }
                // Nothing readable: assume the worst (network attached, netns pinned); every undo step is idempotent.
                record = SandboxRecord(id: id, config: PodSandboxConfig(name: "unknown"), createdAt: 0)
                record.networkAttached = true
                let pin = options.netnsDirectory + "/" + NetnsPin.name(for: id)
                if Files.exists(pin) { record.netnsPath = pin }
            }
            // A pause started just before the crash may not be in the record yet: find it by its marker.
            if processes == nil { processes = SandboxProcesses.scan() }
            for p in processes! where p.sandboxDirectory == store.directory(id) && p.identity != record.pause {
                p.identity.terminate(grace: 0)
            }
            cleanUp(record, afterFailure: true)
            if Files.exists(store.directory(id)) {
                report.errors.append("sandbox \(id.prefix(13)): state directory could not be removed")
            } else {
                report.removed.append(id)
            }
        }
        return report
    }
}

extension Files {
    /// Seconds since `path` last changed (ctime), or nil if it is gone.
    static func ageSeconds(_ path: String) -> Double? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - st.st_ctim.tv_sec) + Double(now.tv_nsec - st.st_ctim.tv_nsec) / 1e9
    }
}
