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

/// Reads a growing CRI log file from an offset, returning whole records.
public struct CRILogTail {
    public let path: String
    public private(set) var offset = 0
    private var pending: [UInt8] = []

    public init(path: String) { self.path = path }

    /// New complete records since the last call.
    public mutating func read() -> [CRILogLine] {
        guard let bytes = try? Files.read(path), bytes.count > offset else { return [] }
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
