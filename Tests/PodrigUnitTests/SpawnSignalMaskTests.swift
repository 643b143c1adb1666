#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import Testing

/// The mask a spawned program starts with: nothing blocked, or exactly `blockedSignals` — set
/// before execve, so a program that sigwaits (pause) cannot lose a signal sent before it blocks it.
@Suite struct SpawnSignalMaskTests {
    /// SigBlk of a process that blocks nothing itself (sleep), as /proc shows it.
    func blocked(_ signals: [Int32]) throws -> UInt64 {
        var o = SpawnOptions(path: "/bin/sleep", arguments: ["sleep", "30"])
        o.blockedSignals = signals
        let p = try Spawner.spawn(o)
        defer {
            kill(p.pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(p.pid, &status, 0)
        }
        let status = try Files.readString("/proc/\(p.pid)/status")
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
        return try #require(UInt64(line.dropFirst("SigBlk:".count).trimmingPrefix(while: \.isWhitespace), radix: 16))
    }

    @Test func nothingBlockedByDefault() throws {
        #expect(try blocked([]) == 0)
    }

    @Test func exactlyTheGivenSignals() throws {
        let mask = try blocked([SIGTERM, SIGINT, SIGCHLD])
        #expect(mask == (1 << (UInt64(SIGTERM) - 1)) | (1 << (UInt64(SIGINT) - 1)) | (1 << (UInt64(SIGCHLD) - 1)), "SigBlk \(String(mask, radix: 16))")
    }
}
