import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigCluster
import PodrigSandbox

nonisolated(unsafe) var podUpSignal: Int32 = 0

struct PodUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Create and run the Pods of a Kubernetes manifest (kind: Pod, one or more documents).",
        discussion: """
            Containers run host programs (`image` is ignored) in the pod's namespaces. In the foreground, logs
            stream prefixed by container name and each step is shown with its time; Ctrl-C or SIGTERM
            terminates the pod gracefully and removes it. A pod with restartPolicy Never or OnFailure ends
            `up` when it completes, with the pod's outcome as exit status (the pod stays for `get` and `logs`
            until `podrig down`). With -d, `up` returns once every pod is Running (or has failed) and the pods
            stay supervised. With -i/-t (-it), as kubectl run -it --rm: this terminal is attached to the container
            created with stdin: true / tty: true (raw mode, window size and SIGWINCH passed on), and when the
            session ends the pods are taken down and up exits with the container's status. Containers without a seccompProfile get RuntimeDefault, as with kubelet's
            --seccomp-default (CRI configs given to `create` are Unconfined without one, as CRI says).
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions
    @OptionGroup var placement: NodeOptions
    @OptionGroup var rotation: LogRotationOptions

    @Flag(name: .shortAndLong, help: "Return once the pods are Running; leave them supervised.")
    var detach = false

    @Option(help: "With -d: how many seconds to wait for Running.")
    var timeout: Double = 120

    @Option(name: .customLong("configmap"), help: ArgumentHelp("A file of ConfigMaps and Secrets the manifest refers to (repeatable, as podman kube play --configmap).", valueName: "file"))
    var configMaps: [String] = []

    @Flag(name: [.customShort("i"), .customLong("stdin")], help: "Attach this terminal's stdin to the container with stdin: true (kubectl run -i); the pods go when the session ends.")
    var interactive = false

    @Flag(name: .shortAndLong, help: "Attach to the container with tty: true: this terminal goes raw, its window size follows (kubectl run -it).")
    var tty = false

    @Flag(help: "Kinds podrig cannot run (Service, Ingress, PersistentVolumeClaim, …) are errors instead of ignored.")
    var strict = false

    @Argument(help: ArgumentHelp("Manifest (YAML or JSON): Pods, Deployments, ReplicaSets, StatefulSets, Jobs, DaemonSets, ConfigMaps, Secrets.", valueName: "file"))
    var file: String

    func validate() throws { try SecondsOption.check(timeout, "--timeout") }

    func run() throws {
        global.apply()
        let set = try ManifestSet.load(path: file, configMapFiles: configMaps, strict: strict)
        let manifests = set.pods
        let attachTo = interactive || tty ? try interactiveTarget(manifests) : nil
        let manager = try makePodManager(global, network, pod, rotation: rotation)
        for i in set.ignored { note("ignored \(i)") }
        let templates = set.workloads.compactMap { try? $0.templatePod(set.configData) }
        if (manifests + templates).contains(where: { m in (m.spec.initContainers + m.spec.containers).contains { $0.image != nil } }) {
            note("container images are ignored: podrig runs each command from this host's filesystem")
        }
        for m in manifests { for n in m.notes { note("pod \(m.name): \(n)") } }
        for w in set.workloads { for n in w.notes { note("\(w.kind.rawValue.lowercased()) \(w.name): \(n)") } }
        let dir = Files.dirname(of: file)
        var pods: [PodManager.Pod] = []
        var flags = SandboxFlags(global, network)
        flags.cluster = placement.cluster
        let controller = WorkloadController(manager: manager, set: set, manifestDirectory: dir)
        controller.log = { step($0) }
        controller.place = { m throws(PodrigError) in try place(m, &flags) }
        // A DaemonSet's pods: one per ready node of the clusters (of --cluster), else one on this host.
        controller.daemonNodes = ClusterStore(root: global.root).list().filter { placement.cluster == nil || $0.name == placement.cluster }
            .flatMap { c in c.nodes.filter { $0.phase == .ready && c.phase == .ready }.map(\.name) }
        if !set.workloads.isEmpty || !set.configData.isEmpty {
            do { pods += try controller.apply() } catch {
                for p in pods { try? manager.down(p) }
                _ = controller.delete(gracePeriod: 1)
                throw error
            }
            for p in pods { step("pod \(p.manifest.namespace)/\(p.manifest.name): sandbox \(p.record.id.prefix(13)), pod IPs \(p.record.podIPs.joined(separator: ", "))") }
        }
        for m in manifests {
            let t0 = Clock.now()
            do {
                let p = try manager.up(m, manifestDirectory: dir, node: try place(m, &flags))
                let ips = p.record.podIPs.isEmpty ? "no pod IPs (loopback only)" : "pod IPs " + p.record.podIPs.joined(separator: ", ")
                step("pod \(m.namespace)/\(m.name): sandbox \(p.record.id.prefix(13)) ready\(p.record.netnsPath.map { " (netns \(Files.basename(of: $0)))" } ?? ""), \(ips) [\(Int((Clock.now() - t0) * 1000)) ms]")
                step("pod \(m.name): supervisor pid \(p.supervisor?.pid ?? 0), logs in \(p.logDirectory)")
                pods.append(p)
            } catch {
                for p in pods { try? manager.down(p) }
                _ = controller.delete(gracePeriod: 1)
                throw error
            }
        }
        if let attachTo {
            try attachInteractive(manager, pods, to: attachTo) {
                for p in pods { try? manager.down(p, gracePeriod: 1) }
                _ = controller.delete(gracePeriod: 1)
            }
            return
        }
        if detach {
            if controller.hasJobs { note("with -d only a Job's first pods start; a foreground `up` drives it to completion") }
            try waitRunning(manager, pods)
            return
        }
        try follow(manager, pods, controller: controller)
    }

    /// --node, else spec.nodeName when it names a cluster node (else this host, as before).
    func place(_ m: PodManifest, _ flags: inout SandboxFlags) throws(PodrigError) -> SandboxNode? {
        if let n = placement.node {
            flags.node = n
            return try flags.resolveNode()
        } else if let n = m.spec.nodeName, (try? ClusterStore(root: global.root).findNode(n, cluster: placement.cluster)) != nil {
            flags.node = n
            return try flags.resolveNode()
        } else if let n = m.spec.nodeName, !ClusterStore(root: global.root).names().isEmpty {
            note("pod \(m.name): spec.nodeName \(n) is not a cluster node; running on this host")
        }
        return nil
    }

    func note(_ s: String) { Log.write("note: \(s)\n") }
    func step(_ s: String) { print("\(clockTime(Time.nowNanos())) \(s)") }

    func waitRunning(_ manager: PodManager, _ pods: [PodManager.Pod]) throws {
        let deadline = Clock.now() + timeout
        var failed = false
        for p in pods {
            let t0 = Clock.now()
            var said = ""
            while true {
                let cur = try manager.load(p.record.id)
                let phase = cur.phase
                if Clock.now() - t0 > 1 {
                    // Said once a second has gone by, and again whenever what it waits for changes.
                    let d = PodStatusView.display(cur.manifest, status: cur.statusJSON, terminating: false)
                    let unready = (cur.manifest.spec.initContainers.filter(\.isSidecar) + cur.manifest.spec.containers)
                        .filter { !(cur.status?.container($0.name)?.ready ?? false) }.map(\.name)
                    let what = "waiting for pod \(cur.manifest.name) to be Running: \(d.status), \(d.ready)/\(d.total) ready"
                        + (unready.isEmpty ? "" : " (not ready: \(unready.joined(separator: ", ")))")
                    if what != said && phase == "Pending" {
                        Log.progress(what)
                        said = what
                    }
                }
                if phase == "Running" || phase == "Succeeded" || phase == "Failed" || !cur.supervisorAlive || Clock.now() > deadline {
                    let ip = cur.record.podIPs.first ?? "<none>"
                    print("pod/\(cur.manifest.name) \(phase) (IP \(ip), sandbox \(cur.record.id.prefix(13)))")
                    if phase == "Failed" || (phase != "Running" && phase != "Succeeded") { failed = true }
                    break
                }
                usleep(50_000)
            }
        }
        if failed { throw ExitCode(1) }
    }

    func follow(_ manager: PodManager, _ initial: [PodManager.Pod], controller: WorkloadController) throws {
        var pods = initial
        signal(SIGINT) { podUpSignal = $0 }
        signal(SIGTERM) { podUpSignal = $0 }
        let multi = pods.count > 1 || controller.hasJobs
        var eventOffsets = [Int](repeating: 0, count: pods.count)
        var tails: [String: CRILogTail] = [:]
        var done = [Bool](repeating: false, count: pods.count)
        var outcome: Int32 = 0
        while true {
            // The Job controller's pass: new pods join the ones followed.
            if controller.hasJobs, let more = try? controller.tick() {
                pods += more
                eventOffsets += [Int](repeating: 0, count: more.count)
                done += [Bool](repeating: false, count: more.count)
            }
            for (i, p) in pods.enumerated() where !done[i] {
                let prefix = multi ? "\(p.manifest.name)/" : ""
                // The pod's state first, its logs second: the supervisor writes every log line before
                // it reports the pod finished, so a finished pod's output is complete below.
                let cur = try? manager.load(p.record.id)
                if let bytes = try? Files.read(p.layout.events), bytes.count > eventOffsets[i] {
                    let text = String(decoding: bytes[eventOffsets[i]...], as: UTF8.self)
                    var consumed = 0
                    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                        consumed += line.utf8.count + 1
                        let f = line.split(separator: "\t", maxSplits: 2)
                        guard f.count == 3 else { continue }
                        let ts = String(f[0])
                        let who = f[1] == "-" ? "pod \(p.manifest.name)" : "\(prefix)\(f[1])"
                        print("\(ts.split(separator: "T").last.map { String($0.prefix(12)) } ?? ts) \(who): \(f[2])")
                    }
                    eventOffsets[i] += consumed
                }
                let status = SupervisorStatus.load(p.layout.status)
                for c in p.manifest.spec.initContainers + p.manifest.spec.containers {
                    let restarts = status?.container(c.name)?.restartCount ?? 0
                    for n in max(0, restarts - 1)...restarts {
                        let path = "\(p.logDirectory)/\(c.name)/\(n).log"
                        var t = tails[path] ?? CRILogTail(path: path)
                        for l in t.read() { print("\(prefix)\(c.name) | \(l.message)") }
                        tails[path] = t
                    }
                }
                if let cur, let result = cur.status?.result, !cur.supervisorAlive {
                    done[i] = true
                    print("\(clockTime(Time.nowNanos())) pod \(p.manifest.name): \(result)")
                    // A Job's pods may fail and be retried: the Job's outcome is up's, not each pod's.
                    if result == "Failed" && p.manifest.owner?.kind != "Job" {
                        let all = p.manifest.spec.initContainers + p.manifest.spec.containers
                        let code = all.compactMap { cur.status?.container($0.name)?.terminated?.exitCode }.first { $0 != 0 }
                        outcome = outcome != 0 ? outcome : Int32(clamping: code ?? 1)  // a damaged status's code: no Int32 trap
                    }
                } else if cur == nil || (!(cur?.supervisorAlive ?? false) && podUpSignal == 0) {
                    done[i] = true
                    print("\(clockTime(Time.nowNanos())) pod \(p.manifest.name): supervisor is gone")
                    outcome = outcome != 0 ? outcome : 1
                }
            }
            fflush(nil)
            if done.allSatisfy({ $0 }) && controller.jobsFinished { break }
            if podUpSignal != 0 {
                let sig = podUpSignal
                print("\(clockTime(Time.nowNanos())) \(sig == SIGINT ? "interrupted" : "terminated"): stopping the pods gracefully")
                fflush(nil)
                for p in pods {
                    do { try manager.down(p) } catch { Log.write("podrig: error: down \(p.manifest.name): \(error.asPodrigError)\n") }
                    print("\(clockTime(Time.nowNanos())) pod \(p.manifest.name): removed")
                }
                _ = controller.delete(gracePeriod: 1)
                throw ExitCode(128 + sig)
            }
            usleep(100_000)
        }
        if controller.anyJobFailed && outcome == 0 { outcome = 1 }
        if outcome != 0 { throw ExitCode(outcome) }
    }
}
