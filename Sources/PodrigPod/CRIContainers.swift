#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import PodrigSandbox

/// CRI container verbs (create, start, stop, remove, list, status) on any ready sandbox. Each
/// started container gets its own podrig-supervisor (like conmon: it reaps, logs in CRI format
/// to the requested log_path and records the exit), planned exactly like a Pod's container.
public struct CRIContainers {
    public let pods: PodManager
    var store: SandboxStore { pods.sandboxes.store }

    public init(pods: PodManager) { self.pods = pods }

    public struct Container: Sendable {
        public var id: String
        public var sandboxID: String
        public var name: String
        public var attempt: Int
        public var image: String
        public var createdAt: Int64
        public var logPath: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var layout: PodLayout
        public var status: SupervisorStatus?
        public var supervisor: ProcessIdentity?
        /// Created, not started: its supervisor (started by create) waits on the start gate.
        public var held: Bool

        public var main: SupervisorStatus.Container? { status?.containers.first }
        /// CRI state name.
        public var state: String {
            guard !held, let c = main, supervisor != nil else { return "CONTAINER_CREATED" }
            if c.state == .running { return (supervisor?.isAlive ?? false) ? "CONTAINER_RUNNING" : "CONTAINER_UNKNOWN" }
            if c.state == .terminated { return "CONTAINER_EXITED" }
            return (supervisor?.isAlive ?? false) ? "CONTAINER_CREATED" : "CONTAINER_EXITED"
        }
    }

    func directory(_ sandboxID: String, _ id: String) -> String { store.directory(sandboxID) + "/containers/" + id }

    // MARK: create

    /// `sandboxConfig`: the PodSandboxConfig a CRI client sends along (crictl create's third
    /// argument). The sandbox's own, recorded at runp, is what the container is planned from, as
    /// containerd's sandbox store is; one naming another pod is the wrong file and refused.
    public func create(sandboxID: String, config: CRIContainerConfig, configDirectory: String,
                       sandboxConfig: (config: PodSandboxConfig, source: String)? = nil) throws(PodrigError) -> String {
        let lock = try store.lock(sandboxID)
        defer { lock.unlock() }
        let record = try store.load(sandboxID)
        guard record.effectiveState == .ready else { throw PodrigError(.notReady, "sandbox \(sandboxID.prefix(13)) is not ready") }
        if let given = sandboxConfig { try Self.checkSameSandbox(given.config, source: given.source, record: record) }
        try CRIContainers.checkUserNamespace(config, sandbox: record.config)
        for c in try list(sandboxID: sandboxID) where c.name == config.container.name && c.attempt == config.attempt {
            throw PodrigError(.alreadyExists, "container \(c.name) (attempt \(c.attempt)) already exists in sandbox \(sandboxID.prefix(13)): \(c.id.prefix(13))")
        }
        let id = try Identifiers.newID()
        let layout = PodLayout(directory: directory(sandboxID, id))
        Checkpoint.mark("create:checked")
        let tree = try pods.options.cgroups.tree()
        Checkpoint.mark("create:cgroup-tree")
        var podCgroup: PodCgroup?
        var supervisor: ProcessIdentity?
        let node = NodeCapacity.discover()
        do throws(PodrigError) {
            if let tree {
                let spec = CRIContainers.podSpec(config, sandbox: record.config)
                try PodCgroups.validate(spec, node: node, version: tree.hierarchy.version)
                let values = PodCgroups.container(config.container, pod: spec, node: node, version: tree.hierarchy.version)
                let podValues = podCgroupValues(record, adding: values)
                // The pod cgroup runp made (pause in it); for a sandbox made without cgroups, made now:
                // its linux.cgroup_parent (kubelet's pod cgroup), else named by the sandbox ID (CRI
                // callers other than kubelet reuse pod uids).
                let dir = store.directory(sandboxID)
                let path: String
                let recorded = PodCgroup.recorded(dir)
                if let recorded {
                    path = recorded
                } else {
                    path = try record.config.cgroupParent.map { p throws(PodrigError) in try CgroupPath.parent(p) } ?? CgroupPath.pod(uid: sandboxID, qos: nil)
                    try Files.writeAtomic(PodCgroup.recordFile(dir), path + "\n", sync: false)
                }
                var cg = PodCgroup(tree: tree, path: path, containerID: id)
                // The mkdirs and writes (five trees on v1) run on a second thread while the rest
                // of create plans the container; the planner waits for them at its cgroup step.
                // The pod's values go first: v1 refuses a child quota above its parent's.
                let rel = cg.containerPath(config.container.name)
                cg.made = Background.start { () throws(PodrigError) -> [CgroupResources.Write] in
                    // A recorded pod cgroup exists (runp made it, pause is in it): its values
                    // rewritten without the mkdir walk, five EEXISTs; gone meanwhile, made again.
                    if recorded == nil || !tree.reapply(path, podValues) { try tree.create(path, podValues) }
                    return try tree.create(rel, values)
                }
                podCgroup = cg
                Checkpoint.mark("create:cgroup-started")
            }
            try Files.makeDirectories(layout.directory, mode: 0o755)
            let cfg = record.config
            let manifest = CRIContainers.manifest(config, sandbox: cfg)
            var logPath = layout.directory + "/container.log"
            if let p = config.logPath { logPath = p.hasPrefix("/") ? p : (cfg.logDirectory ?? layout.directory) + "/" + p }
            try Files.makeDirectories(Files.dirname(of: logPath), mode: 0o755)
            var planner = PodPlanner(manifest: manifest, record: record, layout: layout, logDirectory: layout.directory + "/logs",
                                     manifestDirectory: configDirectory, nodeIPs: NodeAddresses.discover(), nodeName: PodFiles.nodeName(), finish: [],
                                     node: node)
            planner.expandVariables = false
            planner.logPath = logPath
            planner.logMaxSize = pods.options.logMaxSize
            planner.logMaxFiles = pods.options.logMaxFiles
            // The supervisor starts now and forks the container's cgroup holder, which joins the
            // cgroups while create returns; `start` opens this gate (runc's exec.fifo, in effect).
            guard mkfifo(layout.startGate, 0o600) == 0 else { throw PodrigError.system("mkfifo(\(layout.startGate))", errno: errno) }
            planner.startGate = layout.startGate
            planner.startReply = layout.startReply
            planner.cgroup = podCgroup
            let plan = try planner.prepare()
            Checkpoint.mark("create:planned")
            try Files.writeAtomic(layout.plan, plan.pretty + "\n")
            let meta: JSON = [
                "id": .string(id), "sandboxID": .string(sandboxID), "name": .string(config.container.name), "attempt": .int(config.attempt),
                "image": .string(config.container.image ?? ""), "createdAt": .string(String(Time.nowNanos())), "logPath": .string(logPath),
                "labels": .object(JSONObject(config.labels.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
                "annotations": .object(JSONObject(config.annotations.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
                "config": config.raw,
            ]
            try Files.writeAtomic(layout.directory + "/container.json", meta.pretty + "\n")
            Checkpoint.mark("create:written")
            let identity = try pods.startSupervisor(try pods.resolveSupervisor(), layout: layout, record: record)
            supervisor = identity
            let sj: JSON = ["pid": .int(identity.pid), "startTime": .string(String(identity.startTime))]
            try Files.writeAtomic(layout.supervisor, sj.compact)
            Checkpoint.mark("create:supervisor-started")
        } catch {
            supervisor?.terminate(grace: 5)
            if let podCgroup {
                _ = try? podCgroup.made?.wait()  // its mkdirs done before the removal
                try? podCgroup.tree.remove(podCgroup.containerPath(config.container.name))
            }
            try? Files.removeTree(layout.directory)
            throw error
        }
        return id
    }

    /// containerd's rule: a container's userns_options, when given, are its sandbox's (the
    /// container joins the pod's user namespace; it has none of its own).
    public static func checkUserNamespace(_ config: CRIContainerConfig, sandbox cfg: PodSandboxConfig) throws(PodrigError) {
        guard let given = config.userns, given != cfg.userNamespace else { return }
        func describe(_ u: UserNamespaceConfig?) -> String {
            guard let u else { return "NODE" }
            func m(_ l: [IDMapping]) -> String { l.map { "\($0.containerID):\($0.hostID):\($0.length)" }.joined(separator: ",") }
            return "POD uids \(m(u.uids)) gids \(m(u.gids))"
        }
        throw PodrigError.invalid("linux.security_context.namespace_options.userns_options: \(describe(given)) does not match the sandbox's (\(describe(cfg.userNamespace))): a container joins its pod's user namespace")
    }

    /// The one-container Pod a CRI container is planned as (the fuzz target plans the same).
    public static func manifest(_ config: CRIContainerConfig, sandbox cfg: PodSandboxConfig) -> PodManifest {
        PodManifest(raw: config.raw, name: cfg.name, namespace: cfg.namespace, uid: cfg.uid, spec: podSpec(config, sandbox: cfg))
    }

    static func podSpec(_ config: CRIContainerConfig, sandbox cfg: PodSandboxConfig) -> PodSpec {
        var spec = PodSpec()
        spec.containers = [config.container]
        spec.restartPolicy = .never
        spec.terminationGracePeriodSeconds = 10
        spec.hostNetwork = cfg.hostNetwork
        spec.hostIPC = cfg.namespaceOptions.ipc == .node
        let pid = config.pidMode ?? .pod  // CRI's zero value
        spec.securityContext.supplementalGroups = config.supplementalGroups
        spec.securityContext.supplementalGroupsPolicy = config.supplementalGroupsPolicy
        spec.hostPID = pid == .node
        spec.shareProcessNamespace = pid == .pod && cfg.namespaceOptions.pid == .pod
        spec.hostname = cfg.hostname
        spec.volumes = config.volumes
        if let dns = cfg.dns {
            spec.dnsPolicy = "None"
            spec.dnsConfig = (dns.servers, dns.searches, dns.options)
        } else {
            spec.dnsPolicy = "Default"
        }
        return spec
    }

    // MARK: start / stop / remove

    public func start(_ c: Container) throws(PodrigError) {
        let lock = try store.lock(c.sandboxID)
        defer { lock.unlock() }
        guard c.held || c.supervisor == nil else { throw PodrigError(.conflict, "container \(c.id.prefix(13)) was already started (state \(c.state))") }
        let record = try store.load(c.sandboxID)
        guard record.effectiveState == .ready else { throw PodrigError(.notReady, "sandbox \(c.sandboxID.prefix(13)) is not ready") }
        var supervisor = c.supervisor
        if !(supervisor?.isAlive ?? false) {
            // Its supervisor died before the start (or an older podrig created it): a new one.
            let identity = try pods.startSupervisor(try pods.resolveSupervisor(), layout: c.layout, record: record)
            let sj: JSON = ["pid": .int(identity.pid), "startTime": .string(String(identity.startTime))]
            try Files.writeAtomic(c.layout.supervisor, sj.compact)
            supervisor = identity
        }
        // Open before the gate is, so the supervisor's reply cannot come before its reader.
        var reply = FIFOWake(c.layout.startReply)
        if c.held, let supervisor { try CRIContainers.release(c.layout, supervisor: supervisor) }
        // Return once it runs (or failed to start), as CRI StartContainer does: woken by the
        // supervisor's reply right after its status.json says so, not a poll tick later.
        let end = Clock.now() + 5
        while true {
            let s = SupervisorStatus.load(c.layout.status)?.containers.first
            if let s, s.state != .waiting {
                if s.state == .terminated, s.terminated?.reason == "StartError" {
                    throw PodrigError(.system, "starting container \(c.name)", cause: s.terminated?.message)
                }
                return
            }
            let left = end - Clock.now()
            if left <= 0 { return }
            reply.wait(left)
        }
    }

    /// Opens the start gate: one byte into the FIFO the supervisor reads (it opens it right after
    /// it starts: ENXIO until then), and the FIFO goes.
    static func release(_ layout: PodLayout, supervisor: ProcessIdentity) throws(PodrigError) {
        let end = Clock.now() + 5
        while true {
            let fd = open(layout.startGate, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 {
                let n = write(fd, "1", 1)
                let err = errno
                close(fd)
                guard n == 1 else { throw PodrigError.system("starting the container: write(\(layout.startGate))", errno: err) }
                unlink(layout.startGate)
                return
            }
            let err = errno
            guard err == ENXIO, Clock.now() < end else { throw PodrigError.system("starting the container: open(\(layout.startGate))", errno: err) }
            guard supervisor.isAlive else {
                let why = (try? Files.readString(layout.supervisorLog))?.trimmed.split(separator: "\n").last.map(String.init)
                throw PodrigError(.system, "starting the container: its podrig-supervisor (pid \(supervisor.pid)) exited", cause: why)
            }
            usleep(200)
        }
    }

    /// SIGTERM, `timeout` seconds, SIGKILL (preStop does not apply to CRI containers).
    public func stop(_ c: Container, timeout: Int) {
        if c.held { return }  // containerd: stopping a created container does nothing
        PodManager.stopSupervisor(c.layout, grace: timeout)
    }

    public func remove(_ c: Container, force: Bool) throws(PodrigError) {
        let lock = try store.lock(c.sandboxID)
        defer { lock.unlock() }
        if c.state == "CONTAINER_RUNNING" {
            guard force else { throw PodrigError(.conflict, "container \(c.id.prefix(13)) is running: stop it first or use rm -f") }
            PodManager.stopSupervisor(c.layout, grace: 0)
        } else if c.supervisor?.isAlive ?? false {
            PodManager.stopSupervisor(c.layout, grace: 0)  // created: its supervisor and cgroup holder wait on the gate
        }
        try CRIContainers.removeCgroup(c.layout, mount: pods.options.cgroups.mount)
        do { try Files.removeTree(c.layout.directory) } catch {
            if error.code != .notFound { throw error }  // removed meanwhile: still removed
        }
        // The pod cgroup follows its containers (lowered or re-limited); best effort: a memory
        // limit the pod's usage is above stays until the next change.
        if let record = try? store.load(c.sandboxID), CgroupResources.sandbox(resources: record.config.resources, overhead: record.config.overhead) == nil,
           let path = PodCgroup.recorded(store.directory(c.sandboxID)), let tree = try? pods.options.cgroups.tree(),
           tree.hierarchy.directories(path).contains(where: Files.isDirectory) {
            _ = try? tree.apply(path, podCgroupValues(record, adding: nil))
        }
    }

    /// The container's cgroup, as its plan names it, in the hierarchy at `mount` (gone already is fine).
    static func removeCgroup(_ layout: PodLayout, mount: String) throws(PodrigError) {
        guard let path = plannedCgroup(layout)?["path"]?.string, CgroupPath.isPodrigs(path),
              let h = CgroupHierarchy.detect(mount: mount) else { return }
        try CgroupTree(hierarchy: h).remove(path)
    }

    /// The plan's cgroup entry of a CRI container (its only container).
    static func plannedCgroup(_ layout: PodLayout) -> JSON? {
        guard let text = try? Files.readString(layout.plan), let plan = try? JSONParser.parse(text) else { return nil }
        return plan["containers"]?[0]?["cgroup"]
    }

    /// The pod cgroup's values: the sandbox's linux.resources plus linux.overhead where kubelet
    /// sent them (its own pod-level computation), else kubelet's ResourceConfigForPod over the
    /// sandbox's containers that are not exited, plus `adding` (the one being created); with
    /// --pod-max-pids. Exited ones no longer count: init containers, run one at a time, then
    /// weigh one at a time, as kubelet's max over init containers has it.
    func podCgroupValues(_ record: SandboxRecord, adding: CgroupResources?) -> CgroupResources {
        var v: CgroupResources
        if let s = CgroupResources.sandbox(resources: record.config.resources, overhead: record.config.overhead) {
            v = s
        } else {
            var res = ((try? list(sandboxID: record.id)) ?? []).filter { $0.state != "CONTAINER_EXITED" }.compactMap { c in
                CRIContainers.plannedCgroup(c.layout)?["resources"]?.object.flatMap { try? CgroupResources(criJSON: $0, path: "resources") }
            }
            if let adding { res.append(adding) }
            v = PodCgroups.pod(containers: res)
        }
        v.pidsLimit = pods.options.cgroups.podPidsLimit
        return v
    }

    // MARK: queries

    public func list(sandboxID: String? = nil) throws(PodrigError) -> [Container] {
        var out: [Container] = []
        let sandboxIDs: [String]
        if let sandboxID { sandboxIDs = [sandboxID] } else { sandboxIDs = try store.ids() }
        for sid in sandboxIDs {
            for id in try Files.list(store.directory(sid) + "/containers") where Identifiers.isHexID(id) {
                if let c = load(sandboxID: sid, id: id) { out.append(c) }
            }
        }
        return out.sorted { $0.createdAt > $1.createdAt }
    }

    func load(sandboxID: String, id: String) -> Container? {
        let layout = PodLayout(directory: directory(sandboxID, id))
        guard let text = try? Files.readString(layout.directory + "/container.json"), let j = try? JSONParser.parse(text) else { return nil }
        func map(_ v: JSON?) -> [String: String] {
            var m: [String: String] = [:]
            for (k, x) in v?.object ?? JSONObject() { m[k] = x.string ?? "" }
            return m
        }
        return Container(id: id, sandboxID: sandboxID, name: j["name"]?.string ?? "", attempt: j["attempt"]?.int ?? 0,
                         image: j["image"]?.string ?? "", createdAt: Int64(j["createdAt"]?.string ?? "") ?? 0,
                         logPath: j["logPath"]?.string ?? "", labels: map(j["labels"]), annotations: map(j["annotations"]),
                         layout: layout, status: SupervisorStatus.load(layout.status), supervisor: PodManager.supervisorIdentity(layout),
                         held: Files.exists(layout.startGate))
    }

    public func find(_ prefix: String) throws(PodrigError) -> Container {
        guard let c = try findIfPresent(prefix) else { throw PodrigError(.notFound, "container \"\(prefix)\" not found") }
        return c
    }

    /// nil when nothing matches: the container is gone (stop and rm then succeed, as in CRI).
    public func findIfPresent(_ prefix: String) throws(PodrigError) -> Container? {
        let all = try list()
        guard let id = try Identifiers.resolveIfPresent(prefix, among: all.map(\.id), kind: "container") else { return nil }
        return all.first { $0.id == id }
    }
}

extension CRIContainers {
    static func checkSameSandbox(_ given: PodSandboxConfig, source: String, record: SandboxRecord) throws(PodrigError) {
        func who(_ c: PodSandboxConfig) -> String { "\(c.namespace)/\(c.name) (uid \(c.uid), attempt \(c.attempt))" }
        let had = record.config
        guard given.name == had.name, given.namespace == had.namespace, given.uid == had.uid, given.attempt == had.attempt else {
            throw PodrigError(.invalidInput, "pod config \(source): it is for \(who(given)), but sandbox \(record.id.prefix(13)) is \(who(had))")
        }
    }
}
