#if canImport(Glibc)
import Glibc
#endif

/// Messages for people, on stderr. Warnings always show; debug lines only with PODRIG_DEBUG=1
/// or --debug; progress lines (what a long wait waits for) when stderr is a terminal or with -v.
public enum Log {
    nonisolated(unsafe) public static var debugEnabled: Bool = getenv("PODRIG_DEBUG").map { String(cString: $0) == "1" } ?? false
    nonisolated(unsafe) public static var progressEnabled: Bool = isatty(2) != 0

    /// "podrig: <what is being waited for>", on stderr when progress is enabled.
    public static func progress(_ message: @autoclosure () -> String) {
        if progressEnabled { write("podrig: " + message() + "\n") }
    }

    public static func warn(_ message: String) {
        write("podrig: warning: " + message + "\n")
    }

    public static func info(_ message: String) {
        write(message + "\n")
    }

    public static func debug(_ message: @autoclosure () -> String) {
        if debugEnabled { write("podrig: debug: " + message() + "\n") }
    }

    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(2, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}
