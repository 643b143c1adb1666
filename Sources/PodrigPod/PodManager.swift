#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCgroups
import PodrigCore
import PodrigSandbox

/// Pods on top of sandboxes: `up` makes the sandbox, writes the pod's files and plan and starts
/// its supervisor; stopping or removing the sandbox (any command) stops the pod first through the
/// SandboxManager hooks.
public final class PodManager: @unchecked Sendable {
    public struct Options: Sendable {
        /// Root of pod log directories (default: /var/log/pods for the default state root, else <root>/logs).
        public var logRoot: String?
        /// podrig-supervisor; found beside the running executable when nil.
        public var supervisorPath: String?
        /// The podrig executable the supervisor runs to stop a completed pod's sandbox.
        public var podrigPath: String?
        /// Extra arguments for that `podrig stopp` (the CNI options the pod was made with).
        public var finishArguments: [String] = []
        /// kubelet's containerLogMaxSize (bytes) and containerLogMaxFiles, for the supervisor's log rotation.
        public var logMaxSize: Int64 = PodPlanner.defaultLogMaxSize
        public var logMaxFiles = PodPlanner.defaultLogMaxFiles
        /// Cgroups per pod and container (kubelet's shape and values), or none.
        public var cgroups = CgroupOptions()
        public init() {}
    }

    /// Its own SandboxManager, built with the pod hooks: whichever path stops or removes one of
    /// its sandboxes stops the pod first (preStop, grace period) and removes its files.
    public let sandboxes: SandboxManager
    public let options: Options

    public init(sandboxOptions: SandboxManager.Options = .init(), network: SandboxNetworkProvider = LoopbackOnlyNetwork(),
                options: Options = Options()) {
        var sandboxOptions = sandboxOptions
        sandboxOptions.cgroupMount = options.cgroups.mount
        self.sandboxes = SandboxManager(options: sandboxOptions, network: network, hooks: PodManager.hooks(root: sandboxOptions.root))
        self.options = options
    }

    /// The pod layer's hooks for a SandboxManager over `root` (PodManager installs them itself).
    public static func hooks(root: String) -> SandboxManager.Hooks {
        let store = SandboxStore(root: root)
        return SandboxManager.Hooks(beforeStop: { record throws(PodrigError) in PodManager.stopPod(record, store: store) },
                                    beforeRemove: { record throws(PodrigError) in try PodManager.removePodFiles(record, store: store) })
    }

    public var logRoot: String {
        options.logRoot ?? (sandboxes.options.root == "/run/podrig" ? "/var/log/pods" : sandboxes.options.root + "/logs")
    }

    /// A pod as stored: its sandbox, manifest and the supervisor's view.
    public struct Pod: Sendable {
        public var record: SandboxRecord
        public var manifest: PodManifest
        public var layout: PodLayout
        public var status: SupervisorStatus?
        public var supervisor: ProcessIdentity?

        public var supervisorAlive: Bool { supervisor?.isAlive ?? false }
        public var phase: String {
            PodStatusView.phase(restartPolicy: manifest.spec.restartPolicy, status: status, mainNames: manifest.spec.containers.map(\.name),
                                stopped: !supervisorAlive && status != nil && status?.result == nil)
        }
        public var logDirectory: String { record.config.logDirectory ?? "" }
        /// The v1 Pod status, as `podrig get pod -o json` shows it.
        public var statusJSON: JSON {
            PodStatusView.status(manifest, record: record, status: status, supervisorAlive: supervisorAlive, plan: plan)
        }
        public var plan: JSON? { (try? Files.readString(layout.plan)).flatMap { try? JSONParser.parse($0) } }
    }

    // MARK: up

    /// `node`: the simulated cluster node to run on (nil: this host).
    public func up(_ manifest: PodManifest, manifestDirectory: String, node: SandboxNode? = nil) throws(PodrigError) -> Pod {
        if let existing = try? find(manifest.name, namespace: manifest.namespace) {
            throw PodrigError(.alreadyExists, "pod \(manifest.namespace)/\(manifest.name) already exists (sandbox \(existing.record.id.prefix(13))); `podrig down \(manifest.name)` first")
        }
        let supervisorPath = try resolveSupervisor()
        let s = manifest.spec
        let tree = try options.cgroups.tree()
        if let tree {
            try PodCgroups.validate(s, node: NodeCapacity.discover(), version: tree.hierarchy.version,
                                    manifest: "\(manifest.namespace)/\(manifest.name)")
        } else if (s.initContainers + s.containers).contains(where: { !$0.resources.limits.isEmpty }) {
            Log.warn("pod \(manifest.namespace)/\(manifest.name): resource limits are not enforced (cgroups disabled)")
        }
        let ns = NamespaceOptions(network: s.hostNetwork ? .node : .pod,
                                  pid: s.hostPID ? .node : s.shareProcessNamespace ? .pod : .container,
                                  ipc: s.hostIPC ? .node : .pod)
        let logDir = PodLayout.logDirectory(root: logRoot, namespace: manifest.namespace, name: manifest.name, uid: manifest.uid)
        let config = PodSandboxConfig(name: manifest.name, namespace: manifest.namespace, uid: manifest.uid,
                                      hostname: s.hostNetwork ? nil : String((s.hostname ?? manifest.name).prefix(63)),
                                      logDirectory: logDir, labels: manifest.labels.filter { (try? Validate.labelKey($0.key, what: "")) != nil },
                                      sysctls: s.sysctls, namespaceOptions: ns, userNamespace: s.hostUsers ? nil : .automatic)
        // kubelet's pod cgroup, made with the sandbox (pause in it).
        let cgroup = tree.map { SandboxCgroup(tree: $0, path: CgroupPath.pod(uid: manifest.uid, qos: QOSClass.of(s)),
                                              resources: PodCgroups.pod(s, pidsLimit: options.cgroups.podPidsLimit), disambiguate: true) }
        let record = try sandboxes.run(config, node: node, cgroup: cgroup)
        let layout = PodLayout(store: sandboxes.store, id: record.id)
        do throws(PodrigError) {
            try Files.makeDirectories(layout.directory, mode: 0o755)
            var raw = manifest.raw
            raw["metadata"]?["name"] = .string(manifest.name)
            raw["metadata"]?["namespace"] = .string(manifest.namespace)
            raw["metadata"]?["uid"] = .string(manifest.uid)
            raw["metadata"]?["generateName"] = nil
            if let node { raw["spec"]?["nodeName"] = .string(node.name) }  // the scheduler's binding
            raw["metadata"]?["creationTimestamp"] = .string(Time.rfc3339(record.createdAt))
            try Files.writeAtomic(layout.manifest, raw.pretty + "\n")
            var podCgroup: PodCgroup?
            if let tree {
                guard let path = PodCgroup.recorded(sandboxes.store.directory(record.id)) else {
                    throw PodrigError(.internalError, "sandbox \(record.id.prefix(13)): its pod cgroup is not recorded")
                }
                podCgroup = PodCgroup(tree: tree, path: path, singleProcessOOMKill: options.cgroups.singleProcessOOMKill)
            }
            let podrig = options.podrigPath ?? "/proc/self/exe"
            let exe = podrig == "/proc/self/exe" ? (readlinkSelf() ?? "") : podrig
            let finish = exe.isEmpty ? [] : [exe, "stopp", record.id, "--root", sandboxes.options.root] + options.finishArguments
            var planner = PodPlanner(manifest: manifest, record: record, layout: layout, logDirectory: logDir,
                                     manifestDirectory: manifestDirectory, nodeIPs: node?.hostIPs ?? NodeAddresses.discover(),
                                     nodeName: node?.name ?? manifest.spec.nodeName ?? PodFiles.nodeName(), finish: finish)
            planner.logMaxSize = options.logMaxSize
            planner.logMaxFiles = options.logMaxFiles
            planner.cgroup = podCgroup
            let plan = try planner.prepare()
            try Files.writeAtomic(layout.plan, plan.pretty + "\n")
            let identity = try startSupervisor(supervisorPath, layout: layout, record: record)
            let sj: JSON = ["pid": .int(identity.pid), "startTime": .string(String(identity.startTime))]
            try Files.writeAtomic(layout.supervisor, sj.compact)
        } catch {
            do { try sandboxes.remove(record.id, force: true) } catch { Log.warn("cleanup after failed up: \(error)") }
            try? Files.removeTree(logDir)
            throw error
        }
        return try load(record.id)
    }

    func readlinkSelf() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    public func startSupervisor(_ path: String, layout: PodLayout, record: SandboxRecord) throws(PodrigError) -> ProcessIdentity {
        let log = try checked(pr_open(layout.supervisorLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600), "open(\(layout.supervisorLog))")
        defer { close(log) }
        var o = SpawnOptions(path: path, arguments: ["podrig-supervisor", layout.plan])
        o.detach = true
        o.environment = ["PATH=" + PodPlanner.defaultPath]
        // In the pod's network namespace, so tcp/http probes reach the pod IP (and 127.0.0.1 is the pod's).
        if let netns = record.netnsPath ?? record.node?.netnsPath { o.join = [(.net, netns)] }
        o.stdout = log
        o.stderr = log
        let spawned = try Spawner.spawn(o)
        guard let identity = ProcessIdentity.of(spawned.pid) else {
            let why = (try? Files.readString(layout.supervisorLog))?.trimmed ?? ""
            throw PodrigError(.system, "podrig-supervisor exited right after it started", cause: why)
        }
        return identity
    }

    public func resolveSupervisor() throws(PodrigError) -> String {
        var candidates: [String] = []
        if let p = options.supervisorPath { candidates.append(p) }
        if let env = getenv("PODRIG_SUPERVISOR") { candidates.append(String(cString: env)) }
        if let dir = Proc.executableDirectory() { candidates.append(dir + "/podrig-supervisor") }
        if let pause = sandboxes.options.pausePath { candidates.append(Files.dirname(of: pause) + "/podrig-supervisor") }
        candidates += ["/usr/local/libexec/podrig/podrig-supervisor", "/usr/libexec/podrig/podrig-supervisor", "/usr/local/bin/podrig-supervisor"]
        for c in candidates where access(c, X_OK) == 0 { return c }
        throw PodrigError(.notFound, "podrig-supervisor not found (looked in: \(candidates.joined(separator: ", "))); build it with `swift build` or set PODRIG_SUPERVISOR")
    }

    // MARK: queries

    public func load(_ id: String) throws(PodrigError) -> Pod {
        let record = try sandboxes.status(id)
        let layout = PodLayout(store: sandboxes.store, id: id)
        guard layout.exists else { throw PodrigError(.notFound, "sandbox \(id.prefix(13)) is not a pod made by `podrig up`") }
        let json = try ConfigText.parse(try Files.readString(layout.manifest), source: layout.manifest)
        let manifest = try PodManifestParser.parse(json)
        return Pod(record: record, manifest: manifest, layout: layout, status: SupervisorStatus.load(layout.status),
                   supervisor: PodManager.supervisorIdentity(layout))
    }

    public static func supervisorIdentity(_ layout: PodLayout) -> ProcessIdentity? {
        guard let text = try? Files.readString(layout.supervisor), let j = try? JSONParser.parse(text),
              let pid = j["pid"]?.int.flatMap(ProcessIdentity.pid), let st = j["startTime"]?.string.flatMap({ UInt64($0) }) else { return nil }
        return ProcessIdentity(pid: pid, startTime: st)
    }

    public func list() throws(PodrigError) -> [Pod] {
        try sandboxes.list().compactMap { r in
            guard PodLayout(store: sandboxes.store, id: r.id).exists else { return nil }
            return try? load(r.id)
        }
    }

    /// A pod by name (in `namespace`, default "default") or by sandbox ID prefix.
    public func find(_ nameOrID: String, namespace: String? = nil) throws(PodrigError) -> Pod {
        let pods = try list()
        let ns = namespace ?? "default"
        if let p = pods.first(where: { $0.manifest.name == nameOrID && $0.manifest.namespace == ns }) { return p }
        let byID = pods.filter { $0.record.id.hasPrefix(nameOrID) }
        if byID.count == 1 { return byID[0] }
        if byID.count > 1 { throw PodrigError(.conflict, "pod ID prefix \"\(nameOrID)\" is ambiguous") }
        throw PodrigError(.notFound, "pod \"\(nameOrID)\" not found in namespace \(ns)")
    }

    /// Graceful: the supervisor runs preStop hooks, SIGTERM, the grace period, SIGKILL; then the
    /// sandbox goes (pause, CNI DEL, netns) and its state and logs are removed.
    /// `gracePeriod` overrides terminationGracePeriodSeconds, like `kubectl delete --grace-period`.
    public func down(_ pod: Pod, gracePeriod: Int? = nil) throws(PodrigError) {
        if let g = gracePeriod { try Files.writeAtomic(pod.layout.directory + "/grace", String(SupervisorTiming.clampSeconds(g))) }
        try sandboxes.remove(pod.record.id, force: true)
    }

    // MARK: hooks

    /// beforeStop: ask the supervisor to terminate the pod and wait for it; kill what is left.
    static func stopPod(_ record: SandboxRecord, store: SandboxStore) {
        let layout = PodLayout(store: store, id: record.id)
        if layout.exists {
            var grace = 30.0
            if let text = try? Files.readString(layout.plan), let plan = try? JSONParser.parse(text) {
                grace = Double(SupervisorTiming.clampSeconds(plan["terminationGracePeriodSeconds"]?.int ?? 30))
            }
            if let text = try? Files.readString(layout.directory + "/grace"), let g = Int(text.trimmed) { grace = Double(SupervisorTiming.clampSeconds(g)) }
            if let sup = supervisorIdentity(layout), sup.isAlive {
                // Sidecars get their own (at least 2 s) after the main containers: allow for both.
                terminate(sup, layout: layout, what: "pod \(record.config.name)", grace: grace, wait: 2 * grace + 5)
            }
            killLeftovers(layout)
        }
        // CRI containers of this sandbox: stopped without grace, as StopPodSandbox does.
        for id in (try? Files.list(store.directory(record.id) + "/containers")) ?? [] {
            stopSupervisor(PodLayout(directory: store.directory(record.id) + "/containers/" + id), grace: 0)
        }
    }

    /// SIGTERM to the supervisor and the wait for it, said on stderr as it goes (Log.progress): how
    /// many containers got SIGTERM, what the supervisor does meanwhile (its events), what is left.
    static func terminate(_ sup: ProcessIdentity, layout: PodLayout, what: String, grace: Double, wait: Double) {
        guard Log.progressEnabled else { sup.terminate(grace: wait); return }
        let running = SupervisorStatus.load(layout.status)?.containers.filter { $0.state == .running }.count ?? 0
        Log.progress("\(what): SIGTERM sent to \(running) container\(running == 1 ? "" : "s"), grace period \(Int(grace))s")
        var offset = (try? Files.read(layout.events))?.count ?? 0
        var quietSince = 0.0
        sup.terminate(grace: wait) { elapsed in
            if let bytes = try? Files.read(layout.events), bytes.count > offset {
                let text = String(decoding: bytes[offset...], as: UTF8.self)
                for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                    offset += line.utf8.count + 1
                    let f = line.split(separator: "\t", maxSplits: 2)
                    guard f.count == 3, !f[2].hasPrefix("Supervisor") else { continue }
                    Log.progress("\(what): " + (f[1] == "-" ? "" : "\(f[1]): ") + f[2])
                }
                quietSince = elapsed
            } else if elapsed - quietSince >= 10 {
                quietSince = elapsed
                let left = SupervisorStatus.load(layout.status)?.containers.filter { $0.state == .running }.map(\.name) ?? []
                if !left.isEmpty {
                    Log.progress("\(what): waiting for \(left.joined(separator: ", ")) to exit (\(max(0, Int(grace - elapsed)))s of the grace period left, then SIGKILL)")
                }
            }
        }
    }

    /// Terminates one supervisor with a grace period of its own (CRI StopContainer's timeout).
    public static func stopSupervisor(_ layout: PodLayout, grace: Int) {
        if let sup = supervisorIdentity(layout), sup.isAlive {
            let grace = SupervisorTiming.clampSeconds(grace)
            try? Files.writeAtomic(layout.directory + "/grace", String(grace))
            terminate(sup, layout: layout, what: "container " + String(Files.basename(of: layout.directory).prefix(13)),
                      grace: Double(grace), wait: Double(grace) + 5)
        }
        killLeftovers(layout)
    }

    static func killLeftovers(_ layout: PodLayout) {
        // A supervisor that died (or was killed) leaves its containers: SIGKILL what is still ours.
        if let s = SupervisorStatus.load(layout.status), !(supervisorIdentity(layout)?.isAlive ?? false) {
            for c in s.containers where c.state == .running && c.pid > 0 {
                // Only a process started after the supervisor can be one of its containers.
                guard let st = Proc.stat(c.pid), st.state != "Z" else { continue }
                if let sup = supervisorIdentity(layout), st.startTime < sup.startTime { continue }
                kill(-c.pid, SIGKILL)
                kill(c.pid, SIGKILL)
            }
        }
    }

    /// beforeRemove: the pod's log directory goes with it (its state goes with the sandbox directory).
    static func removePodFiles(_ record: SandboxRecord, store: SandboxStore) throws(PodrigError) {
        let layout = PodLayout(store: store, id: record.id)
        PodVolumes.unmount(layout)
        guard layout.exists, let dir = record.config.logDirectory else { return }
        try Files.removeTree(dir)
    }
}
