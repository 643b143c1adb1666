#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import Testing

/// CRI start's wait for the supervisor's reply: woken by the byte, never stuck without one, no
/// busy loop once the writer has come and gone, and nothing left behind.
@Suite struct FIFOWakeTests {
    static func path() -> String { "/tmp/podrig-unit-fifo-\((try! Identifiers.newID()).prefix(8))" }

    @Test func aByteWakesTheWaiterAtOnce() {
        let p = Self.path()
        do {
            var w = FIFOWake(p)
            let fd = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC)  // the supervisor's side
            #expect(fd >= 0)
            #expect(write(fd, "1", 1) == 1)
            close(fd)
            let t0 = Clock.now()
            w.wait(5, patience: 5)
            #expect(Clock.now() - t0 < 1)
            // The writer has gone: from now on a tick, not an immediate POLLHUP.
            let t1 = Clock.now()
            for _ in 0..<20 { w.wait(5, patience: 5, tick: 0.002) }
            #expect(Clock.now() - t1 >= 0.03)
        }
        #expect(access(p, F_OK) != 0)  // removed with the waiter
    }

    @Test func noWriterCostsThePatienceOnly() {
        let p = Self.path()
        var w = FIFOWake(p)
        let t0 = Clock.now()
        w.wait(5, patience: 0.02)
        let waited = Clock.now() - t0
        #expect(waited >= 0.015 && waited < 2)
    }

    @Test func noFIFOFallsBackToTicks() {
        var w = FIFOWake("/nonexistent/podrig/started")
        let t0 = Clock.now()
        w.wait(5, tick: 0.002)
        #expect(Clock.now() - t0 < 1)
        // A leftover of a killed start is replaced, not an error.
        let p = Self.path()
        #expect(mkfifo(p, 0o600) == 0)
        do {
            var again = FIFOWake(p)
            again.wait(0.001)
        }
        #expect(access(p, F_OK) != 0)
    }
}
