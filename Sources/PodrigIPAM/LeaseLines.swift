import PodrigCore

/// The fast read of a lease table as LeaseTable.encoded writes it: the small header through
/// JSONParser, then one lease line at a time by a scanner that knows the line's exact shape
/// (keys in Lease.appendJSON's order, strings without escapes). Building and freeing a JSON tree
/// of every lease was half of a DEL on a node's worth of pods. Anything else — a hand-edited
/// table, an escape, a missing field, a bad value — returns nil, and the general parser reads
/// the file (and names what is wrong).
enum LeaseLines {
    static let marker = Array(",\n  \"leases\": [".utf8)

    static func read(_ bytes: [UInt8]) -> (header: JSON, leases: [Lease])? {
        guard let m = find(marker, in: bytes) else { return nil }
        guard let header = try? JSONParser.parse(bytes: Array(bytes[..<m]) + [0x0A, 0x7D]), header["leases"] == nil else { return nil }
        var leases: [Lease] = []
        let ok = bytes.withUnsafeBufferPointer { buf -> Bool in
            var s = Scanner(buf: buf, p: m + marker.count)
            if s.take("]\n}") { return s.atEnd }
            while true {
                guard s.take("\n    {"), let lease = s.lease() else { return false }
                leases.append(lease)
                if s.take(",") { continue }
                return s.take("\n  ]\n}") && s.atEnd
            }
        }
        return ok ? (header, leases) : nil
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = 0
        while i <= hay.count - needle.count {
            if hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    struct Scanner {
        let buf: UnsafeBufferPointer<UInt8>
        var p: Int

        /// Only trailing whitespace is left.
        var atEnd: Bool { buf[p...].allSatisfy { $0 == 0x0A || $0 == 0x20 } }

        mutating func take(_ literal: StaticString) -> Bool {
            let n = literal.utf8CodeUnitCount
            guard p + n <= buf.count else { return false }
            for k in 0..<n where buf[p + k] != literal.utf8Start[k] { return false }
            p += n
            return true
        }

        /// A string without escapes or control characters.
        mutating func string() -> String? {
            guard p < buf.count, buf[p] == 0x22 else { return nil }
            var e = p + 1
            while e < buf.count, buf[e] != 0x22 {
                if buf[e] == 0x5C || buf[e] < 0x20 { return nil }
                e += 1
            }
            guard e < buf.count else { return nil }
            let s = String(decoding: UnsafeBufferPointer(rebasing: buf[(p + 1)..<e]), as: UTF8.self)
            p = e + 1
            return s
        }

        mutating func int() -> Int64? {
            var e = p
            if e < buf.count, buf[e] == 0x2D { e += 1 }
            let digits = e
            while e < buf.count, buf[e] >= 0x30, buf[e] <= 0x39 { e += 1 }
            guard e > digits, e - digits <= 19 else { return nil }
            let v = Int64(String(decoding: UnsafeBufferPointer(rebasing: buf[p..<e]), as: UTF8.self))
            p = e
            return v
        }

        /// The rest of a line after its "{", through "}"; the checks of Lease(json:).
        mutating func lease() -> Lease? {
            guard take("\"ip\":"), let ipText = string(), let ip = IPAddr(ipText), ipText.utf8.firstIndex(of: 0x2F) == nil,
                  take(",\"state\":"), let st = string(), let state = Lease.State(rawValue: st),
                  take(",\"containerID\":"), let cid = string(),
                  take(",\"ifname\":"), let ifName = string() else { return nil }
            var pod: String?, podUID: String?, expires: Int64?
            if take(",\"pod\":") { guard let v = string() else { return nil }; pod = v }
            if take(",\"podUID\":") { guard let v = string() else { return nil }; podUID = v }
            guard take(",\"since\":"), let since = int() else { return nil }
            if take(",\"expires\":") { guard let v = int() else { return nil }; expires = v }
            guard take("}") else { return nil }
            if state == .allocated, cid.isEmpty { return nil }
            return Lease(ip: ip, state: state, containerID: cid, ifName: ifName, pod: pod, podUID: podUID, since: since, expires: expires)
        }
    }
}
