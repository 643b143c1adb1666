import PodrigCNI
import PodrigCore

/// The result layout each spec version defines (SPEC.md "ADD Success"; 0.1.0/0.2.0's ip4/ip6),
/// checked on the plugin's raw output: podrig's own parser is lenient where runtimes must be.
public enum CTResultSchema {
    /// Every way `json` breaks `version`'s result schema; empty when it is valid.
    public static func problems(_ json: JSON, version: String, ipamOnly: Bool = false) -> [String] {
        guard case .object(let o) = json else { return ["the result is \(json.kindName), not an object"] }
        var p: [String] = []
        guard let v = CNIVersion(version) else { return ["unknown version \(version)"] }
        if let rv = o["cniVersion"]?.string {
            if rv != version { p.append("cniVersion is \"\(rv)\", the config's is \"\(version)\"") }
        } else {
            p.append("cniVersion is missing")
        }
        if v.resultFamily == .legacy {
            for key in ["interfaces", "ips"] where o[key] != nil { p.append("\"\(key)\" is not part of a \(version) result (0.3.0 layout)") }
            for (key, fam) in [("ip4", 4), ("ip6", 6)] {
                guard let s = o[key], !s.isNull else { continue }
                guard case .object(let so) = s else { p.append("\(key) is not an object"); continue }
                if let ip = so["ip"]?.string {
                    if cidrFamily(ip) != fam { p.append("\(key).ip \"\(ip)\" is not an IPv\(fam) address/prefix") }
                } else { p.append("\(key).ip is missing") }
                if let gw = so["gateway"], !gw.isNull, ipFamily(gw.string) != fam {
                    p.append("\(key).gateway \(gw.compact) is not an IPv\(fam) address")
                }
                p += routeProblems(so["routes"], "\(key).routes")
            }
        } else {
            for key in ["ip4", "ip6"] where o[key] != nil { p.append("\"\(key)\" is the 0.2.0 layout, not part of a \(version) result") }
            var interfaceCount = 0
            if let ifs = o["interfaces"], !ifs.isNull {
                if let list = ifs.array {
                    interfaceCount = list.count
                    for (i, item) in list.enumerated() {
                        guard case .object(let io) = item else { p.append("interfaces[\(i)] is not an object"); continue }
                        if (io["name"]?.string ?? "").isEmpty { p.append("interfaces[\(i)].name is missing") }
                        for key in ["mac", "sandbox"] where io[key] != nil && io[key]?.string == nil {
                            p.append("interfaces[\(i)].\(key) is not a string")
                        }
                    }
                } else { p.append("interfaces is not a list") }
            }
            if let ips = o["ips"], !ips.isNull {
                if let list = ips.array {
                    for (i, item) in list.enumerated() {
                        guard case .object(let io) = item else { p.append("ips[\(i)] is not an object"); continue }
                        let addr = io["address"]?.string ?? ""
                        let fam = cidrFamily(addr)
                        if fam == nil { p.append("ips[\(i)].address \(io["address"]?.compact ?? "(missing)") is not an address/prefix") }
                        if let gw = io["gateway"], !gw.isNull, let fam {
                            if ipFamily(gw.string) != fam { p.append("ips[\(i)].gateway \(gw.compact) is not an IPv\(fam) address") }
                        }
                        if let idx = io["interface"], !idx.isNull {
                            if let n = idx.int {
                                if n < 0 || n >= interfaceCount { p.append("ips[\(i)].interface \(n) is out of range (\(interfaceCount) interfaces)") }
                            } else { p.append("ips[\(i)].interface is not an index") }
                        }
                        if v < .v100 {
                            // 0.3.x/0.4.0 require "version"; 1.0.0 dropped it.
                            if let ver = io["version"]?.string {
                                if let fam, ver != String(fam) { p.append("ips[\(i)].version \"\(ver)\" but the address is IPv\(fam)") }
                            } else { p.append("ips[\(i)].version is missing (required before 1.0.0)") }
                        }
                    }
                } else { p.append("ips is not a list") }
            }
            p += routeProblems(o["routes"], "routes")
        }
        if let dns = o["dns"], !dns.isNull {
            if case .object(let d) = dns {
                if let ns = d["nameservers"], !ns.isNull, !(ns.array?.allSatisfy { ipFamily($0.string) != nil } ?? false) {
                    p.append("dns.nameservers must be a list of IP addresses")
                }
                for key in ["search", "options"] {
                    if let l = d[key], !l.isNull, !(l.array?.allSatisfy { $0.string != nil } ?? false) { p.append("dns.\(key) must be a list of strings") }
                }
                if let dom = d["domain"], !dom.isNull, dom.string == nil { p.append("dns.domain must be a string") }
            } else { p.append("dns is not an object") }
        }
        return p
    }

    static func routeProblems(_ routes: JSON?, _ what: String) -> [String] {
        guard let routes, !routes.isNull else { return [] }
        guard let list = routes.array else { return ["\(what) is not a list"] }
        var p: [String] = []
        for (i, r) in list.enumerated() {
            let dst = r["dst"]?.string ?? ""
            guard let fam = cidrFamily(dst) else { p.append("\(what)[\(i)].dst \(r["dst"]?.compact ?? "(missing)") is not an address/prefix"); continue }
            if let gw = r["gw"], !gw.isNull, ipFamily(gw.string) != fam {
                p.append("\(what)[\(i)].gw \(gw.compact) is not an IPv\(fam) address")
            }
        }
        return p
    }

    /// 4 or 6 for a bare address (no prefix), else nil.
    static func ipFamily(_ s: String?) -> Int? {
        guard let s, !s.contains("/") else { return nil }
        return IPAddress.family(s)
    }

    /// 4 or 6 for "address/prefix" with a prefix in range, else nil.
    static func cidrFamily(_ s: String) -> Int? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let fam = IPAddress.family(String(parts[0])), !parts[1].isEmpty,
              parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), parts[1].count <= 3, let len = Int(parts[1]),
              len <= (fam == 4 ? 32 : 128) else { return nil }
        return fam
    }
}
