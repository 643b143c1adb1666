import PodrigCore
import PodrigSandbox

/// `podrig gc` for CNI: DEL for every cached attachment this state root owns whose sandbox no
/// longer exists (leases and veths of crashed pods come back), then spec-1.1 GC with the
/// attachments still valid. Holds the root's CNI lock exclusively, so no ADD/DEL runs meanwhile.
/// Each DEL runs its plugins where the ADD did: a cluster node's attachment in the node's netns
/// (the cache entry's `podrigPluginNetns`), or, if that netns is gone, in a throwaway empty one
/// (ScratchNetns) — never against the host's network. Scratch netns a gc of this root killed
/// mid-run left behind are removed first.
public struct CNIGarbageCollector {
    public var options: CNIOptions
    public var root: String
    /// Only these networks (empty: all).
    public var networks: [String] = []
    /// Also DEL attachments no podrig root owns (cnitool-style `podrig cni add`), unless listed in `keep`.
    public var includeUnowned = false
    /// "containerID" or "containerID/ifname" attachments to keep whatever else holds.
    public var keep: [String] = []
    /// The lists spec-1.1 GC goes to (nil: every list in the conf dir).
    public var lists: [CNIConfigList]?
    /// Cluster nodes whose own conf dir's lists get spec-1.1 GC too, in the node's netns.
    public var nodes: [SandboxNode] = []

    public init(options: CNIOptions, root: String) {
        self.options = options
        self.root = root
    }

    public struct Report: Sendable {
        public var deleted: [String] = []
        /// What gc did besides DELs (stale scratch netns removed, a node netns found gone).
        public var notes: [String] = []
        public var errors: [String] = []
        /// Sandboxes of this root whose state was gone and whose attachments gc deleted: their
        /// pod cgroups (podrig/kubepods/pod<ID>) may be left too, after a /run wipe or rm -rf.
        public var goneSandboxes: [String] = []
    }

    public func run() throws(PodrigError) -> Report {
        try Files.makeDirectories(root, mode: 0o700)
        let lock = try FileLock(CNINetwork.lockPath(root: root), exclusive: true)
        defer { lock.unlock() }
        var report = Report()
        for name in ScratchNetns.stale(root: root) {
            do {
                try ScratchNetns.remove(name, root: root)
                report.notes.append("Removed netns \(name): a gc killed mid-run left it")
            } catch {
                report.errors.append(error.description)
            }
        }
        var gone: Set<String> = []
        let live = Set(try SandboxStore(root: root).ids())
        let engine = options.engine(trace: nil, owner: root)
        var remaining: [CNICacheEntry] = []
        for path in try engine.cache.entryPaths() {
            let entry: CNICacheEntry
            do { entry = try CNICacheEntry.parse(try Files.read(path), source: path) } catch {
                report.errors.append("skipping unreadable cache entry: \(error)")
                continue
            }
            guard networks.isEmpty || networks.contains(entry.networkName), isStale(entry, live: live) else {
                remaining.append(entry)
                continue
            }
            let name = "\(entry.networkName)/\(entry.containerID)/\(entry.ifName)"
            do {
                let list = try CNIConfigList.parse(entry.config, source: path, singlePlugin: false)
                let netns = CNINetns.isMounted(entry.netns) ? entry.netns : ""
                let rt = CNIRuntimeConf(containerID: entry.containerID, netns: netns, ifName: entry.ifName,
                                        args: entry.cniArgs, capabilityArgs: entry.capabilityArgs)
                if let pluginNetns = entry.pluginNetns {
                    let del = { (ns: String) throws(PodrigError) in
                        try options.withOwnBinDirectory.engine(trace: nil, owner: root, netns: ns).del(list, rt)
                    }
                    if CNINetns.isMounted(pluginNetns) {
                        try del(pluginNetns)
                    } else {
                        if gone.insert(pluginNetns).inserted {
                            let node = nodes.first { $0.netnsPath == pluginNetns }.map { "node \($0.cluster)/\($0.name)'s netns " } ?? "netns "
                            report.notes.append("\(node)\(pluginNetns) is gone: DEL of its pods' attachments runs in a throwaway netns (\(ScratchNetns.prefix)…)")
                        }
                        try ScratchNetns.with(root: root, del)
                    }
                } else {
                    try engine.del(list, rt)
                }
                // The sandbox's own netns pin, if its pause and state vanished without stopp.
                if !netns.isEmpty, Files.basename(of: netns) == NetnsPin.name(for: entry.containerID), entry.podrigRoot == root {
                    try NetnsPin.unpin(path: netns)
                }
                report.deleted.append(name)
                if entry.podrigRoot == root, !report.goneSandboxes.contains(entry.containerID) {
                    report.goneSandboxes.append(entry.containerID)
                }
            } catch {
                report.errors.append("\(name): \(error)")
                remaining.append(entry)
            }
        }
        // Spec 1.1 GC: everything still cached (ours and others') stays valid.
        let lists: [CNIConfigList]
        if let given = self.lists {
            lists = given
        } else {
            do { lists = try options.discovery.all() } catch {
                report.errors.append(error.description)
                return report
            }
        }
        for list in lists where networks.isEmpty || networks.contains(list.name) {
            let valid = remaining.filter { $0.networkName == list.name }.map { (containerID: $0.containerID, ifName: $0.ifName) }
            report.errors += engine.gc(list, valid: valid)
            report.errors += engine.ipamGC(list, valid: valid, cached: remaining)
        }
        for node in nodes where CNINetns.isMounted(node.netnsPath) {
            let o = options.on(node)
            let nodeLists: [CNIConfigList]
            do { nodeLists = try o.discovery.all() } catch {
                report.errors.append("node \(node.cluster)/\(node.name): \(error)")
                continue
            }
            let nodeEngine = o.engine(trace: nil, owner: root, netns: node.netnsPath)
            for list in nodeLists where networks.isEmpty || networks.contains(list.name) {
                let valid = remaining.filter { $0.networkName == list.name }.map { (containerID: $0.containerID, ifName: $0.ifName) }
                report.errors += nodeEngine.gc(list, valid: valid)
                report.errors += nodeEngine.ipamGC(list, valid: valid, cached: remaining)
            }
        }
        return report
    }

    func isStale(_ e: CNICacheEntry, live: Set<String>) -> Bool {
        if keep.contains(e.containerID) || keep.contains("\(e.containerID)/\(e.ifName)") { return false }
        guard let owner = e.podrigRoot else { return includeUnowned }
        if owner == root { return !live.contains(e.containerID) }
        // Another podrig root's attachment: stale only if that root no longer has the sandbox.
        return includeUnowned && !Files.isDirectory(SandboxStore(root: owner).directory(e.containerID))
    }
}
