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

    /// RFC 3339 back to nanoseconds since the epoch: "2026-11-21T18:24:10Z", a fraction of up to 9
    /// digits, "z", or an offset "+01:00"/"-05:30" (what kubectl --since-time and Go's RFC3339Nano
    /// write, trailing zeros trimmed). nil for anything else, or outside what Int64 nanoseconds hold (1677…2262).
    public static func parseRFC3339(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func num(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for c in b[at..<(at + n)] { guard c >= 0x30 && c <= 0x39 else { return nil }; v = v * 10 + Int(c - 0x30) }
            return v
        }
        func at(_ i: Int, _ c: UInt8) -> Bool { i < b.count && b[i] == c }
        guard let year = num(0, 4), at(4, 0x2D), let month = num(5, 2), at(7, 0x2D), let day = num(8, 2),
              at(10, 0x54) || at(10, 0x74), let hour = num(11, 2), at(13, 0x3A), let minute = num(14, 2), at(16, 0x3A),
              let second = num(17, 2) else { return nil }
        guard year >= 1, (1...12).contains(month), hour < 24, minute < 60, second < 61 else { return nil }
        let daysIn = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day >= 1 && day <= daysIn[month - 1] else { return nil }
        var i = 19, fraction: Int64 = 0
        if at(i, 0x2E) {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                guard digits < 9 else { return nil }
                fraction = fraction * 10 + Int64(b[i] - 0x30); digits += 1; i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { fraction *= 10 }
        }
        var offset = 0
        if at(i, 0x5A) || at(i, 0x7A) { i += 1 }
        else if at(i, 0x2B) || at(i, 0x2D), let oh = num(i + 1, 2), at(i + 3, 0x3A), let om = num(i + 4, 2), oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2D ? -1 : 1)
            i += 6
        } else { return nil }
        guard i == b.count else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm), so no libc time zone is involved.
        let y = month <= 2 ? year - 1 : year
        let era = y / 400, yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468
        let secs = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second - offset)
        // Int64 nanoseconds span 1677…2262: a time outside is nil, not an overflow trap.
        let (ns, o1) = secs.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = ns.addingReportingOverflow(fraction)
        return o1 || o2 ? nil : total
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
