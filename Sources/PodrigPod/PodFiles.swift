#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// /etc/hosts, /etc/resolv.conf and /etc/hostname for a pod, as kubelet writes them.
public enum PodFiles {
    public static func hosts(hostname: String, fqdn: String?, podIPs: [String], aliases: [(ip: String, hostnames: [String])],
                             hostNetwork: Bool, hostFile: String? = nil) -> String {
        var s: String
        if hostNetwork, let hostFile {
            s = hostFile
            if !s.isEmpty && !s.hasSuffix("\n") { s += "\n" }
        } else {
            s = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            s += "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
            for ip in podIPs {
                s += fqdn.map { "\(ip)\t\($0)\t\(hostname)\n" } ?? "\(ip)\t\(hostname)\n"
            }
        }
        if !aliases.isEmpty {
            s += "\n# Entries added by HostAliases.\n"
            for a in aliases { s += a.ip + "\t" + a.hostnames.joined(separator: "\t") + "\n" }
        }
        return s
    }

    /// resolv.conf for a dnsPolicy. There is no cluster DNS here, so ClusterFirst falls back to
    /// the node's resolv.conf, as kubelet does without --cluster-dns.
    public static func resolvConf(policy: String, config: (nameservers: [String], searches: [String], options: [String])?,
                                  hostFile: String) -> String {
        var servers: [String] = [], searches: [String] = [], options: [String] = []
        if policy != "None" {
            for line in hostFile.split(separator: "\n") {
                let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let key = f.first, !key.hasPrefix("#"), !key.hasPrefix(";") else { continue }
                switch key {
                case "nameserver": servers += f.dropFirst().prefix(1)
                case "search", "domain": searches = Array(f.dropFirst())
                case "options": options += f.dropFirst()
                default: break
                }
            }
        }
        if let config {
            for s in config.nameservers where !servers.contains(s) { servers.append(s) }
            for s in config.searches where !searches.contains(s) { searches.append(s) }
            for o in config.options {
                let name = o.split(separator: ":").first.map(String.init) ?? o
                options.removeAll { ($0.split(separator: ":").first.map(String.init) ?? $0) == name }
                options.append(o)
            }
        }
        var out = ""
        if !searches.isEmpty { out += "search " + searches.prefix(32).joined(separator: " ") + "\n" }
        for s in servers.prefix(3) { out += "nameserver \(s)\n" }
        if !options.isEmpty { out += "options " + options.joined(separator: " ") + "\n" }
        return out
    }

    /// The machine's host name (spec.nodeName for the downward API).
    public static func nodeName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
