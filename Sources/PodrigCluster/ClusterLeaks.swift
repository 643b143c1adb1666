#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// What `doctor --leaks` reports about a root's clusters: half-made clusters and nodes (a create,
/// add or rm that died; `podrig gc` finishes them) and `pr-<cluster>-…` netns no node record names.
public enum ClusterLeaks {
    public struct Finding: Sendable {
        public var object: String
        public var reason: String
    }

    public static func scan(root: String, netnsDirectory: String) -> [Finding] {
        let store = ClusterStore(root: root)
        // A held lock is a change in progress, not a leak.
        if isLocked(store.directory + "/.lock") { return [] }
        var out: [Finding] = []
        let pins = (try? Files.list(netnsDirectory)) ?? []
        var known: Set<String> = []
        var records: [ClusterRecord] = []
        for name in store.names() {
            let p = store.paths(name)
            guard let r = try? store.load(name) else {
                out.append(Finding(object: p.directory, reason: Files.exists(p.record) ? "unreadable cluster record" : "cluster directory without a record: `podrig gc` removes it"))
                continue
            }
            records.append(r)
            known.insert(p.clusterNetns)
            for n in r.nodes { known.insert(p.nodeNetns(n.name)) }
            if r.phase != .ready {
                out.append(Finding(object: p.directory, reason: "half-\(r.phase == .creating ? "created" : "deleted") cluster \(name): `podrig gc` removes it"))
                continue
            }
            for n in r.nodes where n.phase != .ready {
                out.append(Finding(object: p.netnsPath(p.nodeNetns(n.name)), reason: "half-\(n.phase == .creating ? "added" : "removed") node \(n.name) of cluster \(name): `podrig gc` removes it"))
            }
        }
        for r in records {
            let p = store.paths(r.name)
            for pin in pins.sorted() where pin.hasPrefix(p.clusterNetns + "-") && !known.contains(pin) {
                out.append(Finding(object: p.netnsPath(pin), reason: "netns of cluster \(r.name) that no node record names"))
            }
        }
        return out
    }

    /// The host-local data directories of every node (leases of pods on nodes).
    public static func ipamDirectories(root: String) -> [String] {
        let store = ClusterStore(root: root)
        return store.names().flatMap { name -> [String] in
            let p = store.paths(name)
            return ((try? Files.list(p.directory + "/nodes")) ?? []).map { p.ipamDirectory($0) }
        }
    }

    static func isLocked(_ path: String) -> Bool {
        let fd = pr_open(path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 { return false }
        defer { close(fd) }
        return pr_flock(fd, 1, 1) == EWOULDBLOCK
    }
}
