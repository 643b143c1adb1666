import PodrigCore

/// `podrig exec` and friends: which running container a name or ID means, and the spawn options
/// that put a new process into it (its namespaces, user, capabilities, no_new_privs, seccomp
/// filter, env, working directory) — the same for a pod's containers and CRI containers, since
/// both are planned alike.
public enum ContainerExec {
    /// A container to run something in.
    public struct Target: Sendable {
        /// Its plan entry (plan.json's containers[i]).
        public var plan: JSON
        public var status: SupervisorStatus.Container?
        public var supervisorAlive: Bool
        /// The container's state directory (<layout>/containers/<name>), where its attach socket lives.
        public var stateDirectory: String
        /// "container web of pod default/nginx", "container 3f2a9c1e4b7d0 (busy)", for messages.
        public var what: String
        public var name: String
        /// A pod container's log directory (<logDir>/<name>/<restart>.log), or a CRI container's log file.
        public var podLogDirectory: String?
        public var criLogPath: String?
    }

    /// Resolves crictl's form (a container ID or unique prefix), the sandbox form (a sandbox ID
    /// prefix, with `-c NAME` or its only container) and the pod form (a pod name in `namespace`).
    public static func target(_ arg: String, container: String?, namespace: String?, pods: PodManager) throws(PodrigError) -> Target {
        guard !arg.isEmpty else { throw PodrigError(.usage, "give a container ID, a sandbox ID or a pod name") }
        let ns = namespace ?? "default"
        let all = try pods.list()
        if let p = all.first(where: { $0.manifest.name == arg && $0.manifest.namespace == ns }) {
            return try podTarget(p, container: container, pods: pods)
        }
        let cri = CRIContainers(pods: pods)
        let containers = try cri.list()
        let byContainer = container == nil ? containers.filter { $0.id.hasPrefix(arg) } : []
        let sandboxIDs = try pods.sandboxes.store.ids().filter { $0.hasPrefix(arg) }
        if let exact = byContainer.first(where: { $0.id == arg }) { return criTarget(exact) }
        if sandboxIDs.contains(arg) { return try sandboxTarget(arg, container: container, all: all, containers: containers, pods: pods) }
        switch (byContainer.count, sandboxIDs.count) {
        case (1, 0): return criTarget(byContainer[0])
        case (0, 1): return try sandboxTarget(sandboxIDs[0], container: container, all: all, containers: containers, pods: pods)
        case (0, 0):
            throw PodrigError(.notFound, container == nil ? "no container, sandbox or pod \"\(arg)\" (pod names are looked up in namespace \(ns))"
                                                          : "no sandbox or pod \"\(arg)\" (pod names are looked up in namespace \(ns))")
        default:
            throw PodrigError(.conflict, "ID prefix \"\(arg)\" is ambiguous (\(byContainer.count) containers, \(sandboxIDs.count) sandboxes): give more of it")
        }
    }

    static func podTarget(_ p: PodManager.Pod, container: String?, pods: PodManager) throws(PodrigError) -> Target {
        let name = container ?? p.manifest.spec.containers.first?.name ?? ""
        guard let c = p.plan?["containers"]?.array?.first(where: { $0["name"]?.string == name }) else {
            // A CRI container created in this pod's sandbox answers to its name too.
            if let container, let t = try? criByName(p.record.id, container, containers: CRIContainers(pods: pods).list(sandboxID: p.record.id)) {
                return t
            }
            let names = (p.manifest.spec.initContainers + p.manifest.spec.containers).map(\.name)
            throw PodrigError(.notFound, "container \"\(name)\" is not in pod \(p.manifest.namespace)/\(p.manifest.name) (containers: \(names.joined(separator: ", ")))")
        }
        return Target(plan: c, status: p.status?.container(name), supervisorAlive: p.supervisorAlive,
                      stateDirectory: p.layout.container(name), what: "container \(name) of pod \(p.manifest.namespace)/\(p.manifest.name)",
                      name: name, podLogDirectory: p.logDirectory + "/" + name)
    }

    static func criTarget(_ c: CRIContainers.Container) -> Target {
        let plan = (try? Files.readString(c.layout.plan)).flatMap { try? JSONParser.parse($0) }
        return Target(plan: plan?["containers"]?.array?.first ?? .null, status: c.main, supervisorAlive: c.supervisor?.isAlive ?? false,
                      stateDirectory: c.layout.container(c.name), what: "container \(c.id.prefix(13)) (\(c.name))", name: c.name,
                      criLogPath: c.logPath)
    }

    static func sandboxTarget(_ id: String, container: String?, all: [PodManager.Pod], containers: [CRIContainers.Container],
                              pods: PodManager) throws(PodrigError) -> Target {
        if let p = all.first(where: { $0.record.id == id }) { return try podTarget(p, container: container, pods: pods) }
        return try criByName(id, container, containers: containers.filter { $0.sandboxID == id })
    }

    /// A CRI container of one sandbox by name (its running instance first, then the newest attempt);
    /// without a name the sandbox's only container.
    static func criByName(_ sandboxID: String, _ name: String?, containers: [CRIContainers.Container]) throws(PodrigError) -> Target {
        let sb = sandboxID.prefix(13)
        if let name {
            let named = containers.filter { $0.name == name }
            guard let c = named.first(where: { $0.state == "CONTAINER_RUNNING" }) ?? named.max(by: { $0.attempt < $1.attempt }) else {
                let names = Set(containers.map(\.name)).sorted()
                throw PodrigError(.notFound, "no container \"\(name)\" in sandbox \(sb)" + (names.isEmpty ? " (it has none)" : " (containers: \(names.joined(separator: ", ")))"))
            }
            return criTarget(c)
        }
        let names = Set(containers.map(\.name)).sorted()
        guard names.count == 1, let c = containers.first(where: { $0.state == "CONTAINER_RUNNING" }) ?? containers.first else {
            throw PodrigError(.usage, names.isEmpty ? "sandbox \(sb) has no containers"
                                                    : "sandbox \(sb) has \(names.count) containers (\(names.joined(separator: ", "))): choose one with -c")
        }
        return criTarget(c)
    }

    public static func options(_ t: Target, argv: [String]) throws(PodrigError) -> SpawnOptions {
        guard let spawn = t.plan["spawn"] else { throw PodrigError(.notFound, "\(t.what) has no plan") }
        guard let st = t.status, st.state == .running, st.pid > 0, t.supervisorAlive else {
            throw PodrigError(.notReady, "\(t.what) is not running")
        }
        let env = (spawn["env"]?.array ?? []).compactMap(\.string)
        let path = env.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
        guard let exe = Spawner.lookPath(argv[0], path: path) else {
            throw PodrigError(.notFound, "exec: \"\(argv[0])\": executable file not found in $PATH")
        }
        var o = SpawnOptions(path: exe, arguments: argv)
        o.environment = env
        var kinds: [NamespaceKind] = [.ipc, .uts, .net, .pid, .mnt]
        // The pod's user namespace when the container has one (joining our own would be EINVAL).
        if (spawn["join"]?.array ?? []).contains(where: { $0["type"]?.int == Int(NamespaceKind.user.cloneFlag) }) { kinds.append(.user) }
        o.join = kinds.map { ($0, "/proc/\(st.pid)/ns/\($0.rawValue)") }
        // In the container's cgroup, as runc exec joins it: what the command uses counts against its limits.
        o.cgroupProcs = (t.plan["cgroup"]?["procs"]?.array ?? []).compactMap(\.string)
        o.workingDirectory = spawn["cwd"]?.string
        if let u = spawn["user"] {
            o.user = (UInt32(truncatingIfNeeded: u["uid"]?.int ?? 0), UInt32(truncatingIfNeeded: u["gid"]?.int ?? 0),
                      (u["groups"]?.array ?? []).compactMap { $0.int.map { UInt32(truncatingIfNeeded: $0) } })
        }
        if let caps = spawn["caps"] {
            func mask(_ k: String) -> UInt64 { UInt64((caps[k]?.string ?? "0x0").dropFirst(2), radix: 16) ?? 0 }
            o.capabilities = CapabilitySets(bounding: mask("bounding"), effective: mask("effective"), permitted: mask("permitted"),
                                            inheritable: mask("inheritable"), ambient: mask("ambient"))
        }
        o.noNewPrivileges = spawn["noNewPrivs"]?.bool ?? false
        if let bpf = spawn["seccomp"]?.string { o.seccompFilter = try Files.read(bpf) }
        return o
    }
}
