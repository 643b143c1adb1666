#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The namespaces one run makes and tears down: a throwaway node netns `pr-ct<run>` where every
/// plugin runs (host sides, bridges, iptables live there, never in the host's namespace), and one
/// container netns `pr-ct<run>-<n>` per attachment. Kernel state is read with `ip -j` and
/// `iptables-save`, as a plugin developer would look at it.
public final class CTWorld: @unchecked Sendable {
    public let run: String
    public let node: String
    /// Scratch directory: host-local leases, the plugin symlink of --plugin.
    public let directory: String
    public var keep = false
    private var made: [String] = []
    private var nextIndex = 0
    private let lock = Mutex()

    public static let netnsDirectory = "/run/netns"
    public static let prefix = "pr-ct"

    public init() throws(PodrigError) {
        run = String(try Identifiers.newID().prefix(6))
        node = CTWorld.prefix + run
        directory = "/run/podrig-cni-test/" + run
        try Files.makeDirectories(directory + "/ipam", mode: 0o700)
        try IPRoute.run(["netns", "add", node])
        made.append(node)
        try IPRoute.run(["-n", node, "link", "set", "lo", "up"])
    }

    public var nodePath: String { CTWorld.netnsDirectory + "/" + node }
    public var ipamDirectory: String { directory + "/ipam" }

    /// A fresh, empty container netns (lo down, as a runtime makes it).
    public func newNetns() throws(PodrigError) -> (name: String, path: String, index: Int) {
        let index = lock.locked { () -> Int in
            nextIndex += 1
            return nextIndex
        }
        let name = "\(node)-\(index)"
        try IPRoute.run(["netns", "add", name])
        lock.locked { made.append(name) }
        return (name, CTWorld.netnsDirectory + "/" + name, index)
    }

    public func deleteNetns(_ name: String) {
        _ = try? IPRoute.run(["netns", "del", name])
    }

    /// Runs a shell command inside the node netns (suite entries' setup: a dummy parent …).
    public func inNode(_ command: String) throws(PodrigError) {
        let r = try CTWorld.exec(["/bin/sh", "-c", command], netns: nodePath)
        if !r.status.success {
            throw PodrigError(.system, "node setup `\(command)` failed (\(r.status)): \(String(decoding: r.stderr, as: UTF8.self).trimmed)")
        }
    }

    /// Removes every namespace of the run and the scratch directory; returns what was still
    /// there besides the node (container netns the runner could not delete: leaks).
    @discardableResult
    public func teardown() -> [String] {
        var leftovers: [String] = []
        for name in made.reversed() where name != node && Files.exists(CTWorld.netnsDirectory + "/" + name) {
            deleteNetns(name)
            if Files.exists(CTWorld.netnsDirectory + "/" + name) { leftovers.append(name) }
        }
        if keep { return leftovers }
        deleteNetns(node)
        if Files.exists(nodePath) { leftovers.append(node) }
        try? Files.removeTree(directory)
        return leftovers
    }

    /// Names under /run/netns that belong to this run (after teardown: leaks).
    public func remainingNamespaces() -> [String] {
        ((try? Files.list(CTWorld.netnsDirectory)) ?? []).filter { $0 == node || $0.hasPrefix(node + "-") }.sorted()
    }

    // MARK: kernel views

    public struct Link: Sendable, Equatable {
        public var name: String
        public var kind: String
        public var mac: String
    }

    public struct Address: Sendable, Equatable {
        public var ifName: String
        /// "10.1.0.5/24"
        public var cidr: String
    }

    public struct Route: Sendable, Equatable {
        /// Normalised destination: "0.0.0.0/0", "10.1.0.0/24", "10.1.0.5/32", "::/0" …
        public var dst: String
        public var gateway: String?
        public var dev: String?
    }

    /// Links of a netns ("" = the node).
    public func links(_ netns: String = "") -> [Link] {
        guard let items = try? CTWorld.ipJSON(["-d", "link", "show"], netns: netns.isEmpty ? node : netns).array else { return [] }
        return items.compactMap { l in
            guard let name = l["ifname"]?.string else { return nil }
            return Link(name: name, kind: l["linkinfo"]?["info_kind"]?.string ?? "", mac: l["address"]?.string ?? "")
        }
    }

    public func addresses(_ netns: String) -> [Address] {
        guard let items = try? CTWorld.ipJSON(["addr", "show"], netns: netns).array else { return [] }
        var out: [Address] = []
        for l in items {
            guard let name = l["ifname"]?.string else { continue }
            for a in l["addr_info"]?.array ?? [] {
                guard let local = a["local"]?.string, let len = a["prefixlen"]?.int else { continue }
                out.append(Address(ifName: name, cidr: "\(local)/\(len)"))
            }
        }
        return out
    }

    public func routes(_ netns: String) -> [Route] {
        var out: [Route] = []
        for fam in ["-4", "-6"] {
            guard let items = try? CTWorld.ipJSON([fam, "route", "show", "table", "all"], netns: netns).array else { continue }
            for r in items {
                guard let dst = r["dst"]?.string else { continue }
                if r["type"]?.string.map({ $0 != "unicast" }) == true { continue }
                out.append(Route(dst: CTWorld.normalize(dst, v6: fam == "-6"), gateway: r["gateway"]?.string, dev: r["dev"]?.string))
            }
        }
        return out
    }

    /// iptables/ip6tables lines in the node that name `containerID` (portmap, firewall and
    /// bridge's ipMasq put it in comments and chain names).
    public func iptablesLines(naming containerID: String) -> [String] {
        var out: [String] = []
        for tool in ["iptables-save", "ip6tables-save"] {
            guard let path = CTWorld.which(tool), let r = try? CTWorld.exec([path], netns: nodePath) else { continue }
            out += String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.contains(containerID) }
        }
        return out
    }

    /// host-local leases (files named by the IP under `<dataDir>/<network>/`) held by a container.
    public func leases(of containerID: String) -> [String] {
        var out: [String] = []
        for net in (try? Files.list(ipamDirectory)) ?? [] {
            let dir = ipamDirectory + "/" + net
            for f in (try? Files.list(dir)) ?? [] where IPAddress.family(f) != nil {
                let owner = ((try? Files.readString(dir + "/" + f)) ?? "").split(whereSeparator: { $0 == "\r" || $0 == "\n" }).first
                if owner.map(String.init) == containerID { out.append(f) }
            }
        }
        return out.sorted()
    }

    /// Every lease in the run's dataDir.
    public func allLeases() -> [String] {
        var out: [String] = []
        for net in (try? Files.list(ipamDirectory)) ?? [] {
            for f in (try? Files.list(ipamDirectory + "/" + net)) ?? [] where IPAddress.family(f) != nil { out.append(net + "/" + f) }
        }
        return out.sorted()
    }

    // MARK: helpers

    static func normalize(_ dst: String, v6: Bool) -> String {
        if dst == "default" { return v6 ? "::/0" : "0.0.0.0/0" }
        if dst.contains("/") { return dst }
        return dst + (v6 ? "/128" : "/32")
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] where Files.exists(dir + "/" + tool) { return dir + "/" + tool }
        return nil
    }

    static func exec(_ argv: [String], netns: String? = nil) throws(PodrigError) -> RunResult {
        var o = SpawnOptions(path: argv[0], arguments: argv)
        o.environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
        if let netns { o.join = [(.net, netns)] }
        return try ProcessRunner.run(o, timeout: 30)
    }

    static func ipJSON(_ args: [String], netns: String) throws(PodrigError) -> JSON {
        let out = try IPRoute.run(["-j", "-n", netns] + args)
        if out.allSatisfy({ $0 == 0x0A || $0 == 0x20 }) { return .array([]) }
        return try JSONParser.parse(bytes: out)
    }
}

/// A pthread mutex for the few shared counters of the parallel checks.
final class Mutex: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}

/// Runs `body(i)` for i in 0..<n on n threads and waits for all (no Dispatch: podrig stays light).
func parallel(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        let i: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ i: Int) { self.body = body; self.i = i }
    }
    var threads: [pthread_t] = []
    for i in 0..<n {
        let box = Unmanaged.passRetained(Box(body, i)).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body(b.i)
            return nil
        }, box)
        if rc == 0 { threads.append(t) } else {
            Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body(i)
        }
    }
    for t in threads { pthread_join(t, nil) }
}
