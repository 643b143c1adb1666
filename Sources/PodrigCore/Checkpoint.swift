#if canImport(Glibc)
import Glibc
#endif

/// Named points in multi-step operations (runp, stopp), for the proof harness:
/// `PODRIG_CRASH_AT=<step>` SIGKILLs podrig there (crash-recovery tests), and
/// `PODRIG_TIMINGS=1` prints `podrig: timing <step> <ms since the first mark> +<ms since the
/// previous> @<CLOCK_MONOTONIC s>` on stderr (the last field lets a driver add process start).
/// Both are read once; with neither set a mark costs one branch.
public enum Checkpoint {
    private static let crashAt: String? = getenv("PODRIG_CRASH_AT").map { String(cString: $0) }
    private static let timings: Bool = getenv("PODRIG_TIMINGS").map { String(cString: $0) == "1" } ?? false
    private static let enabled = crashAt != nil || timings
    nonisolated(unsafe) private static var start: Double = 0
    nonisolated(unsafe) private static var last: Double = 0

    @inline(__always)
    public static func mark(_ step: StaticString) {
        if enabled { slowMark(step.description) }
    }

    /// A step named at run time (e.g. "cni:added:bridge").
    @inline(__always)
    public static func mark(named step: @autoclosure () -> String) {
        if enabled { slowMark(step()) }
    }

    private static func slowMark(_ step: String) {
        if timings {
            let now = Clock.now()
            if start == 0 { start = now; last = now }
            let total = (now - start) * 1000, delta = (now - last) * 1000
            last = now
            Log.write("podrig: timing \(step) \(format(total)) +\(format(delta)) @\(now)\n")
        }
        if step == crashAt {
            // Like `kill -9` from outside: no cleanup, no atexit, locks dropped by the kernel.
            kill(getpid(), SIGKILL)
        }
    }

    private static func format(_ ms: Double) -> String {
        let hundredths = Int((ms * 100).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
    }
}
