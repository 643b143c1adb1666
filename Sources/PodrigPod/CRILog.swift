#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// One record of a CRI log file: `<RFC3339Nano> <stdout|stderr> <F|P> <message>`.
public struct CRILogLine: Sendable, Equatable {
    public var time: String
    public var stream: String
    public var partial: Bool
    public var message: String

    public init(time: String, stream: String, partial: Bool, message: String) {
        self.time = time
        self.stream = stream
        self.partial = partial
        self.message = message
    }

    public static func parse<S: StringProtocol>(_ line: S) -> CRILogLine? {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[1] == "stdout" || parts[1] == "stderr", parts[2] == "F" || parts[2] == "P" else { return nil }
        return CRILogLine(time: String(parts[0]), stream: String(parts[1]), partial: parts[2] == "P",
                          message: parts.count > 3 ? String(parts[3]) : "")
    }
}

/// A container's log across rotation: the supervisor renames a full file `<path>.<YYYYMMDD-hhmmss>`
/// (kubelet's scheme) and goes on at `<path>`; these are read oldest first, then the current one.
public enum CRILogFiles {
    public static func rotated(_ path: String) -> [String] {
        let dir = Files.dirname(of: path), prefix = Files.basename(of: path) + "."
        let names = ((try? Files.list(dir)) ?? []).filter {
            $0.hasPrefix(prefix) && $0.dropFirst(prefix.count).first?.isASCII == true && $0.dropFirst(prefix.count).first?.isNumber == true
                && !$0.hasSuffix(".tmp") && !$0.hasSuffix(".gz")
        }
        return names.sorted().map { dir + "/" + $0 }
    }

    /// Every record of the rotated files, in order (the current file is read by CRILogTail).
    public static func readRotated(_ path: String) -> [CRILogLine] {
        var out: [CRILogLine] = []
        for f in rotated(path) {
            guard let bytes = try? Files.read(f) else { continue }
            for line in bytes.split(separator: 0x0A) {
                if let l = CRILogLine.parse(String(decoding: line, as: UTF8.self)) { out.append(l) }
            }
        }
        return out
    }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }
}

/// Reads a growing CRI log file from an offset, returning whole records. When the file at the
/// path is replaced (rotated), the rest of the old one is read from its rotated name first.
public struct CRILogTail {
    public let path: String
    public private(set) var offset = 0
    private var pending: [UInt8] = []
    private var inode: UInt64?

    public init(path: String) { self.path = path }

    /// New complete records since the last call.
    public mutating func read() -> [CRILogLine] {
        var out: [CRILogLine] = []
        let now = CRILogFiles.inode(path)
        if let old = inode, let now, now != old {
            if let moved = CRILogFiles.rotated(path).last(where: { CRILogFiles.inode($0) == old }) { out += take(moved) }
            offset = 0
            pending = []
        }
        inode = now ?? inode
        out += take(path)
        return out
    }

    private mutating func take(_ file: String) -> [CRILogLine] {
        guard let bytes = try? Files.read(file), bytes.count > offset else { return [] }
        pending += bytes[offset...]
        offset = bytes.count
        var out: [CRILogLine] = []
        while let nl = pending.firstIndex(of: 0x0A) {
            let line = String(decoding: pending[..<nl], as: UTF8.self)
            pending.removeSubrange(...nl)
            if let l = CRILogLine.parse(line) { out.append(l) }
        }
        return out
    }
}

/// kubelet's log options (pkg/kubelet/kuberuntime/logs, as kubectl and crictl logs pass them):
/// `since` drops records older than it; `tail` keeps the last N lines of what was already
/// written (both cut a suffix of a log in time order, so their order does not matter);
/// `limitBytes` stops the output, timestamps included, after that many bytes — mid-line, as
/// kubelet's limited writer does.
public struct CRILogOptions: Sendable, Equatable {
    public var sinceNanos: Int64?
    public var tail: Int?
    public var limitBytes: Int?
    public var timestamps = false

    public init(sinceNanos: Int64? = nil, tail: Int? = nil, limitBytes: Int? = nil, timestamps: Bool = false) {
        self.sinceNanos = sinceNanos
        self.tail = tail
        self.limitBytes = limitBytes
        self.timestamps = timestamps
    }
}

/// Turns records into output text under CRILogOptions: partial (P) records joined to their final
/// (F) one, each line with the final record's time when asked. `finished` once the byte limit is
/// reached, so a follower stops.
public struct CRILogPrinter {
    public let options: CRILogOptions
    public private(set) var finished = false
    private var partial = ""
    private var written = 0

    public init(_ options: CRILogOptions) { self.options = options }

    /// The text for records; `backlog`: what the log held when logs started, which `tail` cuts.
    public mutating func render(_ records: [CRILogLine], backlog: Bool = false) -> [UInt8] {
        guard !finished else { return [] }
        var lines: [(time: String, text: String)] = []
        for r in records {
            if let since = options.sinceNanos, let t = Time.parseRFC3339(r.time), t < since { continue }
            if r.partial { partial += r.message; continue }
            lines.append((r.time, partial + r.message))
            partial = ""
        }
        if backlog, let n = options.tail { lines = Array(lines.suffix(max(0, n))) }
        var out: [UInt8] = []
        for l in lines {
            let line = Array(((options.timestamps ? l.time + " " : "") + l.text + "\n").utf8)
            guard let limit = options.limitBytes else { out += line; continue }
            let room = limit - written
            if line.count >= room {
                out += line.prefix(max(0, room))
                written = limit
                finished = true
                break
            }
            out += line
            written += line.count
        }
        return out
    }
}
