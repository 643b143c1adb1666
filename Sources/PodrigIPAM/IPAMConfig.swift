import PodrigCore

/// One range of a range set, canonicalized as host-local does: gateway defaults to the subnet's
/// first address, rangeStart to the first address, rangeEnd to the last (the broadcast excluded for IPv4).
public struct IPAMRange: Sendable, Equatable, CustomStringConvertible {
    public var subnet: IPNet
    public var rangeStart: IPAddr
    public var rangeEnd: IPAddr
    public var gateway: IPAddr

    public func contains(_ ip: IPAddr) -> Bool {
        subnet.contains(ip) && ip >= rangeStart && ip <= rangeEnd
    }

    /// Addresses it can hand out (the gateway does not count when it is inside).
    public var capacity: UInt64 {
        let n = IPAddr.count(from: rangeStart, through: rangeEnd)
        return n == .max ? n : n - (contains(gateway) ? 1 : 0)
    }

    public var description: String { "\(subnet) [\(rangeStart)-\(rangeEnd)]" }

    func overlaps(_ o: IPAMRange) -> Bool {
        guard subnet.address.isV6 == o.subnet.address.isV6 else { return false }
        return rangeStart <= o.rangeEnd && o.rangeStart <= rangeEnd
    }

    /// Parses and canonicalizes one range object ({subnet, rangeStart, rangeEnd, gateway}).
    public static func parse(_ json: JSON, where place: String) throws(PodrigError) -> IPAMRange {
        guard let o = json.object else { throw PodrigError.invalid("\(place): expected an object, got \(json.kindName)") }
        guard let s = o["subnet"]?.string else { throw PodrigError.invalid("\(place): \"subnet\" is required") }
        guard let net = IPNet(s) else { throw PodrigError.invalid("\(place): invalid CIDR address: \(s)") }
        if net.prefix > net.address.bits - 2 {
            throw PodrigError.invalid("\(place): Network \(s) too small to allocate from")
        }
        if net.address != net.network {
            throw PodrigError.invalid("\(place): Network has host bits set. For a subnet mask of length \(net.prefix) the network address is \(net.network)")
        }
        func address(_ key: String) throws(PodrigError) -> IPAddr? {
            guard let v = o[key], !v.isNull else { return nil }
            guard let text = v.string, !text.contains("/"), let ip = IPAddr(text) else {
                throw PodrigError.invalid("\(place): \(key) \(v.compact) is not an IP address")
            }
            guard net.contains(ip) else {
                if ip.isV6 != net.address.isV6 { throw PodrigError.invalid("\(place): IP \(ip) is not the same protocol as subnet \(net)") }
                throw PodrigError.invalid(key == "gateway" ? "\(place): gateway \(ip) not in network \(net)" : "\(place): \(key) \(ip) not in network \(net)")
            }
            return ip
        }
        let gateway = try address("gateway") ?? net.network.next
        let start = try address("rangeStart") ?? net.network.next
        var end = try address("rangeEnd") ?? net.last
        if o["rangeEnd"] == nil || o["rangeEnd"]!.isNull, !net.address.isV6 { end = IPAddr(v4: UInt32(truncatingIfNeeded: end.lo) - 1) }
        if end < start { throw PodrigError.invalid("\(place): rangeEnd \(end) is before rangeStart \(start)") }
        return IPAMRange(subnet: net, rangeStart: start, rangeEnd: end, gateway: gateway)
    }
}

/// A range set: the ranges one address of a family may come from.
public struct IPAMRangeSet: Sendable, Equatable, CustomStringConvertible {
    public var ranges: [IPAMRange]
    public var isV6: Bool { ranges[0].subnet.address.isV6 }
    public func range(for ip: IPAddr) -> IPAMRange? { ranges.first { $0.contains(ip) } }
    public var description: String { ranges.map(\.description).joined(separator: ",") }
    public var capacity: UInt64 {
        ranges.reduce(UInt64(0)) { let (s, o) = $0.addingReportingOverflow($1.capacity); return o ? .max : s }
    }
}

/// The ipam section host-local reads, plus podrig-ipam's `reservation`.
public struct IPAMConfig: Sendable {
    public static let defaultDataDir = "/var/lib/cni/networks"

    public var name: String
    public var cniVersion: String
    public var rangeSets: [IPAMRangeSet]
    public var routes: [JSON]
    public var dataDir: String
    public var resolvConf: String?
    /// Sticky IPs: how long (ns) a deleted pod's addresses stay reserved for it; nil = off.
    public var reservationTTL: Int64?
    /// The whole stdin, for the runtimeConfig and args it carries.
    public var raw: JSON

    /// The directory holding this network's lock and lease store.
    public var directory: String { dataDir + "/" + name }

    /// Parses a plugin's stdin (the whole network config with an `ipam` object).
    public static func parse(_ raw: JSON) throws(PodrigError) -> IPAMConfig {
        guard raw.object != nil else { throw PodrigError.invalid("network config: expected an object, got \(raw.kindName)") }
        guard let name = raw["name"]?.string else { throw PodrigError.invalid("network config: \"name\" is required") }
        try validateName(name)
        let version = raw["cniVersion"]?.string ?? ""
        guard let ipam = raw["ipam"], let io = ipam.object else { throw PodrigError.invalid("IPAM config missing 'ipam' key") }
        var sets: [IPAMRangeSet] = []
        // Runtime ipRanges first, then the legacy single range, then `ranges` (host-local's order).
        if let rt = raw["runtimeConfig"]?["ipRanges"]?.array, !rt.isEmpty {
            for (i, s) in rt.enumerated() { sets.append(try rangeSet(s, where: "runtimeConfig.ipRanges[\(i)]")) }
        }
        if io["subnet"] != nil {
            sets.append(IPAMRangeSet(ranges: [try IPAMRange.parse(ipam, where: "ipam")]))
        }
        if let rs = io["ranges"], !rs.isNull {
            guard let list = rs.array else { throw PodrigError.invalid("ipam.ranges: expected an array, got \(rs.kindName)") }
            for (i, s) in list.enumerated() { sets.append(try rangeSet(s, where: "invalid range set \(i)")) }
        }
        if sets.isEmpty { throw PodrigError.invalid("no IP ranges specified") }
        for i in sets.indices {
            for j in sets.indices where j > i {
                if sets[i].ranges.contains(where: { r in sets[j].ranges.contains { r.overlaps($0) } }) {
                    throw PodrigError.invalid("range set \(i) overlaps with \(j)")
                }
            }
        }
        var routes: [JSON] = []
        if let r = io["routes"], !r.isNull {
            guard let list = r.array else { throw PodrigError.invalid("ipam.routes: expected an array, got \(r.kindName)") }
            for (i, route) in list.enumerated() {
                guard let dst = route["dst"]?.string, IPNet(dst) != nil else {
                    throw PodrigError.invalid("ipam.routes[\(i)]: \"dst\" must be a CIDR")
                }
                if let gw = route["gw"], !gw.isNull, gw.string.flatMap(IPAddr.init) == nil {
                    throw PodrigError.invalid("ipam.routes[\(i)]: \"gw\" must be an IP address")
                }
                routes.append(route)
            }
        }
        var dataDir = io["dataDir"]?.string ?? ""
        if dataDir.isEmpty { dataDir = defaultDataDir }
        while dataDir.count > 1, dataDir.hasSuffix("/") { dataDir.removeLast() }
        var ttl: Int64?
        if let res = io["reservation"], !res.isNull {
            guard res.object != nil else { throw PodrigError.invalid("ipam.reservation: expected an object like {\"ttl\":\"24h\"}, got \(res.kindName)") }
            if let t = res["ttl"], !t.isNull {
                guard let text = t.string else { throw PodrigError.invalid("ipam.reservation.ttl: expected a duration string like \"24h\"") }
                let ns = try IPAMDuration.parse(text, what: "ipam.reservation.ttl")
                if ns > 0 { ttl = ns }
            }
        }
        let resolv = io["resolvConf"]?.string
        return IPAMConfig(name: name, cniVersion: version, rangeSets: sets, routes: routes, dataDir: dataDir,
                          resolvConf: resolv?.isEmpty == false ? resolv : nil, reservationTTL: ttl, raw: raw)
    }

    static func rangeSet(_ json: JSON, where place: String) throws(PodrigError) -> IPAMRangeSet {
        guard let list = json.array else { throw PodrigError.invalid("\(place): expected an array of ranges, got \(json.kindName)") }
        if list.isEmpty { throw PodrigError.invalid("\(place): empty range set") }
        var ranges: [IPAMRange] = []
        for (k, r) in list.enumerated() { ranges.append(try IPAMRange.parse(r, where: "\(place): range \(k)")) }
        if ranges.contains(where: { $0.subnet.address.isV6 != ranges[0].subnet.address.isV6 }) {
            throw PodrigError.invalid("\(place): mixed address families")
        }
        for i in ranges.indices {
            for j in ranges.indices where j > i && ranges[i].overlaps(ranges[j]) {
                throw PodrigError.invalid("\(place): subnets \(ranges[i]) and \(ranges[j]) overlap")
            }
        }
        return IPAMRangeSet(ranges: ranges)
    }

    /// CNI network names (libcni): letters, digits, '_', '.', '-', starting alphanumeric; they become a directory name here.
    static func validateName(_ name: String) throws(PodrigError) {
        let bytes = Array(name.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        guard let first = bytes.first, alnum(first), bytes.allSatisfy({ alnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }), bytes.count <= 255 else {
            throw PodrigError.invalid("network name \"\(name)\" is invalid: use letters, digits, '_', '.' and '-', starting with a letter or digit")
        }
    }
}

/// Go's time.ParseDuration syntax ("24h", "1h30m", "90s", "500ms"), plus "d" for days.
public enum IPAMDuration {
    public static func parse(_ text: String, what: String) throws(PodrigError) -> Int64 {
        let bad = PodrigError.invalid("\(what): \"\(text)\" is not a duration (like 24h, 30m, 90s)")
        var s = Substring(text.trimmed)
        if s == "0" { return 0 }
        if s.hasPrefix("-") { throw PodrigError.invalid("\(what): \"\(text)\" must not be negative") }
        if s.hasPrefix("+") { s = s.dropFirst() }
        if s.isEmpty { throw bad }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86400e9)]
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { ($0 >= "0" && $0 <= "9") || $0 == "." }
            guard !number.isEmpty, number != ".", let v = Double(number) else { throw bad }
            s = s.dropFirst(number.count)
            // Longest unit first ("ms" before "m").
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { s.hasPrefix($0.0) }) else { throw bad }
            s = s.dropFirst(unit.0.count)
            total += v * unit.1
        }
        guard total < 9.2e18 else { throw PodrigError.invalid("\(what): \"\(text)\" is too long") }
        return Int64(total)
    }

    /// "24h0m0s"-free short form for people: 1d2h, 3h, 15m, 42s.
    public static func format(_ ns: Int64) -> String {
        var s = max(0, ns / 1_000_000_000)
        if s == 0 { return ns > 0 ? "\(ns / 1_000_000)ms" : "0s" }
        var out = ""
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where s >= size {
            out += "\(s / size)\(unit)"
            s %= size
        }
        return out
    }
}
