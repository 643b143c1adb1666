#if canImport(Glibc)
import Glibc
#endif

public enum Time {
    /// Nanoseconds since the epoch, now.
    public static func nowNanos() -> Int64 {
        let w = Clock.wall()
        return Int64(w.sec) * 1_000_000_000 + Int64(w.nsec)
    }

    /// RFC 3339 with nanoseconds in UTC ("2026-11-21T18:24:10.123456789Z"), as CRI logs and crictl use.
    public static func rfc3339Nano(_ nanos: Int64) -> String {
        format(nanos, fraction: 9)
    }

    /// RFC 3339 to the second ("2026-11-21T18:24:10Z"), as Kubernetes status times are written.
    public static func rfc3339(_ nanos: Int64) -> String {
        format(nanos, fraction: 0)
    }

    private static func format(_ nanos: Int64, fraction: Int) -> String {
        // Floored, so a time before the epoch (a damaged record's createdAt) has a fraction of
        // 0…999999999 rather than a negative one (whose padding count trapped).
        let (q, r) = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
        var secs = time_t(r < 0 ? q - 1 : q)
        var tm = tm()
        gmtime_r(&secs, &tm)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var s = "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))"
        if fraction > 0 {
            let ns = String(r < 0 ? r + 1_000_000_000 : r)
            s += "." + String(repeating: "0", count: 9 - ns.count) + ns
        }
        return s + "Z"
    }
}
