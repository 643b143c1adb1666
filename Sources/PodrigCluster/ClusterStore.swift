#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox

/// Where a cluster's files and kernel objects are named. Names are DNS-1123 labels (no dots), so
/// `pr-<cluster>` (the underlay netns) and `pr-<cluster>-<node>` never contain one another's dot.
public struct ClusterPaths: Sendable {
    public let root: String
    public let name: String
    public var netnsDirectory = NetnsPin.defaultDirectory

    public init(root: String, name: String) {
        self.root = root
        self.name = name
    }

    public var directory: String { ClusterStore.directory(root: root) + "/" + name }
    public var record: String { directory + "/cluster.json" }
    public func nodeDirectory(_ node: String) -> String { directory + "/nodes/" + node }
    /// The node's CNI conf dir (what its network agent writes and its kubelet reads).
    public func confDir(_ node: String) -> String { nodeDirectory(node) + "/net.d" }
    public func subnetEnv(_ node: String) -> String { nodeDirectory(node) + "/subnet.env" }
    /// host-local's dataDir for the node's pods (leases go with the node).
    public func ipamDirectory(_ node: String) -> String { nodeDirectory(node) + "/ipam" }

    public var clusterNetns: String { "pr-" + name }
    public func nodeNetns(_ node: String) -> String { "pr-\(name)-\(node)" }
    public func netnsPath(_ ns: String) -> String { netnsDirectory + "/" + ns }
}

/// The clusters of one state root: <root>/clusters/<name>/cluster.json, one lock for all changes.
public struct ClusterStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public static func directory(root: String) -> String { root + "/clusters" }
    public var directory: String { ClusterStore.directory(root: root) }
    public func paths(_ name: String) -> ClusterPaths { ClusterPaths(root: root, name: name) }

    /// Every cluster change (create, delete, node add/rm, gc) holds this, so the allocator has one writer.
    public func lock(wait: Bool = true) throws(PodrigError) -> FileLock {
        try Files.makeDirectories(directory, mode: 0o700)
        return try FileLock(directory + "/.lock", exclusive: true, wait: wait)
    }

    public func names() -> [String] {
        ((try? Files.list(directory)) ?? []).filter { !$0.hasPrefix(".") && Files.isDirectory(directory + "/" + $0) }.sorted()
    }

    public func exists(_ name: String) -> Bool { Files.exists(paths(name).record) }

    public func load(_ name: String) throws(PodrigError) -> ClusterRecord {
        let path = paths(name).record
        let text: String
        do { text = try Files.readString(path) } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "cluster \"\(name)\" not found (podrig cluster ls)") }
            throw error
        }
        return try ClusterRecord(json: try JSONParser.parse(text), source: path)
    }

    public func list(onError: (String, PodrigError) -> Void = { _, _ in }) -> [ClusterRecord] {
        var out: [ClusterRecord] = []
        for n in names() {
            do { out.append(try load(n)) } catch { onError(n, error) }
        }
        return out
    }

    public func save(_ r: ClusterRecord) throws(PodrigError) {
        try Files.makeDirectories(paths(r.name).directory, mode: 0o755)
        try Files.writeAtomic(paths(r.name).record, r.json.pretty + "\n", mode: 0o644)
    }

    /// The node a pod is placed on: `node` in `cluster`, or in the one cluster that has it.
    public func findNode(_ node: String, cluster: String?) throws(PodrigError) -> (ClusterRecord, NodeRecord) {
        let candidates = cluster.map { c -> [ClusterRecord] in (try? load(c)).map { [$0] } ?? [] } ?? list()
        if let c = cluster, candidates.isEmpty { throw PodrigError(.notFound, "--cluster \(c): no such cluster (podrig cluster ls)") }
        let hits = candidates.filter { $0.node(node)?.phase == .ready && $0.phase == .ready }
        if hits.count > 1 {
            throw PodrigError(.conflict, "--node \(node): clusters \(hits.map(\.name).joined(separator: ", ")) all have a node \(node); add --cluster NAME")
        }
        guard let c = hits.first, let n = c.node(node) else {
            let known = candidates.flatMap { c in c.nodes.filter { $0.phase == .ready }.map { "\(c.name)/\($0.name)" } }
            throw PodrigError(.notFound, "--node \(node): no such node" + (known.isEmpty ? " (no cluster has nodes: podrig cluster create)" : " (nodes: \(known.joined(separator: ", ")))"))
        }
        return (c, n)
    }

    /// What a sandbox on the node records and the network layer uses.
    public func sandboxNode(_ c: ClusterRecord, _ n: NodeRecord) -> SandboxNode {
        let p = paths(c.name)
        return SandboxNode(cluster: c.name, name: n.name, netnsPath: p.netnsPath(p.nodeNetns(n.name)), confDir: p.confDir(n.name), hostIPs: n.ips)
    }
}
