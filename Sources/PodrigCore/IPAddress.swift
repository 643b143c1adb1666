#if canImport(Glibc)
import Glibc
#endif

public enum IPAddress {
    public static func format(v4 addr: in_addr) -> String? {
        var a = addr
        var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count)) != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func format(v6 addr: in6_addr) -> String? {
        var a = addr
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count)) != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// 4 or 6 for a valid address (an optional /prefix is ignored), nil otherwise.
    public static func family(_ text: String) -> Int? {
        let host = String(text.split(separator: "/", maxSplits: 1).first ?? "")
        var a4 = in_addr()
        if inet_pton(AF_INET, host, &a4) == 1 { return 4 }
        var a6 = in6_addr()
        if inet_pton(AF_INET6, host, &a6) == 1 { return 6 }
        return nil
    }
}
