import PodrigCore
import PodrigSandbox

/// What a sandbox's config turns into for CNI: CNI_ARGS and capability arguments, as containerd
/// and CRI-O build them.
public enum CNISandboxArgs {
    /// Annotations podrig reads for the capabilities CRI has no field for.
    public static let ipsAnnotation = "podrig.io/ips"
    public static let macAnnotation = "podrig.io/mac"
    public static let aliasesAnnotation = "podrig.io/aliases"
    public static let ipRangesAnnotation = "podrig.io/ip-ranges"
    public static let ingressAnnotation = "kubernetes.io/ingress-bandwidth"
    public static let egressAnnotation = "kubernetes.io/egress-bandwidth"

    public static func cniArgs(_ record: SandboxRecord, extra: [(String, String)]) -> [(String, String)] {
        let c = record.config
        return CNIRuntimeConf.merge(
            CNIRuntimeConf.kubernetesArgs(namespace: c.namespace, name: c.name, sandboxID: record.id, uid: c.uid), extra)
    }

    /// `networks`: the networks the sandbox is (being) attached to, the keys of `aliases`.
    public static func capabilityArgs(_ record: SandboxRecord, networks: [String] = []) throws(PodrigError) -> JSONObject {
        let c = record.config
        var caps = JSONObject()
        // containerd passes only mappings with a host port, protocol in lower case.
        let ports = c.portMappings.filter { $0.hostPort > 0 }
        if !ports.isEmpty {
            caps["portMappings"] = .array(ports.map { p in
                var o: JSON = ["hostPort": .int(p.hostPort), "containerPort": .int(p.containerPort),
                               "protocol": .string(p.protocol.lowercased())]
                if !p.hostIP.isEmpty { o["hostIP"] = .string(p.hostIP) }
                return o
            })
        }
        if let dns = c.dns {
            caps["dns"] = ["servers": .array(dns.servers.map { .string($0) }), "searches": .array(dns.searches.map { .string($0) }),
                           "options": .array(dns.options.map { .string($0) })]
        }
        if let cg = c.cgroupParent { caps["cgroupPath"] = .string(cg) }
        let a = c.annotations
        if a[ingressAnnotation] != nil || a[egressAnnotation] != nil {
            var bw = JSONObject()
            // containerd: rate from the annotation, burst MaxUint32 (bits).
            if let s = a[ingressAnnotation] {
                bw["ingressRate"] = .int(try quantity(s, what: ingressAnnotation))
                bw["ingressBurst"] = .int(UInt32.max)
            }
            if let s = a[egressAnnotation] {
                bw["egressRate"] = .int(try quantity(s, what: egressAnnotation))
                bw["egressBurst"] = .int(UInt32.max)
            }
            caps["bandwidth"] = .object(bw)
        }
        if let s = a[ipsAnnotation] { caps["ips"] = .array(list(s).map { .string($0) }) }
        if let s = a[macAnnotation] { caps["mac"] = .string(s) }
        // dnsname's (and podman's) form: the names per network, {"<network>": ["web", …]}.
        if !networks.isEmpty {
            let names = JSON.array(aliases(record).map { .string($0) })
            caps["aliases"] = .object(JSONObject(networks.map { ($0, names) }))
        }
        if let s = a[ipRangesAnnotation] {
            do { caps["ipRanges"] = try JSONParser.parse(s) } catch { throw error.context("annotation \(ipRangesAnnotation)") }
        }
        caps["io.kubernetes.cri.pod-annotations"] = .object(JSONObject(a.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
        return caps
    }

    /// The names a pod answers to on a network: its name, its hostname, then podrig.io/aliases.
    public static func aliases(_ record: SandboxRecord) -> [String] {
        var out: [String] = []
        let c = record.config
        for n in [c.name, c.hostname] + list(c.annotations[aliasesAnnotation] ?? "") where !n.isEmpty && !out.contains(n) {
            out.append(n)
        }
        return out
    }

    static func list(_ s: String) -> [String] {
        s.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
    }

    /// A Kubernetes quantity ("10M", "1Gi", "500k", "1000") as an integer.
    public static func quantity(_ s: String, what: String) throws(PodrigError) -> Int {
        let suffixes: [(String, Int)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40),
                                         ("k", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000)]
        var number = s.trimmed
        var mult = 1
        for (suf, m) in suffixes where number.hasSuffix(suf) {
            number = String(number.dropLast(suf.count)); mult = m; break
        }
        guard let v = Double(number), v >= 0 else { throw PodrigError.invalid("\(what): \"\(s)\" is not a quantity like 10M") }
        // Int(Double) traps beyond Int's range ("1e300", "inf").
        let rate = v * Double(mult)
        guard rate < 9.2e18 else { throw PodrigError.invalid("\(what): \"\(s)\" is too large") }
        return Int(rate)
    }
}
