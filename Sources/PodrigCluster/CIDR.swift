#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

public enum IPFamilyKind: String, Sendable, Codable {
    case ipv4, ipv6

    public var bits: Int { self == .ipv4 ? 32 : 128 }
    public var label: String { self == .ipv4 ? "IPv4" : "IPv6" }
}

/// An IP network the way Go's net.ParseCIDR returns it: the address masked to the prefix. Both
/// families are held in a UInt128 (IPv4 in the low 32 bits), which makes kcm's index arithmetic
/// one shift and one OR.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamilyKind
    /// The network address (host bits zero).
    public var network: UInt128
    public var prefix: Int

    public init(family: IPFamilyKind, network: UInt128, prefix: Int) {
        self.family = family
        self.prefix = prefix
        self.network = network & CIDR.mask(prefix, family.bits)
    }

    public var bits: Int { family.bits }

    /// The prefix's mask over `bits` bits.
    public static func mask(_ prefix: Int, _ bits: Int) -> UInt128 {
        let all: UInt128 = bits == 128 ? ~0 : (UInt128(1) << bits) - 1
        if prefix <= 0 { return 0 }
        if prefix >= bits { return all }
        return all & ~((UInt128(1) << (bits - prefix)) - 1)
    }

    public var mask: UInt128 { CIDR.mask(prefix, bits) }
    public var last: UInt128 { network | (~mask & CIDR.mask(bits, bits)) }

    public func contains(_ ip: UInt128, family f: IPFamilyKind) -> Bool {
        f == family && (ip & mask) == network
    }

    /// Whether the two share any address (kcm's "contains either way" test).
    public func overlaps(_ o: CIDR) -> Bool {
        o.family == family && (contains(o.network, family: family) || o.contains(network, family: family))
    }

    /// Go's net.ParseCIDR: "addr/len"; the error text is Go's ("invalid CIDR address: …").
    public static func parse(_ text: String) throws(PodrigError) -> CIDR {
        let bad = PodrigError.invalid("invalid CIDR address: \(text)")
        guard let slash = text.lastIndex(of: "/") else { throw bad }
        let addr = String(text[..<slash])
        let lenText = text[text.index(after: slash)...]
        guard !lenText.isEmpty, lenText.count <= 3, lenText.allSatisfy({ $0.isASCII && $0.isNumber }), let len = Int(lenText),
              let (family, value) = parseIP(addr), len <= family.bits else { throw bad }
        return CIDR(family: family, network: value, prefix: len)
    }

    public static func parseIP(_ text: String) -> (IPFamilyKind, UInt128)? {
        if text.contains(":") {
            var a = in6_addr()
            guard inet_pton(AF_INET6, text, &a) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &a) { Array($0) }
            // Go treats an IPv4-mapped IPv6 address as IPv4; podrig refuses the ambiguity instead.
            var v: UInt128 = 0
            for b in bytes { v = (v << 8) | UInt128(b) }
            return (.ipv6, v)
        }
        var a = in_addr()
        guard inet_pton(AF_INET, text, &a) == 1 else { return nil }
        return (.ipv4, UInt128(UInt32(bigEndian: a.s_addr)))
    }

    public static func format(_ value: UInt128, _ family: IPFamilyKind) -> String {
        if family == .ipv4 {
            let v = UInt32(truncatingIfNeeded: value)
            return "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        }
        var a = in6_addr()
        withUnsafeMutableBytes(of: &a) { p in
            for i in 0..<16 { p[i] = UInt8(truncatingIfNeeded: value >> (8 * (15 - i))) }
        }
        return IPAddress.format(v6: a) ?? "?"
    }

    public var description: String { CIDR.format(network, family) + "/\(prefix)" }

    /// The address `offset` into the network, as text ("10.0.0.1" for offset 1 of 10.0.0.0/24).
    public func address(_ offset: UInt128) -> String { CIDR.format(network + offset, family) }
}
