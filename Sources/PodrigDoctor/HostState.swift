#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// Read-only views of host state doctor inspects, each parsed from what the kernel or a
/// standard tool prints. Parsers are separate functions so unit tests can feed them text.
public enum HostState {
    /// The netns inode of a pinned file or /proc/<pid>/ns/net (nil if it cannot be stat'ed).
    public static func inode(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    /// Network namespace inode → pids whose ns/net it is.
    public static func netnsMembers() -> [UInt64: [Int32]] {
        var out: [UInt64: [Int32]] = [:]
        for name in (try? Files.list("/proc")) ?? [] {
            guard let pid = Int32(name), let ino = inode("/proc/\(pid)/ns/net") else { continue }
            out[ino, default: []].append(pid)
        }
        return out
    }

    /// Runs a tool by name (PATH lookup); nil when it is missing or fails.
    public static func tool(_ name: String, _ args: [String], timeout: Double = 20) -> String? {
        guard let path = Spawner.lookPath(name, path: nil) else { return nil }
        var o = SpawnOptions(path: path, arguments: [name] + args)
        o.environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
        guard let r = try? ProcessRunner.run(o, timeout: timeout), r.status.success else { return nil }
        return String(decoding: r.stdout, as: UTF8.self)
    }

    // MARK: links

    public struct Link: Sendable, Equatable {
        public var name: String
        public var kind: String?
        /// Set for a veth whose peer lives in another netns.
        public var peerNetnsID: Int?
        public var master: String?
    }

    /// `ip -j -d link show` → links.
    public static func parseLinks(_ text: String) -> [Link] {
        guard let json = try? JSONParser.parse(text), let items = json.array else { return [] }
        return items.compactMap { item in
            guard let name = item["ifname"]?.string else { return nil }
            return Link(name: name, kind: item["linkinfo"]?["info_kind"]?.string,
                        peerNetnsID: item["link_netnsid"]?.int, master: item["master"]?.string)
        }
    }

    /// `ip -j netns list` → nsid → name (only netns with an nsid in the current netns).
    public static func parseNetnsIDs(_ text: String) -> [Int: String] {
        guard let json = try? JSONParser.parse(text), let items = json.array else { return [:] }
        var out: [Int: String] = [:]
        for item in items {
            if let name = item["name"]?.string, let id = item["id"]?.int { out[id] = name }
        }
        return out
    }

    // MARK: host-local leases

    /// A host-local lease file's owner: first line is the container ID, second the ifname
    /// (plugins write "id\r\nifname"; very old ones only the ID).
    public static func parseLease(_ text: String) -> (containerID: String, ifName: String?)? {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map { String($0).trimmed }
        guard let id = lines.first, !id.isEmpty else { return nil }
        return (id, lines.count > 1 && !lines[1].isEmpty ? lines[1] : nil)
    }

    /// Files in a host-local network directory that are not leases.
    public static func isLeaseFile(_ name: String) -> Bool {
        name != "lock" && !name.hasPrefix("last_reserved_ip") && !name.hasPrefix(".")
    }

    // MARK: iptables

    /// Container IDs of the bridge plugin's ipMasq rules for `network` in `iptables-save -t nat`
    /// output: `-A POSTROUTING … --comment "name: \"<network>\" id: \"<id>\"" -j CNI-…`, one per pod IP.
    public static func parseMasquerade(_ text: String, network: String) -> [String] {
        let name = "name: \\\"\(network)\\\" id: \\\""
        var out: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("-A POSTROUTING ") && line.contains(" -j CNI-") {
            guard let r = line.firstRange(of: name) else { continue }
            let id = line[r.upperBound...].prefix { $0 != "\\" && $0 != "\"" }
            if !id.isEmpty { out.append(String(id)) }
        }
        return out
    }

    /// Container IDs named by CNI rule comments in `iptables-save` output (bridge ipMasq:
    /// `name: "net" id: "<id>"`; portmap: `dnat name: "net" id: "<id>"`), with the chains and
    /// rules that name them.
    public static func parseIptables(_ text: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("-A ") {
            guard let r = line.firstRange(of: "id: \\\"") ?? line.firstRange(of: "id: \"") else { continue }
            let rest = line[r.upperBound...]
            let id = String(rest.prefix { $0.isHexDigit || $0 == "-" || $0.isLetter || $0.isNumber })
            guard !id.isEmpty else { continue }
            let chain = line.dropFirst(3).prefix { $0 != " " }
            // The rule's target chain, when it jumps to a per-container CNI chain.
            var entry = String(chain)
            if let j = line.firstRange(of: " -j ") {
                let target = line[j.upperBound...].prefix { $0 != " " }
                if target.hasPrefix("CNI-") { entry += " -j " + target }
            }
            out[id, default: []].append(entry)
        }
        return out
    }
}
