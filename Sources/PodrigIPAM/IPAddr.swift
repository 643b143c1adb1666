#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as a 128-bit number (IPv4 in the low 32 bits), so ranges can be
/// walked and compared without byte arrays. IPv4-mapped IPv6 text ("::ffff:10.0.0.1") becomes
/// IPv4, as Go's net.IP.To4 canonicalizes it in host-local.
public struct IPAddr: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let isV6: Bool
    public let hi: UInt64
    public let lo: UInt64

    public init(v4 value: UInt32) { isV6 = false; hi = 0; lo = UInt64(value) }
    public init(v6 hi: UInt64, _ lo: UInt64) { isV6 = true; self.hi = hi; self.lo = lo }

    public var bits: Int { isV6 ? 128 : 32 }
    public var family: Int { isV6 ? 6 : 4 }

    /// Parses an address; a trailing "/prefix" is accepted and dropped (as the `ips` capability allows).
    public init?(_ text: String) {
        // Bytes, not Characters: grapheme-aware splitting is most of a parse's cost otherwise.
        let host = text.utf8.firstIndex(of: 0x2F).map { String(text[..<$0]) } ?? text
        var a4 = in_addr()
        if inet_pton(AF_INET, host, &a4) == 1 {
            self.init(v4: UInt32(bigEndian: a4.s_addr))
            return
        }
        var a6 = in6_addr()
        guard inet_pton(AF_INET6, host, &a6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &a6) { Array($0) }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        if h == 0, l >> 32 == 0xFFFF {
            self.init(v4: UInt32(truncatingIfNeeded: l))
        } else {
            self.init(v6: h, l)
        }
    }

    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(Int(INET6_ADDRSTRLEN))
        appendText(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The text form appended as bytes (the lease table writes one per lease on every save).
    public func appendText(to out: inout [UInt8]) {
        if !isV6 {
            let v = UInt32(truncatingIfNeeded: lo)
            for shift in stride(from: UInt32(24), through: 0, by: -8) {
                let o = UInt8(truncatingIfNeeded: v >> shift)
                if o >= 100 { out.append(0x30 + o / 100) }
                if o >= 10 { out.append(0x30 + o / 10 % 10) }
                out.append(0x30 + o % 10)
                if shift > 0 { out.append(0x2E) }
            }
            return
        }
        var a = in6_addr()
        withUnsafeMutableBytes(of: &a) { p in
            for i in 0..<8 { p[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i))) }
            for i in 0..<8 { p[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i))) }
        }
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buf in
            guard inet_ntop(AF_INET6, &a, buf.baseAddress, socklen_t(buf.count)) != nil else { return }
            out.append(contentsOf: UnsafeRawBufferPointer(start: buf.baseAddress, count: strlen(buf.baseAddress!)))
        }
    }

    public static func < (a: IPAddr, b: IPAddr) -> Bool {
        if a.isV6 != b.isV6 { return !a.isV6 }
        return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo
    }

    /// The next address, wrapping within the family.
    public var next: IPAddr {
        if !isV6 { return IPAddr(v4: UInt32(truncatingIfNeeded: lo) &+ 1) }
        return lo == .max ? IPAddr(v6: hi &+ 1, 0) : IPAddr(v6: hi, lo + 1)
    }

    /// b − a + 1 addresses from a through b, saturating at UInt64.max (an IPv6 /64 is "huge").
    public static func count(from a: IPAddr, through b: IPAddr) -> UInt64 {
        guard a <= b else { return 0 }
        if !a.isV6 { return b.lo - a.lo + 1 }
        if b.hi != a.hi {
            if b.hi - a.hi > 1 { return .max }
            // b.hi = a.hi + 1: (2^64 − a.lo) + b.lo + 1, saturating.
            let first = UInt64.max - a.lo
            let (sum, o1) = first.addingReportingOverflow(b.lo)
            let (total, o2) = sum.addingReportingOverflow(2)
            return o1 || o2 ? .max : total
        }
        let d = b.lo - a.lo
        return d == .max ? .max : d + 1
    }

    /// The address with the low `bits − prefix` bits cleared (mask) or set (broadcast).
    func masked(_ prefix: Int, setHostBits: Bool) -> IPAddr {
        if !isV6 {
            let hostMask: UInt32 = prefix >= 32 ? 0 : (UInt32.max >> UInt32(prefix))
            let v = UInt32(truncatingIfNeeded: lo)
            return IPAddr(v4: setHostBits ? v | hostMask : v & ~hostMask)
        }
        let hiMask: UInt64 = prefix >= 64 ? 0 : (UInt64.max >> UInt64(prefix))
        let loMask: UInt64 = prefix <= 64 ? .max : (prefix >= 128 ? 0 : UInt64.max >> UInt64(prefix - 64))
        return setHostBits ? IPAddr(v6: hi | hiMask, lo | loMask) : IPAddr(v6: hi & ~hiMask, lo & ~loMask)
    }
}

/// A subnet: an address and a prefix length ("10.88.0.0/16").
public struct IPNet: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddr
    public let prefix: Int

    public init(address: IPAddr, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    public init?(_ text: String) {
        guard let slash = text.utf8.firstIndex(of: 0x2F) else { return nil }
        let addr = text[..<slash], bits = text[text.utf8.index(after: slash)...]
        guard !bits.utf8.contains(0x2F), let a = IPAddr(String(addr)), let p = Int(bits), !bits.hasPrefix("+") else { return nil }
        // "::ffff:10.0.0.0/104" style mapped prefixes are not worth supporting; Go rejects them too.
        let textIsV6 = addr.utf8.contains(0x3A)
        guard textIsV6 == a.isV6, p >= 0, p <= a.bits else { return nil }
        address = a
        prefix = p
    }

    public var network: IPAddr { address.masked(prefix, setHostBits: false) }
    public var last: IPAddr { address.masked(prefix, setHostBits: true) }
    public func contains(_ ip: IPAddr) -> Bool {
        ip.isV6 == address.isV6 && ip.masked(prefix, setHostBits: false) == network
    }
    public var description: String { "\(address)/\(prefix)" }
}
