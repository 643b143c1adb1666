#if canImport(Glibc)
import Glibc
#endif
import CPodrig

/// A process named by pid and start time, so a recycled pid is never mistaken for ours.
public struct ProcessIdentity: Sendable, Codable, Equatable {
    public var pid: Int32
    /// Field 22 of /proc/<pid>/stat (clock ticks since boot).
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// A pid read from a file (a record, a status): nil unless it is one (1 to pid_t's max), so a
    /// damaged file's number is refused rather than narrowed (a trap) or used (-1: every process).
    public static func pid(_ value: Int) -> Int32? {
        guard let p = Int32(exactly: value), p > 0 else { return nil }
        return p
    }

    /// Reads the identity of a live pid; nil if it is gone.
    public static func of(_ pid: Int32) -> ProcessIdentity? {
        guard let st = Proc.stat(pid) else { return nil }
        return ProcessIdentity(pid: pid, startTime: st.startTime)
    }

    /// Alive, not a zombie, and the same process that was recorded.
    public var isAlive: Bool {
        guard let st = Proc.stat(pid) else { return false }
        return st.startTime == startTime && st.state != "Z" && st.state != "X"
    }

    /// Sends `signal` only if the pid is still this process (pidfd, so no race with reuse).
    @discardableResult
    public func signal(_ sig: Int32) -> Bool {
        let fd = pr_pidfd_open(pid)
        if fd < 0 { return false }
        defer { close(fd) }
        guard isAlive else { return false }
        return pr_pidfd_send_signal(fd, sig) == 0
    }

    /// SIGTERM, wait up to `grace` seconds, then SIGKILL and wait. Returns when it is gone.
    /// `tick` runs about once a second while it waits (progress reports).
    public func terminate(grace: Double, tick: ((_ elapsed: Double) -> Void)? = nil) {
        beginTermination()?.wait(grace: grace, tick: tick)
    }

    /// SIGTERM now, the wait later (`Termination.wait`): stopp runs the CNI DEL while pause exits.
    /// nil when the process is already gone.
    public func beginTermination() -> Termination? {
        let fd = pr_pidfd_open(pid)
        if fd < 0 { return nil }
        guard isAlive else { close(fd); return nil }
        _ = pr_pidfd_send_signal(fd, SIGTERM)
        return Termination(process: self, pidfd: fd, signalledAt: Clock.now())
    }
}

/// A process sent SIGTERM and not waited for yet. Its pidfd stays open until `wait`, so a pid
/// recycled meanwhile is never signalled; the grace period counts from the SIGTERM.
public struct Termination: Sendable {
    public let process: ProcessIdentity
    let pidfd: Int32
    let signalledAt: Double

    /// Waits up to `grace` seconds from the SIGTERM, then SIGKILL and wait; closes the pidfd.
    public func wait(grace: Double, tick: ((_ elapsed: Double) -> Void)? = nil) {
        defer { close(pidfd) }
        while true {
            let left = grace - (Clock.now() - signalledAt)
            if left <= 0 { break }
            let slice = tick == nil ? left : min(left, 1)
            if pr_pidfd_wait(pidfd, ProcessRunner.pollMilliseconds(slice)) == 1 || !process.isAlive {
                tick?(Clock.now() - signalledAt)
                return
            }
            tick?(Clock.now() - signalledAt)
        }
        if !process.isAlive { return }
        _ = pr_pidfd_send_signal(pidfd, SIGKILL)
        _ = pr_pidfd_wait(pidfd, 5000)
    }
}

public enum Proc {
    public struct Stat {
        public var state: Character
        public var ppid: Int32
        public var startTime: UInt64
        /// Session ID (field 6), as seen from our PID namespace.
        public var session: Int32 = 0
    }

    /// Parses /proc/<pid>/stat (the comm field may hold spaces and parentheses).
    public static func stat(_ pid: Int32) -> Stat? {
        // One open + read + close on a stack-sized buffer, parsed as bytes: `podrig pods` checks
        // every sandbox's pause this way.
        let fd = pr_open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buf -> Stat? in
            let n = Glibc.read(fd, buf.baseAddress, buf.count)
            guard n > 0 else { return nil }
            let bytes = UnsafeBufferPointer(rebasing: buf[0..<n])
            guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            // After "comm) ": state is field 3, ppid 4, starttime 22 (indices 0, 1, 19 from here).
            var field = 0, value: UInt64 = 0
            var state: UInt8 = 0, ppid: UInt64 = 0, session: UInt64 = 0
            var i = close + 2
            guard i < n else { return nil }
            state = bytes[i]
            while i < n {
                let c = bytes[i]
                if c == UInt8(ascii: " ") || c == UInt8(ascii: "\n") {
                    if field == 1 { ppid = value }
                    if field == 3 { session = value }
                    if field == 19 {
                        return Stat(state: Character(Unicode.Scalar(state)), ppid: Int32(truncatingIfNeeded: ppid), startTime: value,
                                    session: Int32(truncatingIfNeeded: session))
                    }
                    field += 1
                    value = 0
                } else if c >= 0x30 && c <= 0x39 {
                    value = value &* 10 &+ UInt64(c - 0x30)
                }
                i += 1
            }
            return nil
        }
    }

    /// The value of a "Key:\tvalue" line in /proc/<pid>/status.
    public static func status(_ pid: Int32, _ key: String) -> String? {
        guard let text = try? Files.readString("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return line.dropFirst(key.count + 1).trimmingCharacters()
        }
        return nil
    }

    /// Resident memory in KiB (VmRSS), and proportional set size from smaps_rollup when readable.
    public static func memoryKiB(_ pid: Int32) -> (rss: Int, pss: Int?)? {
        guard let rss = status(pid, "VmRSS")?.split(separator: " ").first.flatMap({ Int($0) }) else { return nil }
        var pss: Int?
        if let text = try? Files.readString("/proc/\(pid)/smaps_rollup") {
            for line in text.split(separator: "\n") where line.hasPrefix("Pss:") {
                pss = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
                break
            }
        }
        return (rss, pss)
    }

    /// The directory of the running executable (/proc/self/exe), where podrig-pause sits.
    public static func executableDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Files.dirname(of: path)
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    /// Leading and trailing blanks and newlines removed (no Foundation needed).
    public var trimmed: String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
