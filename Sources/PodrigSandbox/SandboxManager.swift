#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore

/// The CRI sandbox verbs (RunPodSandbox, StopPodSandbox, RemovePodSandbox, status, list) on
/// real namespaces, with no daemon: every call works from the state on disk.
public final class SandboxManager: @unchecked Sendable {
    public struct Options: Sendable {
        /// State root (default /run/podrig).
        public var root: String = "/run/podrig"
        /// Where netns pins go (default /run/netns, where `ip netns` looks).
        public var netnsDirectory: String = NetnsPin.defaultDirectory
        /// podrig-pause; found next to the running executable when nil.
        public var pausePath: String?
        /// hostNetwork Pod IPs; discovered from the node's interfaces when nil.
        public var nodeIPs: [String]?
        /// How long pause gets to exit on SIGTERM before SIGKILL.
        public var pauseStopTimeout: Double = 2
        /// Where the cgroup hierarchy a sandbox's recorded pod cgroup is in is mounted (removal).
        public var cgroupMount = "/sys/fs/cgroup"

        public init() {}
    }

    /// Environment variable in every pause process: its sandbox directory (<root>/sandboxes/<id>).
    public static let pauseMarker = "PODRIG_SANDBOX"

    /// What the layer above does with a sandbox's contents before the sandbox goes: PodManager's
    /// hooks stop the pod's containers and remove its files. Fixed when the manager is built
    /// (PodManager builds its own); a manager without them refuses to stop a sandbox whose
    /// containers still run rather than leave them behind.
    public struct Hooks: Sendable {
        /// Called under the sandbox lock before pause is stopped.
        public var beforeStop: (@Sendable (SandboxRecord) throws(PodrigError) -> Void)?
        /// Called under the sandbox lock before the state is removed.
        public var beforeRemove: (@Sendable (SandboxRecord) throws(PodrigError) -> Void)?

        public init(beforeStop: (@Sendable (SandboxRecord) throws(PodrigError) -> Void)? = nil,
                    beforeRemove: (@Sendable (SandboxRecord) throws(PodrigError) -> Void)? = nil) {
            self.beforeStop = beforeStop
            self.beforeRemove = beforeRemove
        }
    }

    public let options: Options
    public let store: SandboxStore
    public let network: SandboxNetworkProvider
    public let hooks: Hooks

    public init(options: Options = Options(), network: SandboxNetworkProvider = LoopbackOnlyNetwork(), hooks: Hooks = Hooks()) {
        self.options = options
        self.store = SandboxStore(root: options.root)
        self.network = network
        self.hooks = hooks
    }

    /// Before a sandbox stops: the hooks, or (without them) a refusal while a supervisor of this
    /// sandbox still runs — stopping pause under running containers would orphan them.
    private func beforeStop(_ record: SandboxRecord) throws(PodrigError) {
        if let hook = hooks.beforeStop { return try hook(record) }
        let dir = store.directory(record.id)
        if let sup = SandboxProcesses.scan().first(where: { $0.kind == .supervisor && $0.sandboxDirectory == dir }) {
            throw PodrigError(.conflict, "sandbox \(record.id.prefix(13)) has running containers (podrig-supervisor pid \(sup.identity.pid)): stop it with a PodManager (its hooks stop the containers first), or `podrig stopp`")
        }
    }

    // MARK: RunPodSandbox

    /// Creates the namespaces, starts pause, pins the netns, attaches the network and records the
    /// sandbox as READY. On any failure, everything made so far is undone before the error is thrown.
    /// `node`: a simulated cluster node (PodrigCluster) to run on instead of this host.
    /// `cgroup`: the pod cgroup, made on pause's side of runp and pause started in it.
    public func run(_ config: PodSandboxConfig, node: SandboxNode? = nil, cgroup: SandboxCgroup? = nil) throws(PodrigError) -> SandboxRecord {
        Checkpoint.mark("runp:start")
        let pausePath = try resolvePause()
        try PodSandboxConfig.checkUserNamespace(config.namespaceOptions, config.userNamespace)
        let id = try Identifiers.newID()
        var config = config
        if config.uid.isEmpty { config.uid = try Identifiers.newUUID() }
        let lock = try store.create(id)
        defer { lock.unlock() }
        let now = Clock.wall()
        var record = SandboxRecord(id: id, config: config, createdAt: Int64(now.sec) * 1_000_000_000 + Int64(now.nsec))
        record.node = node
        do throws(PodrigError) {
            // runp writes two records: this one, for crash recovery (kill -9, which rename alone
            // survives), and the final one, the only one fsync'd, and only on a durable root
            // (SandboxStore.durable: under /run or on a tmpfs a power loss empties it anyway).
            // This one already names what runp goes on to make — the netns pin
            // and the network, whose DEL is harmless if the ADD never ran — so gc has all it needs
            // whatever step a crash hits (pause it finds by its PODRIG_SANDBOX marker), and
            // nothing is written between the pin and the plugin chain.
            if record.config.userNamespace?.isAutomatic == true {
                // The range is taken once the record naming it is saved, under one lock per root.
                let usernsLock = try FileLock(options.root + "/userns.lock")
                defer { usernsLock.unlock() }
                record.config.userNamespace = try pickUserNamespaceRange(excluding: id)
                try store.save(recoveryRecord(record), sync: false)
            } else {
                try store.save(recoveryRecord(record), sync: false)
            }
            Checkpoint.mark("runp:state-created")
            if canOverlap(record) {
                try startOverlapped(&record, pausePath: pausePath, cgroup: cgroup)
            } else {
                try startPause(&record, pausePath: pausePath, cgroup: cgroup)
                if config.hostNetwork {
                    // kubelet's rule: a hostNetwork pod's IPs are its node's (both families).
                    if let node { record.podIPs = node.hostIPs } else { record.podIPs = try hostNetworkIPs() }
                } else {
                    Checkpoint.mark("runp:attach")
                    let attachment: NetworkAttachment
                    do throws(PodrigError) {
                        attachment = try network.attach(context(record))
                    } catch {
                        record.networkAttached = false  // attach has already undone its own work: no second DEL
                        throw error
                    }
                    record.podIPs = attachment.podIPs
                    record.network = attachment.state
                    Checkpoint.mark("runp:attached")
                }
            }
            record.state = .ready
            try store.save(record)
            Checkpoint.mark("runp:ready")
            return record
        } catch {
            cleanUp(record, afterFailure: true)
            throw error
        }
    }

    /// The record a crashed runp leaves: `creating`, with the netns pin and the network already
    /// marked (cleanUp's undo steps are idempotent, so undoing what was never made is harmless).
    private func recoveryRecord(_ record: SandboxRecord) -> SandboxRecord {
        var r = record
        if !record.config.hostNetwork {
            r.netnsPath = netnsPath(record.id)
            r.networkAttached = true
        }
        return r
    }

    private func netnsPath(_ id: String) -> String { options.netnsDirectory + "/" + NetnsPin.name(for: id) }

    /// A pod network namespace made by runp itself (no user namespace to own it, no sysctls to
    /// write into it before the plugins run): the plugin chain can then start as soon as it is
    /// pinned, and pause is spawned into it meanwhile.
    private func canOverlap(_ record: SandboxRecord) -> Bool {
        !record.config.hostNetwork && record.config.userNamespace == nil && record.config.sysctls.isEmpty
    }

    /// runp's network half and pause at once: the netns is created and pinned (as `ip netns add`
    /// does, lo up), the plugin chain runs on a second thread, and pause joins the pinned netns
    /// on this one. Both are waited for; if either fails, the record says what exists for
    /// cleanUp (a failed attach has undone itself; a failed pause leaves the attachment to DEL).
    private func startOverlapped(_ record: inout SandboxRecord, pausePath: String, cgroup: SandboxCgroup?) throws(PodrigError) {
        let path = netnsPath(record.id)
        try NetnsPin.create(path: path)
        record.netnsPath = path
        record.networkAttached = true  // from here a failure's cleanup DELs (harmless before ADD)
        Checkpoint.mark("runp:netns-pinned")
        Checkpoint.mark("runp:attach")
        let ctx = context(record)
        let network = self.network
        let attach = Background.start { () throws(PodrigError) -> NetworkAttachment in try network.attach(ctx) }
        var pauseFailure: PodrigError?
        do throws(PodrigError) { try startPause(&record, pausePath: pausePath, joinNetns: path, cgroup: cgroup) } catch { pauseFailure = error }
        let attachment: NetworkAttachment
        do throws(PodrigError) { attachment = try attach.wait() } catch {
            record.networkAttached = false  // attach has already undone its own work: no second DEL
            throw pauseFailure ?? error
        }
        record.podIPs = attachment.podIPs
        record.network = attachment.state
        if let pauseFailure { throw pauseFailure }
        Checkpoint.mark("runp:attached")
    }

    /// The signals pause takes by sigwait: its sigprocmask set in CShims/pause/pause.c.
    static let pauseSignals: [Int32] = [SIGTERM, SIGINT, SIGCHLD]

    /// `joinNetns`: the pod's netns is already made and pinned there (startOverlapped): pause joins it.
    /// `cgroup`: made here, so that with the plugin chain on the other thread its mkdirs and pause's
    /// v1 migration (an RCU grace period, ≈ 10 ms) overlap the chain.
    private func startPause(_ record: inout SandboxRecord, pausePath: String, joinNetns: String? = nil, cgroup: SandboxCgroup? = nil) throws(PodrigError) {
        let ns = record.config.namespaceOptions
        var spawn = SpawnOptions(path: pausePath, arguments: ["podrig-pause"])
        if let cgroup {
            let path = try cgroup.create(id: record.id, sandboxDirectory: store.directory(record.id))
            Checkpoint.mark("runp:cgroup-made")
            cgroup.join(&spawn, path: path)
        }
        spawn.detach = true
        spawn.unshare = [.uts]
        // pause's sigwait set (CShims/pause/pause.c), blocked before it runs: as PID 1 of the pod's
        // PID namespace it has no handler, so a SIGTERM from a stopp right after runp would be
        // dropped (and pause killed only after the grace period) if it came before pause blocked it.
        spawn.blockedSignals = SandboxManager.pauseSignals
        if let userns = record.config.userNamespace {
            // pause creates the pod's user namespace first, owning the others; it runs as its root.
            spawn.unshare.insert(.user, at: 0)
            spawn.idMaps = (UserNamespaceConfig.procMap(userns.uids), UserNamespaceConfig.procMap(userns.gids))
            spawn.user = (0, 0, [])
        }
        if ns.ipc == .pod { spawn.unshare.append(.ipc) }
        if ns.pid == .pod { spawn.unshare.append(.pid) }
        if let joinNetns {
            spawn.join = [(.net, joinNetns)]
        } else if !record.config.hostNetwork {
            spawn.unshare.append(.net)
            spawn.loopbackUp = true
            record.netnsPath = netnsPath(record.id)
        } else if let node = record.node {
            // hostNetwork on a simulated node: the node's netns, and the node's name as hostname.
            spawn.join = [(.net, node.netnsPath)]
            spawn.hostname = String(node.name.prefix(63))
        } else {
            // A hostNetwork pod keeps the node's hostname, as kubelet does.
            spawn.unshare.removeAll { $0 == .uts }
        }
        if !record.config.hostNetwork { spawn.hostname = record.config.hostname }
        // The marker lets `podrig doctor` and gc tell whose pause this is after a crash.
        spawn.environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", SandboxManager.pauseMarker + "=" + store.directory(record.id)]
        let proc = try Spawner.spawn(spawn).pid
        Checkpoint.mark("runp:pause-started")
        guard let identity = ProcessIdentity.of(proc) else {
            throw PodrigError(.system, "pause (pid \(proc)) exited right after it started")
        }
        record.pause = identity
        // From here on a failure's cleanup also detaches (a DEL of what was never added is
        // harmless, so marking it before ADD is safe). No record is written here: the recovery
        // record already says so, and the final one names pause.
        record.networkAttached = !record.config.hostNetwork
        if joinNetns == nil, let path = record.netnsPath {
            try NetnsPin.pin(pid: proc, path: path)
            Checkpoint.mark("runp:netns-pinned")
        }
        try applySysctls(record)
    }

    /// Namespaced sysctls (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) written from
    /// a child joined to the pod's namespaces.
    private func applySysctls(_ record: SandboxRecord) throws(PodrigError) {
        guard !record.config.sysctls.isEmpty, let pause = record.pause else { return }
        for (key, value) in record.config.sysctls.sorted(by: { $0.key < $1.key }) {
            let isNet = key.hasPrefix("net.")
            let isIPC = key.hasPrefix("kernel.shm") || key.hasPrefix("kernel.msg") || key == "kernel.sem" || key.hasPrefix("fs.mqueue.")
            guard isNet || isIPC else {
                throw PodrigError.invalid("linux.sysctls: \(key) is not a namespaced sysctl (only net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)")
            }
            if isNet && record.config.hostNetwork {
                throw PodrigError.invalid("linux.sysctls: \(key) cannot be set on a hostNetwork pod")
            }
            guard key.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }) else {
                throw PodrigError.invalid("linux.sysctls: invalid key \"\(key)\"")
            }
            let file = "/proc/sys/" + key.split(separator: ".").joined(separator: "/")
            var s = SpawnOptions(path: "/bin/sh", arguments: ["sh", "-c", "printf '%s' \"$1\" > \"$2\"", "sh", value, file])
            s.join = [(isNet ? .net : .ipc, "/proc/\(pause.pid)/ns/\(isNet ? "net" : "ipc")")]
            let r = try ProcessRunner.run(s, timeout: 10)
            guard r.status.success else {
                throw PodrigError(.system, "sysctl \(key)=\(value) in the pod", cause: String(decoding: r.stderr, as: UTF8.self).trimmed)
            }
        }
    }

    private func hostNetworkIPs() throws(PodrigError) -> [String] {
        let ips = options.nodeIPs ?? NodeAddresses.discover()
        for ip in ips where IPAddress.family(ip) == nil {
            throw PodrigError.invalid("node IP \"\(ip)\" is not an IP address")
        }
        return ips
    }

    // MARK: StopPodSandbox

    /// Stops containers (hook), pause, detaches the network and unpins the netns. Stopping a
    /// stopped sandbox succeeds, and so does stopping one that is gone (CRI: StopPodSandbox is
    /// idempotent).
    public func stop(_ id: String) throws(PodrigError) {
        let lock: FileLock
        do { lock = try store.lock(id) } catch {
            if error.code == .notFound { return }
            throw error
        }
        defer { lock.unlock() }
        var record: SandboxRecord
        do { record = try store.load(id) } catch {
            if error.code == .notFound { return }
            throw error
        }
        Checkpoint.mark("stopp:locked")
        try beforeStop(record)
        try teardown(&record)
        record.state = .notReady
        try store.save(record)
        Checkpoint.mark("stopp:done")
    }

    /// Everything stopp undoes, in containerd's order: pause, network (DEL), netns pin, pod cgroup
    /// — for the signal, not for the wait. Pause gets SIGTERM first, so nothing of the pod runs
    /// while its network goes (CRI-O DELs first, with pause still up); the DEL then runs while
    /// pause exits (the pin keeps the netns for it). The wait for pause and the pod cgroup's
    /// removal after it (≈ 1.5 ms on v1: five trees) run on a second thread meanwhile: neither
    /// needs the DEL, nor the DEL them (the plugins run in podrig's own cgroup, not the pod's).
    /// Both threads are done before this returns or throws, so a failed DEL leaves pause gone and
    /// the cgroup removed as a successful one does; only the network is left for the retry.
    /// No state is written here: the caller writes its one record (stopp) or removes the state
    /// (rmp); a crash before that leaves the old record, and the retry's DEL and unpin are harmless
    /// (the cgroup's record goes only after the cgroup, so a retry finds what is left of it).
    /// With `force` (rmp -f) a failing CNI DEL is reported and the rest still goes: a DEL that can
    /// never succeed (the node netns a plugin needs is gone) must not keep the sandbox forever.
    private func teardown(_ record: inout SandboxRecord, force: Bool = false) throws(PodrigError) {
        let pauseExit = record.pause?.beginTermination()
        let hasPause = record.pause != nil
        if hasPause { Checkpoint.mark("stop:pause-signalled") }
        let id = record.id, grace = options.pauseStopTimeout
        let podGone = {
            if hasPause {
                pauseExit?.wait(grace: grace)
                Checkpoint.mark("stop:pause-stopped")
            }
            self.removeCgroup(id)
        }
        if record.networkAttached {
            let background = Background.start { () throws(PodrigError) in podGone() }
            var failure: PodrigError?
            do { try network.detach(context(record)) } catch {
                if force {
                    Log.warn("sandbox \(record.id.prefix(13)): \(error); removing it anyway (--force). The plugins' state for it "
                        + "(veth, IP lease, iptables rules, CNI cache entry) may be left: `podrig gc` retries DEL from the CNI cache")
                } else {
                    failure = error
                }
            }
            if failure == nil { Checkpoint.mark("stop:detached") }
            try? background.wait()  // podGone throws nothing (removeCgroup says its failure)
            if let failure { throw failure }
            record.networkAttached = false
            record.network = nil
        } else {
            podGone()
        }
        if let path = record.netnsPath {
            try NetnsPin.unpin(path: path)
            Checkpoint.mark("stop:unpinned")
        }
    }

    /// The pod cgroup (and its containers' below it), once pause and the containers are gone: by
    /// stopp, rmp and the undo of a failed runp. A failure is said, not thrown (`doctor --leaks`
    /// lists what is left; the record stays for the next stopp or rmp to retry).
    private func removeCgroup(_ id: String) {
        do { try CgroupRecord.remove(store.directory(id), mount: options.cgroupMount) } catch {
            Log.warn("sandbox \(id.prefix(13)): \(error) (doctor --leaks lists what is left)")
        }
    }

    // MARK: RemovePodSandbox

    /// Removes a sandbox's state. A READY sandbox needs `force` (it is stopped first). Removing
    /// an ID that no longer exists succeeds, as in CRI.
    public func remove(_ id: String, force: Bool) throws(PodrigError) {
        let lock: FileLock
        do {
            lock = try store.lock(id)
        } catch {
            if error.code == .notFound { return }
            throw error
        }
        defer { lock.unlock() }
        var record: SandboxRecord
        do {
            record = try store.load(id)
        } catch {
            if error.code == .notFound { try store.remove(id); return }
            throw error
        }
        if record.effectiveState == .ready && !force {
            throw PodrigError(.conflict, "sandbox \(id.prefix(13)) is ready: stop it first (podrig stopp) or use rmp -f")
        }
        try beforeStop(record)
        try teardown(&record, force: force)
        try hooks.beforeRemove?(record)
        Checkpoint.mark("rmp:remove-state")
        try store.remove(id)
    }

    /// Best-effort undo after a failed runp (or for gc of a half-made sandbox): every step runs
    /// even if an earlier one fails.
    public func cleanUp(_ record: SandboxRecord, afterFailure: Bool) {
        var r = record
        if let pause = r.pause { pause.terminate(grace: afterFailure ? 0 : options.pauseStopTimeout) }
        if r.networkAttached {
            do { try network.detach(context(r)) } catch { Log.warn("cleanup of sandbox \(r.id.prefix(13)): \(error)") }
            r.networkAttached = false
        }
        if let path = r.netnsPath {
            do { try NetnsPin.unpin(path: path) } catch { Log.warn("cleanup of sandbox \(r.id.prefix(13)): \(error)") }
        }
        removeCgroup(r.id)
        do { try store.remove(r.id) } catch { Log.warn("cleanup of sandbox \(r.id.prefix(13)): \(error)") }
    }

    // MARK: Queries

    public func resolve(_ prefix: String) throws(PodrigError) -> String {
        try store.resolve(prefix)
    }

    /// The sandbox an ID or prefix names, or nil when it is gone (stop/remove then succeed).
    public func resolveIfPresent(_ prefix: String) throws(PodrigError) -> String? {
        try store.resolveIfPresent(prefix)
    }

    public func status(_ id: String) throws(PodrigError) -> SandboxRecord {
        try store.load(id)
    }

    public func list(onError: (String, PodrigError) -> Void = { _, _ in }) throws(PodrigError) -> [SandboxRecord] {
        try store.list(onError: onError)
    }

    public func context(_ record: SandboxRecord) -> SandboxNetworkContext {
        SandboxNetworkContext(record: record, directory: store.directory(record.id), root: options.root)
    }

    // MARK: pause

    /// $PODRIG_PAUSE, the option, or podrig-pause beside the running executable.
    public func resolvePause() throws(PodrigError) -> String {
        var candidates: [String] = []
        if let p = options.pausePath { candidates.append(p) }
        if let env = getenv("PODRIG_PAUSE") { candidates.append(String(cString: env)) }
        if let dir = Proc.executableDirectory() { candidates.append(dir + "/podrig-pause") }
        candidates += ["/usr/local/libexec/podrig/podrig-pause", "/usr/libexec/podrig/podrig-pause", "/usr/local/bin/podrig-pause"]
        for c in candidates where access(c, X_OK) == 0 { return c }
        throw PodrigError(.notFound, "podrig-pause not found (looked in: \(candidates.joined(separator: ", "))); build it with `swift build` or set PODRIG_PAUSE")
    }
}
