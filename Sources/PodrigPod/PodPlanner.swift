#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCgroups
import PodrigCore
import PodrigSandbox

/// Turns a Pod manifest plus its sandbox into the supervisor's plan: every container resolved to
/// what pr_spawn needs (argv, env, namespaces, mounts, ids, capabilities, seccomp BPF), and the
/// pod's files (hosts, resolv.conf, hostname, emptyDirs, per-container /dev) written.
public struct PodPlanner {
    public var manifest: PodManifest
    public var record: SandboxRecord
    public var layout: PodLayout
    public var logDirectory: String
    /// The directory of the manifest file (relative Localhost seccomp profiles are found there).
    public var manifestDirectory: String
    public var nodeIPs: [String]
    public var nodeName: String
    /// Run by the supervisor when the pod completes on its own (stops the sandbox).
    public var finish: [String]
    /// kubelet expands $(VAR) before CRI; CRI configs arrive expanded already.
    public var expandVariables = true
    /// CRI: the log file asked for (instead of <logDir>/<name>/<n>.log).
    public var logPath: String?
    /// Log rotation by the supervisor, as kubelet's containerLogMaxSize / containerLogMaxFiles.
    public var logMaxSize: Int64 = PodPlanner.defaultLogMaxSize
    public var logMaxFiles = PodPlanner.defaultLogMaxFiles
    /// The pod's cgroup (made already): each container gets one below it, filled with kubelet's
    /// values, which the supervisor's spawn joins between fork and exec. nil: no cgroups.
    public var cgroup: PodCgroup?
    /// CRI create: a FIFO the supervisor waits on before it starts any container (plan startGate).
    public var startGate: String?
    /// CRI create: the FIFO the supervisor answers `start` on (plan startReply).
    public var startReply: String?
    public static let defaultLogMaxSize: Int64 = 10 * 1024 * 1024
    public static let defaultLogMaxFiles = 5

    public init(manifest: PodManifest, record: SandboxRecord, layout: PodLayout, logDirectory: String, manifestDirectory: String,
                nodeIPs: [String], nodeName: String, finish: [String], node: NodeCapacity? = nil) {
        self.manifest = manifest
        self.record = record
        self.layout = layout
        self.logDirectory = logDirectory
        self.manifestDirectory = manifestDirectory
        self.nodeIPs = nodeIPs
        self.nodeName = nodeName
        self.finish = finish
        self.node = node ?? NodeCapacity.discover()  // CRI create passes the one its cgroup values used
    }

    /// Node allocatable amounts for resourceFieldRef of unset limits.
    public var node: NodeCapacity
    /// Where user and group names and default gids come from (the host's files; no NSS).
    public var users = UserDatabase.host()

    /// The plan.json format (docs/supervisor.md); the supervisor's side is SUP_PLAN_VERSION in CShims/supervisor/sup.h.
    public static let planVersion = 1

    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    var spec: PodSpec { manifest.spec }
    var hostname: String { String((spec.hostname ?? manifest.name).prefix(63)) }

    public func prepare() throws(PodrigError) -> JSON {
        try Files.makeDirectories(layout.etc, mode: 0o755)
        try Files.makeDirectories(layout.shm, mode: 0o1777)
        chmod(layout.shm, 0o1777)
        try Files.makeDirectories(logDirectory, mode: 0o755)
        try writePodFiles()
        try writeConfigVolumes()
        try chownToMappedRoot([layout.etc + "/hosts", layout.etc + "/resolv.conf", layout.etc + "/hostname"])
        for v in spec.volumes {
            if case .emptyDir = v.source {
                try Files.makeDirectories(layout.volume(v.name), mode: 0o777)
                chmod(layout.volume(v.name), 0o777)  // any runAsUser may write, as kubelet's emptyDirs allow
                let fsGroup = spec.securityContext.fsGroup
                if let userns = record.config.userNamespace {
                    // No idmapped mounts here: the pod's root (and fsGroup) own it as the host sees them.
                    let uid = UserNamespaceConfig.host(0, in: userns.uids) ?? 0
                    let gid = UserNamespaceConfig.host(fsGroup ?? 0, in: userns.gids) ?? 0
                    if chown(layout.volume(v.name), uid_t(uid), gid_t(gid)) != 0 {
                        throw PodrigError.system("chown(\(layout.volume(v.name)), \(uid):\(gid) (the pod's mapped root)", errno: errno)
                    }
                }
                if let fsGroup {
                    // kubelet's SetVolumeOwnership: the fsGroup owns the volume, setgid so new files get it too.
                    let gid = record.config.userNamespace.flatMap { UserNamespaceConfig.host(fsGroup, in: $0.gids) } ?? fsGroup
                    if chown(layout.volume(v.name), uid_t(bitPattern: -1), gid_t(gid)) != 0 {
                        throw PodrigError.system("chown(\(layout.volume(v.name)), fsGroup \(fsGroup))", errno: errno)
                    }
                    chmod(layout.volume(v.name), 0o2777)
                }
            }
        }
        var containers: [JSON] = []
        for c in spec.initContainers { containers.append(try container(c, kind: c.isSidecar ? "sidecar" : "init")) }
        for c in spec.containers { containers.append(try container(c, kind: "main")) }
        let probeHost = record.podIPs.first ?? "127.0.0.1"
        var plan: JSON = [
            "version": .int(PodPlanner.planVersion), "name": .string(manifest.name), "namespace": .string(manifest.namespace),
            "stateDir": .string(layout.directory), "logDir": .string(logDirectory),
            "restartPolicy": .string(spec.restartPolicy.rawValue),
            "terminationGracePeriodSeconds": .int(SupervisorTiming.clampSeconds(spec.terminationGracePeriodSeconds)),
            "probeHost": .string(probeHost), "finish": .array(finish.map { .string($0) }),
            "logMaxSize": .int(Int(logMaxSize)), "logMaxFiles": .int(logMaxFiles),
            "containers": .array(containers),
        ]
        if let d = spec.activeDeadlineSeconds { plan["activeDeadlineSeconds"] = .int(SupervisorTiming.clampSeconds(d)) }
        if let startGate { plan["startGate"] = .string(startGate) }
        if let startReply { plan["startReply"] = .string(startReply) }
        return plan
    }

    func writePodFiles() throws(PodrigError) {
        let fqdn = spec.subdomain.map { "\(hostname).\($0).\(manifest.namespace).svc.cluster.local" }
        let hostHosts = (try? Files.readString("/etc/hosts")) ?? ""
        try Files.writeAtomic(layout.etc + "/hosts", PodFiles.hosts(hostname: hostname, fqdn: fqdn, podIPs: record.podIPs,
                              aliases: spec.hostAliases, hostNetwork: spec.hostNetwork, hostFile: hostHosts), mode: 0o644)
        let hostResolv = (try? Files.readString("/etc/resolv.conf")) ?? ""
        try Files.writeAtomic(layout.etc + "/resolv.conf", PodFiles.resolvConf(policy: spec.dnsPolicy, config: spec.dnsConfig, hostFile: hostResolv), mode: 0o644)
        try Files.writeAtomic(layout.etc + "/hostname", (spec.hostNetwork ? nodeName : hostname) + "\n", mode: 0o644)
    }

    // MARK: one container

    func environment(_ c: ContainerSpec) throws(PodrigError) -> [(name: String, value: String)] {
        let refs = FieldRef(name: manifest.name, namespace: manifest.namespace, uid: manifest.uid, labels: manifest.labels,
                            annotations: manifest.annotations, nodeName: nodeName, serviceAccountName: spec.serviceAccountName ?? "default",
                            hostIPs: nodeIPs, podIPs: record.podIPs)
        let cpath = containerPath(c)
        // envFrom first and taken literally ($ escaped: kubelet expands only env[] values), env[] over it.
        var given = try ConfigResolution.envFrom(c, manifest, path: cpath).map { ($0.name, $0.value.replacing("$", with: "$$")) }
        for (j, e) in c.env.enumerated() {
            if let ref = e.keyRef {
                let key = ref.kind == .configMap ? "configMapKeyRef" : "secretKeyRef"
                if let v = try ConfigResolution.value(ref, manifest, path: "\(cpath).env[\(j)].valueFrom.\(key)") {
                    given.append((e.name, v.replacing("$", with: "$$")))
                }
            } else if let rf = e.resourceField {
                let target = rf.containerName ?? c.name
                guard let tc = (spec.initContainers + spec.containers).first(where: { $0.name == target }) else {
                    throw PodrigError.invalid("container \(c.name): env \(e.name): resourceFieldRef.containerName \"\(target)\" is not a container of this pod")
                }
                given.append((e.name, rf.value(tc.resources, node: node)))
            } else {
                given.append((e.name, e.fieldPath.map { refs.value($0) } ?? e.value ?? ""))
            }
        }
        let specEnv = expandVariables ? Expansion.environment(given) : given
        var env: [(name: String, value: String)] = [("PATH", PodPlanner.defaultPath), ("HOSTNAME", spec.hostNetwork ? nodeName : hostname)]
        for (n, v) in specEnv {
            if let i = env.firstIndex(where: { $0.name == n }) { env[i].value = v } else { env.append((n, v)) }
        }
        return env
    }

    func resolve(_ argv: [String], path: String, what: String) throws(PodrigError) -> [String] {
        guard let first = argv.first else { throw PodrigError.invalid("\(what): empty command") }
        if first.contains("/") { return argv }
        guard let found = Spawner.lookPath(first, path: path) else {
            throw PodrigError.invalid("\(what): \"\(first)\" not found in PATH (\(path)) on this host")
        }
        return [found] + argv.dropFirst()
    }

    func container(_ c: ContainerSpec, kind: String) throws(PodrigError) -> JSON {
        let what = "container \(c.name)"
        let cdir = layout.container(c.name)
        try Files.makeDirectories(cdir, mode: 0o755)
        let env = try environment(c)
        let lookup: (String) -> String? = { name in env.last(where: { $0.name == name })?.value }
        let path = lookup("PATH") ?? PodPlanner.defaultPath
        let argv = try resolve((c.command + c.args).map { expandVariables ? Expansion.expand($0, lookup) : $0 }, path: path, what: what)

        let sc = c.securityContext
        let (uid, gid, groups) = try identity(sc, what: what)
        try checkMapped(uid: uid, gid: gid, groups: groups, privileged: sc.privileged, what: what)
        let capMask = try Capabilities.mask(privileged: sc.privileged, add: sc.capabilitiesAdd, drop: sc.capabilitiesDrop)
        let caps = Capabilities.sets(capMask)
        let (mountList, termFile) = try mounts(c, cdir: cdir)

        var spawn: JSON = [
            "path": .string(argv[0]), "argv": .array(argv.map { .string($0) }),
            "env": .array(env.map { .string("\($0.name)=\($0.value)") }),
            "join": .array(joins()), "unshare": .int(unshareFlags()),
            "mounts": .array(mountList),
            "cwd": .string(c.workingDir ?? "/"),
            "user": ["uid": .int(uid), "gid": .int(gid), "groups": .array(groups.map { .int($0) })],
            "caps": ["bounding": .string(hex(caps.bounding)), "effective": .string(hex(caps.effective)),
                     "permitted": .string(hex(caps.permitted)), "inheritable": .string(hex(caps.inheritable)), "ambient": "0x0"],
            "noNewPrivs": .bool(sc.allowPrivilegeEscalation == false),
        ]
        if let profile = try seccompProfile(c) {
            let bpf = try profile.compile(capMask: capMask)
            try Files.writeAtomic(cdir + "/seccomp.bpf", bpf, mode: 0o600)
            spawn["seccomp"] = .string(cdir + "/seccomp.bpf")
        }
        var out: JSON = ["name": .string(c.name), "kind": .string(kind), "spawn": spawn]
        if let h = c.postStart { out["postStart"] = .array(try hook(h, path: path, what: "\(what) postStart").map { .string($0) }) }
        if let h = c.preStop { out["preStop"] = .array(try hook(h, path: path, what: "\(what) preStop").map { .string($0) }) }
        for (key, probe) in [("startupProbe", c.startupProbe), ("readinessProbe", c.readinessProbe), ("livenessProbe", c.livenessProbe)] {
            if let probe { out[key] = try probeJSON(probe, path: path, what: "\(what) \(key)") }
        }
        if let termFile { out["terminationMessageFile"] = .string(termFile) }
        if let logPath { out["logPath"] = .string(logPath) }
        if let cgroup {
            let res = PodCgroups.container(c, pod: spec, node: node, version: cgroup.tree.hierarchy.version,
                                           singleProcessOOMKill: cgroup.singleProcessOOMKill)
            let rel = cgroup.containerPath(c.name)
            let written: [CgroupResources.Write]
            Checkpoint.mark("plan:cgroup")
            if let made = cgroup.made { written = try made.wait() } else { written = try cgroup.tree.create(rel, res) }
            Checkpoint.mark("plan:cgroup-made")
            let h = cgroup.tree.hierarchy
            var cg: JSON = ["path": .string(rel), "procs": .array(h.procsFiles(rel).map { .string($0) }),
                            "resources": res.json, "files": .object(JSONObject(written.map { ($0.file, JSON.string($0.value)) }))]
            if let oom = h.oomEventsFile(rel) { cg["oomEvents"] = .string(oom) }
            if let f = h.eventControlFile(rel) { cg["eventControl"] = .string(f) }
            if let f = h.cgroupEventsFile(rel) { cg["cgroupEvents"] = .string(f) }
            out["cgroup"] = cg
            if let adj = res.oomScoreAdj { spawn["oomScoreAdj"] = .int(adj); out["spawn"] = spawn }
        }
        // What `podrig attach` can reach: the supervisor keeps this stdin pipe or pty (docs/supervisor.md).
        if c.stdin { out["stdin"] = true }
        if c.stdinOnce { out["stdinOnce"] = true }
        if c.tty { out["tty"] = true }
        return out
    }

    /// uid, gid and supplementary groups, as containerd resolves them against an image's
    /// passwd/group files (here the host's): an explicit uid needs no entry; its entry, if any,
    /// gives the default gid and (with the Merge policy) the groups that list it as a member.
    func identity(_ sc: SecurityContext, what: String) throws(PodrigError) -> (uid: Int, gid: Int, groups: [Int]) {
        let psc = spec.securityContext
        var entry: UserDatabase.User?
        let uid: Int
        if let u = sc.runAsUser ?? psc.runAsUser {
            uid = u
            entry = users.user(uid: u)
        } else if let name = sc.runAsUsername {
            guard let u = users.user(named: name) else {
                throw PodrigError(.notFound, "\(what): run_as_username \"\(name)\": no such user in the host's /etc/passwd")
            }
            uid = u.uid
            entry = u
        } else {
            uid = 0
            entry = users.user(uid: 0)
        }
        if (sc.runAsNonRoot ?? psc.runAsNonRoot ?? false) && uid == 0 {
            throw PodrigError.invalid("\(what): runAsNonRoot is set but the container would run as root (set runAsUser)")
        }
        let gid = sc.runAsGroup ?? psc.runAsGroup ?? entry?.gid ?? 0
        // Like containerd: the primary group, the pod's supplementalGroups and fsGroup, and with the
        // Merge policy the groups /etc/group (the host's: there is no image) lists the user in.
        var groups = [gid] + psc.supplementalGroups + (psc.fsGroup.map { [$0] } ?? [])
        if psc.supplementalGroupsPolicy == "Merge", let name = entry?.name { groups += users.memberGroups(of: name) }
        groups = groups.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        return (uid, gid, groups)
    }

    /// Files the container may write as its root: with a user namespace, owned by the host IDs its
    /// root maps to (without idmapped mounts, host root's files are nobody's inside).
    func chownToMappedRoot(_ paths: [String]) throws(PodrigError) {
        guard let userns = record.config.userNamespace else { return }
        let uid = UserNamespaceConfig.host(0, in: userns.uids) ?? 0, gid = UserNamespaceConfig.host(0, in: userns.gids) ?? 0
        for p in paths where chown(p, uid_t(uid), gid_t(gid)) != 0 {
            throw PodrigError.system("chown(\(p), \(uid):\(gid)) for the pod's mapped root", errno: errno)
        }
    }

    /// In the pod's user namespace every ID the container takes must be mapped (setresuid and
    /// setgroups refuse others), and privileged (the host's /dev and /sys) makes no sense there.
    func checkMapped(uid: Int, gid: Int, groups: [Int], privileged: Bool, what: String) throws(PodrigError) {
        guard let userns = record.config.userNamespace else { return }
        if privileged { throw PodrigError.invalid("\(what): privileged cannot be combined with the pod's user namespace (hostUsers: false / userns_options POD)") }
        func ranges(_ m: [IDMapping]) -> String { m.map { "\($0.containerID)-\($0.containerID + $0.length - 1)" }.joined(separator: ",") }
        if UserNamespaceConfig.host(uid, in: userns.uids) == nil {
            throw PodrigError.invalid("\(what): uid \(uid) is not mapped in the pod's user namespace (uids \(ranges(userns.uids)))")
        }
        for g in [gid] + groups where UserNamespaceConfig.host(g, in: userns.gids) == nil {
            throw PodrigError.invalid("\(what): gid \(g) is not mapped in the pod's user namespace (gids \(ranges(userns.gids)))")
        }
    }

    func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    func joins() -> [JSON] {
        var j: [JSON] = []
        func add(_ kind: NamespaceKind, _ path: String) { j.append(["type": .int(kind.cloneFlag), "path": .string(path)]) }
        guard let pause = record.pause else { return j }
        if !spec.hostIPC { add(.ipc, "/proc/\(pause.pid)/ns/ipc") }
        if !spec.hostNetwork {
            add(.uts, "/proc/\(pause.pid)/ns/uts")
            add(.net, record.netnsPath ?? "/proc/\(pause.pid)/ns/net")
        } else if let node = record.node {
            // hostNetwork on a simulated node: the node's network and (pause's) node hostname.
            add(.uts, "/proc/\(pause.pid)/ns/uts")
            add(.net, node.netnsPath)
        }
        if spec.shareProcessNamespace { add(.pid, "/proc/\(pause.pid)/ns/pid") }
        // pr_spawn joins it last, once the container's root is built with the host's credentials.
        if record.config.userNamespace != nil { add(.user, "/proc/\(pause.pid)/ns/user") }
        return j
    }

    func unshareFlags() -> Int {
        var f = NamespaceKind.mnt.cloneFlag
        if !spec.shareProcessNamespace && !spec.hostPID { f |= NamespaceKind.pid.cloneFlag }
        return Int(f)
    }

    func seccompProfile(_ c: ContainerSpec) throws(PodrigError) -> SeccompProfile? {
        if c.securityContext.privileged { return nil }
        switch c.securityContext.seccompProfile ?? spec.securityContext.seccompProfile ?? .runtimeDefault {
        case .unconfined: return nil
        case .runtimeDefault: return SeccompProfile.runtimeDefault
        case .localhost(let p):
            let candidates = p.hasPrefix("/") ? [p] : [manifestDirectory + "/" + p, "/var/lib/kubelet/seccomp/" + p]
            guard let file = candidates.first(where: { Files.exists($0) }) else {
                throw PodrigError(.notFound, "container \(c.name): seccomp profile \(p) not found (looked in: \(candidates.joined(separator: ", ")))")
            }
            // Not /dev/zero or a FIFO: reading those would never end.
            guard Files.isRegularFile(file) else { throw PodrigError.invalid("container \(c.name): seccomp profile \(file) is not a regular file") }
            let json = try ConfigText.parse(try Files.readString(file), source: file)
            return try SeccompProfile.parse(json, source: file)
        }
    }

    func hook(_ h: Handler, path: String, what: String) throws(PodrigError) -> [String] {
        switch h {
        case .exec(let cmd): return try resolve(cmd, path: path, what: what)
        case .sleep(let n): return try resolve(["sleep", String(n)], path: path, what: what)
        default: throw PodrigError.invalid("\(what): only exec and sleep hooks are supported")
        }
    }

    func probeJSON(_ p: Probe, path: String, what: String) throws(PodrigError) -> JSON {
        var o: JSON = ["initialDelaySeconds": .int(p.initialDelaySeconds), "periodSeconds": .int(p.periodSeconds),
                       "timeoutSeconds": .int(p.timeoutSeconds), "successThreshold": .int(p.successThreshold),
                       "failureThreshold": .int(p.failureThreshold)]
        switch p.handler {
        case .exec(let cmd):
            o["type"] = "exec"
            o["argv"] = .array(try resolve(cmd, path: path, what: what).map { .string($0) })
        case .tcp(let host, let port):
            o["type"] = "tcp"
            o["port"] = .int(port)
            if let host { o["host"] = .string(try probeHost(host, what: what)) }
        case .http(let host, let port, let hpath, _, let headers):
            o["type"] = "http"
            o["port"] = .int(port)
            o["path"] = .string(hpath)
            o["headers"] = .array(headers.map { .string("\($0.0): \($0.1)") })
            if let host { o["host"] = .string(try probeHost(host, what: what)) }
        case .sleep:
            throw PodrigError.invalid("\(what): sleep is not a probe")
        }
        return o
    }

    func probeHost(_ host: String, what: String) throws(PodrigError) -> String {
        if host == "localhost" { return "127.0.0.1" }
        guard IPAddress.family(host) != nil else { throw PodrigError.invalid("\(what): host \"\(host)\" must be an IP address") }
        return host
    }
}
