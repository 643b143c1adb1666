#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCgroups
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// kubelet's rules (defined once, in C) and the plan.json contract between PodPlanner and podrig-supervisor.
@Suite struct SupervisorContractTests {
    typealias C = SupervisorStatus.Container

    func term(_ code: Int) -> SupervisorStatus.Termination {
        .init(exitCode: code, signal: 0, startedAt: 1, finishedAt: 2, reason: code == 0 ? "Completed" : "Error", message: "")
    }

    @Test func swiftNamesMatchTheCEnums() {
        for s in ContainerState.allCases { #expect(String(cString: pr_container_state_name(s.c)) == s.rawValue) }
        for p in [RestartPolicy.always, .onFailure, .never] {
            var parsed = pr_restart_policy(rawValue: 99)
            #expect(pr_restart_policy_parse(p.rawValue, &parsed) == 0 && parsed == p.c)
            #expect(String(cString: pr_restart_policy_name(p.c)) == p.rawValue)
        }
        var out = PR_RESTART_ALWAYS
        #expect(pr_restart_policy_parse("always", &out) == -EINVAL && pr_restart_policy_parse("", &out) == -EINVAL)
        for (i, ph) in PodPhase.allCases.enumerated() { #expect(String(cString: pr_pod_phase_name(pr_pod_phase(UInt32(i)))) == ph.rawValue) }
    }

    /// kubelet's ShouldContainerBeRestarted (pkg/kubelet/container/helpers.go) plus the sidecar rule.
    @Test func restartRule() {
        let r = KubeletRules.restarts
        #expect(r(.always, false, false, 0) && r(.always, false, false, 1))
        #expect(!r(.onFailure, false, false, 0) && r(.onFailure, false, false, 1))
        #expect(!r(.never, false, false, 0) && !r(.never, false, false, 1))
        // init containers: only after a failure, never with Never
        #expect(!r(.always, false, true, 0) && r(.always, false, true, 1) && r(.onFailure, false, true, 1) && !r(.never, false, true, 1))
        // sidecars: always
        #expect(r(.never, true, true, 0) && r(.never, true, true, 1))
        #expect(pr_init_failure_fails_pod(PR_RESTART_NEVER, 1) && !pr_init_failure_fails_pod(PR_RESTART_NEVER, 0))
        #expect(!pr_init_failure_fails_pod(PR_RESTART_ON_FAILURE, 1) && !pr_init_failure_fails_pod(PR_RESTART_ALWAYS, 1))
    }

    /// kubelet's getPhase over main containers, in every corner the supervisor and the status view act on.
    @Test func phaseRule() {
        let run = C(name: "a", state: .running), wait = C(name: "a", state: .waiting)
        let ok = C(name: "a", state: .terminated, terminated: term(0)), bad = C(name: "a", state: .terminated, terminated: term(3))
        let crashLoop = C(name: "a", state: .waiting, reason: "CrashLoopBackOff", lastTerminated: term(1))
        let restartingOK = C(name: "a", state: .waiting, lastTerminated: term(0))
        func phase(_ p: RestartPolicy, _ cs: [C?], initialized: Bool = true, terminal: Bool = false) -> PodPhase {
            KubeletRules.phase(p, mains: cs, initialized: initialized, terminal: terminal)
        }
        #expect(phase(.always, [run], initialized: false) == .pending)
        #expect(phase(.always, [nil, run]) == .pending)
        #expect(phase(.always, [wait, run]) == .pending)
        #expect(phase(.never, [run, ok]) == .running)
        #expect(phase(.always, [crashLoop, run]) == .running)
        #expect(phase(.always, [ok, ok]) == .running)
        #expect(phase(.always, [ok, bad]) == .running)
        #expect(phase(.onFailure, [ok, ok]) == .succeeded)
        #expect(phase(.onFailure, [ok, bad]) == .running)
        #expect(phase(.onFailure, [crashLoop]) == .running)
        #expect(phase(.never, [ok, ok]) == .succeeded)
        #expect(phase(.never, [ok, bad]) == .failed)
        #expect(phase(.always, [restartingOK]) == .running)
        #expect(phase(.always, []) == .pending)
        // terminal (the supervisor is gone): the policy no longer matters
        #expect(phase(.always, [ok, ok], initialized: false, terminal: true) == .succeeded)
        #expect(phase(.always, [ok, bad], terminal: true) == .failed)
        #expect(phase(.always, [ok, wait], terminal: true) == .failed)
        #expect(phase(.always, [], terminal: true) == .failed)
    }

    // MARK: plan.json through `podrig-supervisor --check`

    static let supervisor = (Proc.executableDirectory() ?? ".build/debug") + "/podrig-supervisor"

    func check(_ planPath: String) -> (code: Int32, err: String) {
        var o = SpawnOptions(path: Self.supervisor, arguments: [Self.supervisor, "--check", planPath])
        o.environment = []
        guard let r = try? ProcessRunner.run(o, input: [], timeout: 30) else { return (-1, "spawn failed") }
        return (r.status.code, String(decoding: r.stderr, as: UTF8.self))
    }

    static let manifest = """
    apiVersion: v1
    kind: Pod
    metadata: {name: contract, namespace: ns1}
    spec:
      restartPolicy: OnFailure
      terminationGracePeriodSeconds: 5
      activeDeadlineSeconds: 600
      volumes: [{name: scratch, emptyDir: {}}]
      initContainers:
      - name: setup
        command: [sh, -c, "true"]
      - name: side
        restartPolicy: Always
        command: [sleep, "100"]
        startupProbe: {exec: {command: ["true"]}, periodSeconds: 1}
      containers:
      - name: web
        command: [sleep, "100"]
        env: [{name: A, value: b}]
        workingDir: /tmp
        volumeMounts: [{name: scratch, mountPath: /scratch}]
        securityContext: {runAsUser: 1000, runAsGroup: 1000, capabilities: {add: [NET_ADMIN]}, allowPrivilegeEscalation: false}
        lifecycle:
          postStart: {exec: {command: ["true"]}}
          preStop: {sleep: {seconds: 1}}
        resources: {limits: {cpu: 200m, memory: 64Mi}, requests: {cpu: 100m, memory: 32Mi}}
        readinessProbe: {httpGet: {path: /healthz, port: 8080, httpHeaders: [{name: X-A, value: b}]}}
        livenessProbe: {tcpSocket: {port: 8080}, failureThreshold: 2}
        terminationMessagePath: /dev/termination-log
    """

    /// Whatever PodPlanner writes, the supervisor reads: every key known, version and restartPolicy accepted.
    @Test func plannerOutputPassesSupervisorCheck() throws {
        #expect(Files.exists(Self.supervisor), "build podrig-supervisor first (swift build --build-tests)")
        let dir = "/tmp/podrig-unit-plan-\((try! Identifiers.newID()).prefix(8))"
        defer { try? Files.removeTree(dir) }
        let m = try PodManifestParser.parse(try ConfigText.parse(Self.manifest, source: "contract.yaml"))
        var record = SandboxRecord(id: (try! Identifiers.newID()), config: PodSandboxConfig(name: "contract", namespace: "ns1"), createdAt: 1)
        record.pause = ProcessIdentity(pid: 1, startTime: 1)
        record.podIPs = ["10.89.0.5"]
        let layout = PodLayout(directory: dir + "/pod")
        var planner = PodPlanner(manifest: m, record: record, layout: layout, logDirectory: dir + "/logs", manifestDirectory: dir,
                                 nodeIPs: ["192.0.2.1"], nodeName: "node1", finish: ["/bin/true"])
        // The cgroup keys too, on a fake v2 tree (cgroup, spawn.oomScoreAdj).
        try Files.makeDirectories(dir + "/cgroup", mode: 0o755)
        try Files.writeAtomic(dir + "/cgroup/cgroup.controllers", "cpu memory pids\n")
        let tree = CgroupTree(hierarchy: try #require(CgroupHierarchy.detect(mount: dir + "/cgroup")))
        planner.cgroup = PodCgroup(tree: tree, path: CgroupPath.pod(uid: "u1", qos: "Burstable"))
        planner.startGate = layout.startGate  // CRI create's
        planner.startReply = layout.startReply
        var plan = try planner.prepare()
        #expect(plan["startGate"]?.string == dir + "/pod/start")
        #expect(plan["startReply"]?.string == dir + "/pod/started")
        let web = plan["containers"]?[2]
        #expect(web?["cgroup"]?["procs"]?[0]?.string == dir + "/cgroup/podrig/kubepods/burstable/podu1/ctr-web/cgroup.procs")
        #expect(web?["cgroup"]?["files"]?["cpu.max"]?.string == "20000 100000")
        #expect(web?["spawn"]?["oomScoreAdj"]?.int != nil)
        #expect(plan["version"]?.int == PodPlanner.planVersion)
        #expect(plan["activeDeadlineSeconds"]?.int == 600)
        try Files.writeAtomic(dir + "/plan.json", plan.pretty + "\n")
        let ok = check(dir + "/plan.json")
        #expect(ok.code == 0, "\(ok.err)")

        // Each side notices the other drifting: an unknown key, another version, a bad policy.
        var drifted = plan
        var cs = plan["containers"]?.array ?? []
        #expect(cs.count == 3)
        cs[2]["spawn"]?["newKnob"] = true
        drifted["containers"] = .array(cs)
        try Files.writeAtomic(dir + "/plan.json", drifted.compact)
        var r = check(dir + "/plan.json")
        #expect(r.code == 1 && r.err.contains("containers[2].spawn.newKnob: unknown key"), "\(r.err)")
        plan["version"] = 2
        try Files.writeAtomic(dir + "/plan.json", plan.compact)
        r = check(dir + "/plan.json")
        #expect(r.code == 1 && r.err.contains("plan version 2"), "\(r.err)")
        plan["version"] = .int(PodPlanner.planVersion)
        plan["restartPolicy"] = "Sometimes"
        try Files.writeAtomic(dir + "/plan.json", plan.compact)
        r = check(dir + "/plan.json")
        #expect(r.code == 1 && r.err.contains("restartPolicy: expected Always, OnFailure or Never, got Sometimes"), "\(r.err)")
    }

    /// A grace period of Int64.max (valid to the API server) or a probe period of 2^31−1 must not
    /// wrap nor trap on either side: Swift writes at most PR_MAX_SECONDS, the supervisor clamps
    /// what it reads, and a probe field beyond int32 is the parser's error.
    @Test func hugeSecondsAreClampedOnBothSides() throws {
        #expect(SupervisorTiming.clampSeconds(Int.max) == 2147483647 && SupervisorTiming.clampSeconds(-5) == 0)
        let dir = "/tmp/podrig-unit-plan-\((try! Identifiers.newID()).prefix(8))"
        defer { try? Files.removeTree(dir) }
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: g}
            spec:
              terminationGracePeriodSeconds: 9223372036854775807
              containers:
              - name: c
                command: [sleep, "1"]
                livenessProbe: {exec: {command: ["true"]}, periodSeconds: 2147483647, initialDelaySeconds: 2147483647}
            """
        let m = try PodManifestParser.parse(try ConfigText.parse(yaml, source: "g.yaml"))
        var record = SandboxRecord(id: (try! Identifiers.newID()), config: PodSandboxConfig(name: "g", namespace: "default"), createdAt: 1)
        record.pause = ProcessIdentity(pid: 1, startTime: 1)
        let planner = PodPlanner(manifest: m, record: record, layout: PodLayout(directory: dir + "/pod"), logDirectory: dir + "/logs",
                                 manifestDirectory: dir, nodeIPs: ["192.0.2.1"], nodeName: "node1", finish: ["/bin/true"])
        var plan = try planner.prepare()
        #expect(plan["terminationGracePeriodSeconds"]?.int == SupervisorTiming.maxSeconds)
        // What an older or hand-written plan.json may hold: the supervisor clamps instead of wrapping.
        plan["terminationGracePeriodSeconds"] = .int(Int.max)
        try Files.writeAtomic(dir + "/plan.json", plan.compact)
        let r = check(dir + "/plan.json")
        #expect(r.code == 0, "\(r.err)")
        let tooBig = yaml.replacingFirst(" periodSeconds: 2147483647,", " periodSeconds: 3000000000,")
        #expect(throws: PodrigError.self) { try PodManifestParser.parse(try ConfigText.parse(tooBig, source: "g.yaml")) }
        do { _ = try PodManifestParser.parse(try ConfigText.parse(tooBig, source: "g.yaml")) } catch {
            #expect("\(error)".contains("livenessProbe.periodSeconds: 3000000000 does not fit an int32"), "\(error)")
        }
    }

    /// A pod user namespace adds no key: a `join` entry of type CLONE_NEWUSER (pause's ns/user),
    /// which the supervisor takes like any other and pr_spawn joins last. (Root: the pod's files
    /// are chowned to its mapped root.)
    @Test(.enabled(if: getuid() == 0)) func userNamespaceIsAJoinEntry() throws {
        let dir = "/tmp/podrig-unit-plan-\((try! Identifiers.newID()).prefix(8))"
        defer { try? Files.removeTree(dir) }
        let m = try PodManifestParser.parse(try ConfigText.parse("apiVersion: v1\nkind: Pod\nmetadata: {name: u}\nspec:\n  hostUsers: false\n  containers: [{name: c, image: x, command: [sleep, '1']}]\n", source: "u.yaml"))
        let map = [IDMapping(containerID: 0, hostID: 65536, length: 65536)]
        var record = SandboxRecord(id: (try! Identifiers.newID()), config: PodSandboxConfig(name: "u", userNamespace: UserNamespaceConfig(uids: map, gids: map)), createdAt: 1)
        record.pause = ProcessIdentity(pid: 4242, startTime: 1)
        let planner = PodPlanner(manifest: m, record: record, layout: PodLayout(directory: dir + "/pod"), logDirectory: dir + "/logs",
                                 manifestDirectory: dir, nodeIPs: [], nodeName: "node1", finish: [])
        let plan = try planner.prepare()
        let joins = plan["containers"]?[0]?["spawn"]?["join"]?.array ?? []
        #expect(joins.contains { $0["type"]?.int == Int(NamespaceKind.user.cloneFlag) && $0["path"]?.string == "/proc/4242/ns/user" }, "\(joins)")
        try Files.writeAtomic(dir + "/plan.json", plan.pretty + "\n")
        let ok = check(dir + "/plan.json")
        #expect(ok.code == 0, "\(ok.err)")
        var st = stat()
        #expect(stat(dir + "/pod/etc/hosts", &st) == 0 && st.st_uid == 65536 && st.st_gid == 65536)
    }
}
