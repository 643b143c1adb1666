import FuzzSupport
import PodrigCore
import PodrigPod

/// A CRI log file as `logs` reads it (a CRI log_path can name any file): every line parses or is
/// skipped, every time parses or is nil, and the printer under options taken from the first bytes
/// never traps and keeps its promises: at most --limit-bytes out, at most --tail lines.
@_cdecl("FuzzCRILog_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        guard bytes.count >= 3 else { return }
        let tail = Int(bytes[0]) % 8, limit = Int(bytes[1]) * 4, flags = bytes[2]
        let records = bytes.dropFirst(3).split(separator: 0x0A).compactMap { CRILogLine.parse(String(decoding: $0, as: UTF8.self)) }
        for r in records {
            if let t = Time.parseRFC3339(r.time) { precondition(Time.parseRFC3339(Time.rfc3339Nano(t)) == t, "round trip of \(r.time)") }
        }
        let since = flags & 1 != 0 ? records.first.flatMap { Time.parseRFC3339($0.time) } : nil
        var printer = CRILogPrinter(CRILogOptions(sinceNanos: since, tail: flags & 2 != 0 ? tail : nil,
                                                  limitBytes: flags & 4 != 0 ? limit + 1 : nil, timestamps: flags & 8 != 0))
        let half = records.count / 2
        let first = printer.render(Array(records.prefix(half)), backlog: true)
        let rest = printer.render(Array(records.dropFirst(half)))
        if flags & 2 != 0 { precondition(first.filter { $0 == 0x0A }.count <= tail, "tail \(tail) printed more lines") }
        if flags & 4 != 0 { precondition(first.count + rest.count <= limit + 1, "limit \(limit + 1) exceeded") }
    }
}
