#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The node's own addresses, which become a hostNetwork pod's IPs: the first global IPv4 and the
/// first global IPv6 address of an interface that is up (not loopback, not link-local).
public enum NodeAddresses {
    public static func discover() -> [String] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var v4: String?, v6: String?
        var cur: UnsafeMutablePointer<ifaddrs>? = first
        while let ifa = cur {
            defer { cur = ifa.pointee.ifa_next }
            let flags = Int32(ifa.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0, let sa = ifa.pointee.ifa_addr else { continue }
            let family = Int32(sa.pointee.sa_family)
            if family == AF_INET, v4 == nil {
                let addr = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in.self).pointee.sin_addr
                if let s = IPAddress.format(v4: addr) { v4 = s }
            } else if family == AF_INET6, v6 == nil {
                var addr = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_addr
                let bytes = withUnsafeBytes(of: &addr) { Array($0) }
                if bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80 { continue }  // link-local
                if let s = IPAddress.format(v6: addr) { v6 = s }
            }
        }
        return [v4, v6].compactMap { $0 }
    }
}

