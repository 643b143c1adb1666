import CPodrig
#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCluster
import PodrigCore
import PodrigIPAM
import PodrigSandbox

/// `podrig doctor --leaks`: finds podrig-made state whose owner is gone. Read-only: it reports,
/// never deletes. Ownership is traced through what podrig writes (records, the pause marker,
/// the supervisor's plan path, `podrigRoot` in CNI cache entries), so a scan of one --root does
/// not mistake another root's in-flight sandboxes for leaks.
public struct LeakScanner {
    public struct Options: Sendable {
        public var root = "/run/podrig"
        public var netnsDirectory = NetnsPin.defaultDirectory
        public var cniCacheDirectory = "/var/lib/cni"
        /// The cache directory belongs to this root alone: entries with no owner are the root's.
        public var cacheIsScoped = false
        public var ipamDataDirectories = ["/var/lib/cni/networks"]
        /// The host-local data directories belong to this root alone.
        public var ipamIsScoped = false
        /// CNI conf dir: bridges its configs name are infrastructure, not leaks.
        public var cniConfDirectory = "/etc/cni/net.d"
        /// Pod log directories (<ns>_<name>_<uid>); not scanned when nil.
        public var logRoot: String?
        public var checkLinks = true
        public var checkIptables = true
        /// The cgroup hierarchy's mount (podrig's cgroups are under <tree>/podrig).
        public var cgroupMount = "/sys/fs/cgroup"
        public init() {}
    }

    public var options: Options
    public init(options: Options) { self.options = options }

    public struct Report: Sendable {
        public var leaks: [Leak] = []
        /// Things doctor could not inspect (a tool missing, a directory unreadable).
        public var problems: [String] = []
    }

    public func scan() -> Report {
        var ctx = Context(options: options)
        ctx.loadRecords()
        ctx.processes = SandboxProcesses.scan()
        ctx.scanState()
        ctx.scanCache()
        ctx.scanProcesses()
        ctx.scanPins()
        ctx.scanScratchNetns()
        ctx.scanLeases()
        ctx.scanClusters()
        if options.checkLinks { ctx.scanLinks() }
        if options.checkIptables { ctx.scanIptables() }
        if let logRoot = options.logRoot { ctx.scanLogs(logRoot) }
        ctx.scanCgroups()
        ctx.report.leaks.sort { ($0.kind.rawValue, $0.object) < ($1.kind.rawValue, $1.object) }
        return ctx.report
    }
}

/// One scan's working state.
private struct Context {
    let options: LeakScanner.Options
    let store: SandboxStore
    var report = LeakScanner.Report()
    var ids: Set<String> = []
    var records: [String: SandboxRecord] = [:]
    var processes: [SandboxProcess] = []
    /// Container ID → the root that owns it, from cache entries (and scoped directories).
    var owners: [String: String] = [:]
    /// Leaked pin names → their owner, for the veths that lead into them.
    var leakedPins: [String: Leak.Owner] = [:]

    init(options: LeakScanner.Options) {
        self.options = options
        store = SandboxStore(root: options.root)
    }

    var root: String { options.root }

    func owner(_ r: String) -> Leak.Owner { r == root ? .root : .otherRoot(r) }

    /// Whether state root `r` still has sandbox `id` (any state, even unreadable).
    func has(_ r: String, _ id: String) -> Bool {
        r == root ? ids.contains(id) : Files.isDirectory(SandboxStore(root: r).directory(id))
    }

    /// A stopped sandbox whose network was fully detached.
    func isStopped(_ id: String) -> Bool {
        guard let r = records[id] else { return false }
        return r.state == .notReady && !r.networkAttached
    }

    mutating func add(_ kind: Leak.Kind, _ object: String, _ id: String?, _ owner: Leak.Owner, _ reason: String) {
        report.leaks.append(Leak(kind, object, sandboxID: id, owner: owner, reason: reason))
    }

    mutating func loadRecords() {
        do { ids = Set(try store.ids()) } catch { report.problems.append(error.description) }
        for id in ids {
            if let r = try? store.load(id) { records[id] = r }
        }
    }

    // MARK: state directories

    mutating func scanState() {
        for id in ids.sorted() {
            let dir = store.directory(id)
            do {
                let r = try store.load(id)
                if r.state == .creating, !Self.isLocked(dir + "/lock") {
                    add(.state, dir, id, .root, "half-made sandbox (runp died before READY): `podrig gc` removes it")
                }
                if r.state == .notReady, let p = r.pause, p.isAlive {
                    add(.pause, "pid \(p.pid)", id, .root, "sandbox is stopped but its pause still runs")
                }
            } catch {
                if error.code == .notFound {
                    // mkdir happens just before the first save: a young directory is a runp starting.
                    if !Self.isLocked(dir + "/lock"), Self.age(dir) > SandboxManager.recordGrace {
                        add(.state, dir, id, .root, "sandbox directory without a record")
                    }
                } else {
                    add(.state, store.recordPath(id), id, .root, "unreadable record (\(error.message))")
                }
            }
        }
    }

    // MARK: pause and supervisor processes

    mutating func scanProcesses() {
        for p in processes {
            let kind: Leak.Kind = p.kind == .pause ? .pause : .supervisor
            let object = "pid \(p.identity.pid)"
            guard let id = p.sandboxID, let r = p.root else {
                // An unmarked pause (older podrig) may still be traced through its netns pin.
                if p.kind == .pause, let (r, id) = traceByPin(p.identity.pid) {
                    if !has(r, id) { add(kind, object, id, owner(r), "its sandbox \(id.prefix(13)) is gone from \(r)") }
                    continue
                }
                add(kind, object, nil, .unknown, "no sandbox marker (started by an older podrig?)")
                continue
            }
            if r != root {
                if !has(r, id) { add(kind, object, id, .otherRoot(r), "its sandbox \(id.prefix(13)) is gone from \(r)") }
                continue
            }
            guard ids.contains(id) else {
                add(kind, object, id, .root, "its sandbox \(id.prefix(13)) has no state")
                continue
            }
            if p.kind == .pause, let rec = records[id], rec.pause != p.identity,
               !(rec.state == .creating && Self.isLocked(store.directory(id) + "/lock")) {
                add(kind, object, id, .root, "not the pause its sandbox records")
            }
        }
    }

    /// Roots this scan knows of: --root, and those named by markers, supervisors and cache entries.
    var knownRoots: Set<String> {
        Set([root] + processes.compactMap(\.root) + owners.values)
    }

    /// (root, sandbox ID) of a pin holding `pid`'s netns, if a known root has that sandbox.
    func traceByPin(_ pid: Int32) -> (String, String)? {
        guard let ino = HostState.inode("/proc/\(pid)/ns/net") else { return nil }
        for name in (try? Files.list(options.netnsDirectory)) ?? [] where name.hasPrefix("podrig-") {
            guard HostState.inode(options.netnsDirectory + "/" + name) == ino else { continue }
            let id12 = String(name.dropFirst("podrig-".count))
            for r in knownRoots {
                if let id = ((try? Files.list(r + "/sandboxes")) ?? []).first(where: { $0.hasPrefix(id12) }) { return (r, id) }
            }
            return nil
        }
        return nil
    }

    // MARK: CNI cache

    mutating func scanCache() {
        let dir = options.cniCacheDirectory + "/results"
        for name in ((try? Files.list(dir)) ?? []).sorted() where !name.contains(".tmp-") {
            let path = dir + "/" + name
            guard let bytes = try? Files.read(path), !bytes.isEmpty,
                  let json = try? JSONParser.parse(bytes: bytes), let cid = json["containerId"]?.string else {
                add(.cache, path, nil, options.cacheIsScoped ? .root : .unknown, "empty or unreadable cache entry")
                continue
            }
            guard let r = json["podrigRoot"]?.string ?? (options.cacheIsScoped ? root : nil) else { continue }
            owners[cid] = r
            if !has(r, cid) {
                add(.cache, path, cid, owner(r), "its sandbox is gone")
            } else if r == root, isStopped(cid) {
                add(.cache, path, cid, .root, "its sandbox is stopped (DEL did not finish)")
            }
        }
    }

    // MARK: netns pins

    mutating func scanPins() {
        let names = ((try? Files.list(options.netnsDirectory)) ?? []).filter { $0.hasPrefix("podrig-") }.sorted()
        guard !names.isEmpty else { return }
        let members = HostState.netnsMembers()
        for name in names {
            let path = options.netnsDirectory + "/" + name
            if let rec = records.values.first(where: { $0.netnsPath == path }) {
                if isStopped(rec.id), NetnsPin.isPinned(path: path) {
                    add(.pin, path, rec.id, .root, "its sandbox is stopped")
                    leakedPins[name] = .root
                }
                continue
            }
            let id12 = String(name.dropFirst("podrig-".count))
            let ownID = ids.first { $0.hasPrefix(id12) }
            guard NetnsPin.isPinned(path: path) else {
                add(.pin, path, ownID, ownID != nil ? .root : .unknown, "pin file with no namespace mounted on it")
                continue
            }
            let pids = HostState.inode(path).flatMap { members[$0] } ?? []
            let marked = processes.first { pids.contains($0.identity.pid) && $0.root != nil }
            var leak: (Leak.Owner, String, String?)?
            if let m = marked, let r = m.root, let id = m.sandboxID {
                if !has(r, id) { leak = (owner(r), "held by pause pid \(m.identity.pid) of a sandbox that is gone", id) }
            } else if let e = owners.first(where: { $0.key.hasPrefix(id12) }) {
                if !has(e.value, e.key) { leak = (owner(e.value), "its sandbox is gone (named by a cache entry)", e.key) }
            } else if ownID == nil, let pid = pids.first, let (r, id) = traceByPin(pid) {
                if !has(r, id) { leak = (owner(r), "its sandbox is gone from \(r)", id) }
            } else if ownID == nil {
                let why = pids.isEmpty ? "no process holds it and no sandbox names it"
                    : "held by pid \(pids.map(String.init).joined(separator: ",")) but no sandbox names it"
                leak = (.unknown, why, nil)
            }
            if let (o, why, id) = leak {
                add(.pin, path, id, o, why)
                leakedPins[name] = o
            }
        }
    }

    /// Throwaway netns of this root's gc whose process died mid-run (recorded under the root).
    mutating func scanScratchNetns() {
        for name in ScratchNetns.stale(root: root) {
            let pid = ScratchNetns.owner(of: name).map { String($0.pid) } ?? "?"
            let pin = options.netnsDirectory + "/" + name
            let object = Files.exists(pin) ? pin : ScratchNetns.markerDirectory(root: root) + "/" + name
            add(.pin, object, nil, .root, "throwaway netns of a gc (pid \(pid)) that is gone: `podrig gc` removes it")
        }
    }

    // MARK: IPAM leases (host-local, podrig-ipam)

    mutating func scanLeases() {
        for dataDir in options.ipamDataDirectories {
            for (path, cid) in Self.leases(dataDir) {
                guard let r = owners[cid] ?? (options.ipamIsScoped || ids.contains(cid) ? root : nil) else { continue }
                if !has(r, cid) {
                    add(.lease, path, cid, owner(r), "IP leased to a sandbox that is gone")
                } else if r == root, isStopped(cid) {
                    add(.lease, path, cid, .root, "IP leased to a stopped sandbox")
                }
            }
        }
    }

    /// Every lease in an IPAM dataDir with its container ID: host-local's one file per address
    /// (named by its path) and podrig-ipam's allocated leases (`<table>#<ip>`; a reservation for
    /// a deleted pod belongs to no sandbox, so it is no leak).
    static func leases(_ dataDir: String) -> [(path: String, containerID: String)] {
        var out: [(String, String)] = []
        for net in ((try? Files.list(dataDir)) ?? []).sorted() where Files.isDirectory(dataDir + "/" + net) {
            for file in ((try? Files.list(dataDir + "/" + net)) ?? []).sorted() {
                let path = "\(dataDir)/\(net)/\(file)"
                if file == LeaseStore.fileName {
                    guard let bytes = try? Files.read(path), let table = try? LeaseTable.decode(bytes, path: path) else { continue }
                    for l in table.leases where l.state == .allocated { out.append((path + "#" + l.ip.description, l.containerID)) }
                } else if !file.hasPrefix(LeaseStore.fileName), HostState.isLeaseFile(file),
                          let text = try? Files.readString(path), let lease = HostState.parseLease(text) {
                    // (podrig-ipam.json.tmp and .corrupt-<time> are no host-local leases.)
                    out.append((path, lease.containerID))
                }
            }
        }
        return out
    }

    // MARK: clusters

    /// Half-made clusters and nodes, stray node netns; leases of pods on nodes (the node's
    /// host-local dataDir belongs to this root alone).
    mutating func scanClusters() {
        for f in ClusterLeaks.scan(root: root, netnsDirectory: options.netnsDirectory) { add(.cluster, f.object, nil, .root, f.reason) }
        for dataDir in ClusterLeaks.ipamDirectories(root: root) {
            for (path, cid) in Self.leases(dataDir) {
                if !ids.contains(cid) {
                    add(.lease, path, cid, .root, "IP leased on a cluster node to a sandbox that is gone")
                } else if isStopped(cid) {
                    add(.lease, path, cid, .root, "IP leased on a cluster node to a stopped sandbox")
                }
            }
        }
    }

    // MARK: host interfaces

    mutating func scanLinks() {
        guard let text = HostState.tool("ip", ["-j", "-d", "link", "show"]) else {
            report.problems.append("`ip -j -d link show` failed: interfaces not checked")
            return
        }
        let links = HostState.parseLinks(text)
        let nsids = HostState.parseNetnsIDs(HostState.tool("ip", ["-j", "netns", "list"]) ?? "")
        let configured = Self.configuredBridges(options.cniConfDirectory)
        for link in links {
            if link.kind == "veth", let nsid = link.peerNetnsID, let ns = nsids[nsid], let o = leakedPins[ns] {
                add(.interface, link.name, String(ns.dropFirst("podrig-".count)), o, "veth into leaked netns \(ns)")
                continue
            }
            guard link.name.hasPrefix("podrig") || link.name.hasPrefix("pr-") else { continue }
            if link.kind == "bridge" {
                if configured.contains(link.name) || links.contains(where: { $0.master == link.name }) { continue }
                add(.interface, link.name, nil, .unknown, "podrig-named bridge with no ports and no config naming it")
            } else if link.peerNetnsID == nil || link.kind != "veth" {
                add(.interface, link.name, nil, .unknown, "podrig-named \(link.kind ?? "link") on the host")
            }
        }
    }

    /// Bridge names the conf dir's configs use (their bridge stays when the last pod goes).
    static func configuredBridges(_ dir: String) -> Set<String> {
        var out: Set<String> = []
        for name in (try? Files.list(dir)) ?? [] where name.hasSuffix(".conf") || name.hasSuffix(".conflist") || name.hasSuffix(".json") {
            guard let json = try? JSONParser.parse(bytes: (try? Files.read(dir + "/" + name)) ?? []) else { continue }
            for plugin in json["plugins"]?.array ?? [json] {
                if let b = plugin["bridge"]?.string { out.insert(b) }
            }
        }
        return out
    }

    // MARK: iptables

    mutating func scanIptables() {
        for tool in ["iptables-save", "ip6tables-save"] {
            guard Spawner.lookPath(tool, path: nil) != nil else { continue }
            guard let text = HostState.tool(tool, []) else {
                report.problems.append("\(tool) failed: its rules were not checked")
                continue
            }
            for (cid, rules) in HostState.parseIptables(text).sorted(by: { $0.key < $1.key }) {
                guard let r = owners[cid] ?? (ids.contains(cid) ? root : nil) else { continue }
                let chains = Set(rules.compactMap { $0.split(separator: " ").last.map(String.init) }.filter { $0.hasPrefix("CNI-") })
                let object = "\(tool.dropLast(5)): \(rules.count) rule(s)" + (chains.isEmpty ? "" : " → " + chains.sorted().joined(separator: ","))
                if !has(r, cid) {
                    add(.iptables, object, cid, owner(r), "rules name a sandbox that is gone")
                } else if r == root, isStopped(cid) {
                    add(.iptables, object, cid, .root, "rules name a stopped sandbox")
                }
            }
        }
    }

    // MARK: logs

    /// podrig cgroups no sandbox of this root records and no process is in. Another root's pod
    /// whose containers all exited looks the same, so these name no owner (unknown).
    mutating func scanCgroups() {
        guard let h = CgroupHierarchy.detect(mount: options.cgroupMount) else { return }
        let tree = CgroupTree(hierarchy: h)
        let owned = ids.compactMap { CgroupRecord.read(store.directory($0)) }
        var reported: [String] = []
        let all = tree.existing()
        for rel in all where !CgroupTree.skeleton.contains(rel) {
            if owned.contains(where: { rel == $0 || rel.hasPrefix($0 + "/") }) { continue }
            if owned.contains(where: { $0.hasPrefix(rel + "/") }) { continue }  // a parent of an owned one
            if reported.contains(where: { rel.hasPrefix($0 + "/") }) { continue }
            if tree.hasProcesses(rel, among: all) { continue }
            reported.append(rel)
            add(.cgroup, rel, nil, .unknown, "no sandbox of this root records it and no process is in it")
        }
    }

    mutating func scanLogs(_ logRoot: String) {
        let uids = Set(records.values.map(\.config.uid))
        for name in ((try? Files.list(logRoot)) ?? []).sorted() where Files.isDirectory(logRoot + "/" + name) {
            guard let uid = name.split(separator: "_").last.map(String.init), name.split(separator: "_").count >= 3 else { continue }
            if !uids.contains(uid) { add(.logs, logRoot + "/" + name, nil, .root, "no sandbox with pod UID \(uid)") }
        }
    }

    // MARK: helpers

    /// Whether another process holds the flock (probed without creating anything).
    static func isLocked(_ path: String) -> Bool {
        let fd = pr_open(path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 { return false }
        defer { close(fd) }
        return pr_flock(fd, 1, 1) == -EWOULDBLOCK
    }

    static func age(_ path: String) -> Double {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - st.st_ctim.tv_sec)
    }
}
