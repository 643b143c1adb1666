import PodrigCore

/// What one invocation asks for beyond the config: the pod's identity from CNI_ARGS and the
/// requested addresses from every place host-local and the annotation conventions put them.
public struct IPAMRequest: Sendable {
    /// Pod annotations podrig-ipam reads (through the `io.kubernetes.cri.pod-annotations` capability).
    public static let addressesAnnotation = "podrig.dev/ip-addresses"
    public static let calicoAnnotation = "cni.projectcalico.org/ipAddrs"
    public static let annotationsCapability = "io.kubernetes.cri.pod-annotations"

    public var pod: String?
    public var podUID: String?
    public var requested: [IPAddr] = []

    /// CNI_ARGS as host-local's types.LoadArgs reads them: K=V pairs split by ';'; an unknown key
    /// is an error unless IgnoreUnknown is true.
    public static func parse(cniArgs: String, config raw: JSON) throws(PodrigError) -> IPAMRequest {
        var r = IPAMRequest()
        var pairs: [(String, String)] = []
        // Split on bytes: ';' and '=' are ASCII, and Character-wise splitting costs more than
        // the rest of a DEL.
        for item in cniArgs.utf8.split(separator: 0x3B) {
            guard let eq = item.firstIndex(of: 0x3D) else {
                throw PodrigError.invalid("ARGS: invalid pair \"\(String(decoding: item, as: UTF8.self))\"")
            }
            pairs.append((String(decoding: item[..<eq], as: UTF8.self), String(decoding: item[item.index(after: eq)...], as: UTF8.self)))
        }
        let ignoreUnknown = pairs.contains { $0.0 == "IgnoreUnknown" && ["1", "true"].contains($0.1.lowercased()) }
        // An array, not a Set: hashed containers cost podrig-ipam's short life a runtime
        // conformance lookup each (see IPAMPlugin.run).
        let known = ["IgnoreUnknown", "IP", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID"]
        var ns = "", name = ""
        for (k, v) in pairs {
            if !known.contains(k) {
                if ignoreUnknown { continue }
                throw PodrigError.invalid("ARGS: unknown args \"\(k)\"")
            }
            switch k {
            case "IP": r.requested.append(try address(v, from: "CNI_ARGS IP"))
            case "K8S_POD_NAMESPACE": ns = v
            case "K8S_POD_NAME": name = v
            case "K8S_POD_UID": r.podUID = v.isEmpty ? nil : v
            default: break
            }
        }
        if !name.isEmpty { r.pod = (ns.isEmpty ? "default" : ns) + "/" + name }
        // host-local's order: CNI_ARGS IP=, then args.cni.ips, then runtimeConfig.ips.
        if let ips = raw["args"]?["cni"]?["ips"], !ips.isNull {
            r.requested += try addresses(ips, from: "args.cni.ips")
        }
        let rc = raw["runtimeConfig"]
        if let ips = rc?["ips"], !ips.isNull {
            r.requested += try addresses(ips, from: "runtimeConfig.ips")
        }
        if let ann = rc?[annotationsCapability]?.object {
            if let s = ann[addressesAnnotation]?.string {
                for part in s.split(separator: ",").map({ String($0).trimmed }) where !part.isEmpty {
                    r.requested.append(try address(part, from: "annotation \(addressesAnnotation)"))
                }
            }
            if let s = ann[calicoAnnotation]?.string {
                let list: JSON
                do { list = try JSONParser.parse(s) } catch {
                    throw PodrigError.invalid("annotation \(calicoAnnotation): expected a JSON list of addresses: \(error.message)")
                }
                r.requested += try addresses(list, from: "annotation \(calicoAnnotation)")
            }
        }
        var unique: [IPAddr] = []
        for ip in r.requested where !unique.contains(ip) { unique.append(ip) }
        r.requested = unique
        return r
    }

    static func addresses(_ json: JSON, from place: String) throws(PodrigError) -> [IPAddr] {
        guard let list = json.array else { throw PodrigError.invalid("\(place): expected a list of addresses, got \(json.kindName)") }
        var out: [IPAddr] = []
        for item in list {
            guard let s = item.string else { throw PodrigError.invalid("\(place): \(item.compact) is not an address") }
            out.append(try address(s, from: place))
        }
        return out
    }

    static func address(_ s: String, from place: String) throws(PodrigError) -> IPAddr {
        guard let ip = IPAddr(s) else { throw PodrigError.invalid("\(place): cannot understand ip: \"\(s)\" is not an IP address") }
        return ip
    }
}
