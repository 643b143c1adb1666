import PodrigCore

/// A plugin result in any spec version, held in the 1.x shape (interfaces, ips, routes, dns) and
/// rendered back to any version. Keys podrig does not know are carried along.
public struct CNIResult: Sendable, Equatable {
    public struct IPConfig: Sendable, Equatable {
        public var address: String
        public var gateway: String?
        /// Index into `interfaces`; nil when the plugin did not say (always so before 0.3.0).
        public var interface: Int?
        public var extra: JSONObject = JSONObject()

        public var family: Int { IPAddress.family(address) ?? 0 }
        /// The address without its prefix length.
        public var ip: String { String(address.split(separator: "/").first ?? "") }
    }

    public var cniVersion: String
    public var interfaces: [JSONObject] = []
    public var ips: [IPConfig] = []
    public var routes: [JSONObject] = []
    public var dns: JSON?
    public var extra: JSONObject = JSONObject()

    public init(cniVersion: String) { self.cniVersion = cniVersion }

    /// Parses and validates a result. An empty or missing cniVersion means `configVersion`, as libcni does.
    public static func parse(_ json: JSON, configVersion: String) throws(PodrigError) -> CNIResult {
        guard case .object(let o) = json else { throw PodrigError.invalid("result: expected a JSON object, got \(json.kindName)") }
        var version = o["cniVersion"]?.string ?? ""
        if version.isEmpty { version = configVersion }
        guard let v = CNIVersion(version), v.isSupported else {
            throw PodrigError.invalid("result: cniVersion \"\(version)\" is not a supported version")
        }
        var r = CNIResult(cniVersion: version)
        var known: Set<String> = ["cniVersion", "dns"]
        r.dns = o["dns"].flatMap { $0.isNull ? nil : $0 }
        if v.resultFamily == .legacy {
            known.formUnion(["ip4", "ip6"])
            for key in ["ip4", "ip6"] {
                guard let section = o[key], !section.isNull else { continue }
                guard case .object(let s) = section else { throw PodrigError.invalid("result.\(key): expected an object") }
                guard let ip = s["ip"]?.string else { throw PodrigError.invalid("result.\(key).ip: required") }
                r.ips.append(IPConfig(address: ip, gateway: s["gateway"]?.string))
                for route in s["routes"]?.array ?? [] {
                    guard case .object(let ro) = route else { throw PodrigError.invalid("result.\(key).routes: expected objects") }
                    r.routes.append(ro)
                }
            }
        } else {
            known.formUnion(["interfaces", "ips", "ip", "routes"])
            for (i, item) in (o["interfaces"]?.array ?? []).enumerated() {
                guard case .object(let io) = item else { throw PodrigError.invalid("result.interfaces[\(i)]: expected an object") }
                r.interfaces.append(io)
            }
            // 0.3.0's text said "ip"; every plugin wrote "ips".
            for (i, item) in (o["ips"]?.array ?? o["ip"]?.array ?? []).enumerated() {
                guard case .object(var io) = item else { throw PodrigError.invalid("result.ips[\(i)]: expected an object") }
                guard let address = io["address"]?.string else { throw PodrigError.invalid("result.ips[\(i)].address: required") }
                var cfg = IPConfig(address: address, gateway: io["gateway"]?.string)
                if let idx = io["interface"], !idx.isNull {
                    guard let n = idx.int else { throw PodrigError.invalid("result.ips[\(i)].interface: expected an index") }
                    cfg.interface = n
                }
                for key in ["address", "gateway", "interface", "version"] { io[key] = nil }
                cfg.extra = io
                r.ips.append(cfg)
            }
            for (i, item) in (o["routes"]?.array ?? []).enumerated() {
                guard case .object(let ro) = item else { throw PodrigError.invalid("result.routes[\(i)]: expected an object") }
                r.routes.append(ro)
            }
        }
        for (k, val) in o where !known.contains(k) { r.extra[k] = val }
        try r.validate()
        return r
    }

    public static func parse(bytes: [UInt8], configVersion: String) throws(PodrigError) -> CNIResult {
        try parse(try JSONParser.parse(bytes: bytes), configVersion: configVersion)
    }

    /// Interface indexes in range, addresses and gateways that parse, routes with a valid dst.
    public func validate() throws(PodrigError) {
        for (i, ip) in ips.enumerated() {
            guard CNIResult.isCIDR(ip.address) else { throw PodrigError.invalid("result.ips[\(i)].address \"\(ip.address)\" is not an address/prefix") }
            if let gw = ip.gateway, !gw.isEmpty, IPAddress.family(gw) == nil || gw.contains("/") {
                throw PodrigError.invalid("result.ips[\(i)].gateway \"\(gw)\" is not an IP address")
            }
            if let idx = ip.interface, !interfaces.indices.contains(idx) {
                throw PodrigError.invalid("result.ips[\(i)].interface \(idx) is out of range (\(interfaces.count) interfaces)")
            }
        }
        for (i, iface) in interfaces.enumerated() where iface["name"]?.string == nil {
            throw PodrigError.invalid("result.interfaces[\(i)].name: required")
        }
        for (i, route) in routes.enumerated() {
            guard let dst = route["dst"]?.string, CNIResult.isCIDR(dst) else {
                throw PodrigError.invalid("result.routes[\(i)].dst \(route["dst"]?.compact ?? "(missing)") is not an address/prefix")
            }
            if let gw = route["gw"]?.string, !gw.isEmpty, IPAddress.family(gw) == nil {
                throw PodrigError.invalid("result.routes[\(i)].gw \"\(gw)\" is not an IP address")
            }
        }
    }

    static func isCIDR(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let fam = IPAddress.family(String(parts[0])),
              parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let len = Int(parts[1]) else { return false }
        return len >= 0 && len <= (fam == 4 ? 32 : 128)
    }

    /// The result in another spec version's layout (libcni's GetAsVersion).
    public func json(as target: String) throws(PodrigError) -> JSON {
        guard let v = CNIVersion(target), v.isSupported else { throw PodrigError.invalid("cannot convert a result to unknown version \"\(target)\"") }
        var o = JSONObject()
        o["cniVersion"] = .string(target)
        switch v.resultFamily {
        case .legacy:
            for fam in [4, 6] {
                let same = ips.filter { $0.family == fam }
                guard let first = same.first else { continue }
                if same.count > 1 { throw PodrigError.invalid("cannot convert the result to \(target): it has \(same.count) IPv\(fam) addresses") }
                var s = JSONObject()
                s["ip"] = .string(first.address)
                if let gw = first.gateway { s["gateway"] = .string(gw) }
                let rs = routes.filter { IPAddress.family($0["dst"]?.string ?? "") == fam }
                if !rs.isEmpty { s["routes"] = .array(rs.map { .object($0) }) }
                o[fam == 4 ? "ip4" : "ip6"] = .object(s)
            }
        case .v04, .v1:
            if !interfaces.isEmpty { o["interfaces"] = .array(interfaces.map { .object($0) }) }
            if !ips.isEmpty {
                o["ips"] = .array(ips.map { ip in
                    var io = JSONObject()
                    if v.resultFamily == .v04 { io["version"] = .string(ip.family == 6 ? "6" : "4") }
                    if let idx = ip.interface { io["interface"] = .int(idx) }
                    io["address"] = .string(ip.address)
                    if let gw = ip.gateway { io["gateway"] = .string(gw) }
                    for (k, val) in ip.extra { io[k] = val }
                    return .object(io)
                })
            }
            if !routes.isEmpty { o["routes"] = .array(routes.map { .object($0) }) }
        }
        if let dns { o["dns"] = dns }
        for (k, val) in extra { o[k] = val }
        return .object(o)
    }

    /// The result in its own version.
    public var json: JSON { (try? json(as: cniVersion)) ?? .object(JSONObject()) }

    /// Addresses on interface `ifName` inside the sandbox; when the result names no interfaces
    /// (pre-0.3.0 results, IPAM-only plugins), every address.
    public func sandboxIPs(ifName: String) -> [String] {
        let named = ips.filter { ip in
            guard let idx = ip.interface else { return false }
            let iface = interfaces[idx]
            return iface["name"]?.string == ifName && !(iface["sandbox"]?.string ?? "").isEmpty
        }
        if !named.isEmpty { return named.map(\.ip) }
        if interfaces.contains(where: { $0["name"]?.string == ifName }) { return [] }
        return ips.filter { $0.interface == nil }.map(\.ip)
    }
}

/// Orders Pod IPs as kubelet does: the first IP of the preferred family, then the first of the
/// other family (at most one each).
public enum PodIPs {
    public static func select(_ ips: [String], preferIPv6: Bool) -> [String] {
        let primary = preferIPv6 ? 6 : 4
        var out: [String] = []
        if let p = ips.first(where: { IPAddress.family($0) == primary }) { out.append(p) }
        if let s = ips.first(where: { IPAddress.family($0) == 10 - primary }) { out.append(s) }
        return out
    }
}
