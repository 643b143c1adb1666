#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox

/// podrig as the only controller: at `up` it does once what the ReplicaSet, Deployment,
/// StatefulSet, Job and DaemonSet controllers would (create the missing pods, named and labelled
/// as they name and label them); `tick` drives Jobs while a foreground `up` runs.
public final class WorkloadController: @unchecked Sendable {
    public let manager: PodManager
    public let set: ManifestSet
    public let manifestDirectory: String
    /// Step lines ("statefulset web: pod web-0 Ready").
    public var log: (String) -> Void = { _ in }
    /// How long a StatefulSet pod may take to be Ready before the next one (OrderedReady).
    public var readyTimeout: Double = 120
    /// Where a pod runs (a cluster node, or nil: this host), as `up` places bare pods.
    public var place: (PodManifest) throws(PodrigError) -> SandboxNode? = { _ in nil }
    /// The nodes a DaemonSet puts one pod on each of (none: one pod on this host).
    public var daemonNodes: [String] = []
    var store: WorkloadStore { manager.workloadStore }
    var jobStart: [String: Int64] = [:]
    public private(set) var jobOutcome: [String: String] = [:]

    public init(manager: PodManager, set: ManifestSet, manifestDirectory: String) {
        self.manager = manager
        self.set = set
        self.manifestDirectory = manifestDirectory
    }

    static func ownerRef(_ kind: String, _ apiVersion: String, _ r: WorkloadStore.Record) -> JSON {
        ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(r.name), "uid": .string(r.uid),
         "controller": true, "blockOwnerDeletion": true]
    }

    func owned(_ uid: String) throws(PodrigError) -> [PodManager.Pod] {
        try manager.list().filter { $0.manifest.owner?.uid == uid }.sorted { $0.record.createdAt < $1.record.createdAt }
    }

    func create(_ w: Workload, _ json: JSON) throws(PodrigError) -> PodManager.Pod {
        var m = try PodManifestParser.parse(json)
        m.configData = set.configData
        return try manager.up(m, manifestDirectory: manifestDirectory, node: try place(m))
    }

    public static func isReady(_ p: PodManager.Pod) -> Bool {
        p.statusJSON["conditions"]?.array?.contains { $0["type"]?.string == "Ready" && $0["status"]?.string == "True" } ?? false
    }

    /// Saves the ConfigMaps, Secrets and workloads, and creates every missing pod. Returns the pods made.
    public func apply() throws(PodrigError) -> [PodManager.Pod] {
        for o in set.configData.objects.values {
            try store.save(kind: o.kind.rawValue, namespace: o.namespace, name: o.name, object: o.raw)
        }
        var made: [PodManager.Pod] = []
        for w in set.workloads {
            switch w.kind {
            case .deployment: made += try deployment(w)
            case .replicaSet:
                let rec = try store.save(kind: w.kind.rawValue, namespace: w.namespace, name: w.name, object: w.raw)
                made += try replicas(w, owner: rec, kind: "ReplicaSet", count: w.replicas, labels: [:], base: w.name + "-")
            case .statefulSet: made += try statefulSet(w)
            case .daemonSet:
                let rec = try store.save(kind: w.kind.rawValue, namespace: w.namespace, name: w.name, object: w.raw,
                                         status: ["desiredNumberScheduled": .int(max(1, daemonNodes.count))])
                made += try daemonSet(w, rec)
            case .job:
                let rec = try store.save(kind: w.kind.rawValue, namespace: w.namespace, name: w.name, object: w.raw)
                made += try job(w, rec)
            }
        }
        return made
    }

    func deployment(_ w: Workload) throws(PodrigError) -> [PodManager.Pod] {
        let dep = try store.save(kind: "Deployment", namespace: w.namespace, name: w.name, object: w.raw)
        let hash = WorkloadNames.templateHash(w.template)
        let rsName = "\(w.name)-\(hash)"
        var template = w.template
        var tl = template["metadata"]?["labels"]?.object ?? JSONObject()
        tl["pod-template-hash"] = .string(hash)
        template["metadata"]?["labels"] = .object(tl)
        var sel = JSONObject()
        for (k, v) in w.selector { sel[k] = .string(v) }
        sel["pod-template-hash"] = .string(hash)
        let rs: JSON = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string(rsName), "namespace": .string(w.namespace), "labels": .object(tl),
                         "ownerReferences": [WorkloadController.ownerRef("Deployment", "apps/v1", dep)]],
            "spec": ["replicas": .int(w.replicas), "selector": ["matchLabels": .object(sel)], "template": template],
        ]
        let rec = try store.save(kind: "ReplicaSet", namespace: w.namespace, name: rsName, object: rs)
        return try replicas(w, owner: rec, kind: "ReplicaSet", count: w.replicas, labels: ["pod-template-hash": hash], base: rsName + "-")
    }

    func replicas(_ w: Workload, owner: WorkloadStore.Record, kind: String, count: Int, labels: [String: String], base: String) throws(PodrigError) -> [PodManager.Pod] {
        let have = try owned(owner.uid).count
        var made: [PodManager.Pod] = []
        for _ in 0..<max(0, count - have) {
            var name = WorkloadNames.generate(base)
            while (try? manager.find(name, namespace: w.namespace)) != nil { name = WorkloadNames.generate(base) }
            made.append(try create(w, w.podJSON(name: name, labels: labels, owner: WorkloadController.ownerRef(kind, "apps/v1", owner))))
            log("\(kind.lowercased()) \(owner.name): created pod \(name)")
        }
        return made
    }

    func daemonSet(_ w: Workload, _ rec: WorkloadStore.Record) throws(PodrigError) -> [PodManager.Pod] {
        let labels = ["controller-revision-hash": WorkloadNames.templateHash(w.template), "pod-template-generation": "1"]
        let owner = WorkloadController.ownerRef("DaemonSet", "apps/v1", rec)
        let have = try owned(rec.uid)
        var made: [PodManager.Pod] = []
        for node in daemonNodes.isEmpty ? [nil] : daemonNodes.map(Optional.some) {
            if have.contains(where: { node == nil || $0.manifest.spec.nodeName == node }) { continue }
            var name = WorkloadNames.generate(w.name + "-")
            while (try? manager.find(name, namespace: w.namespace)) != nil { name = WorkloadNames.generate(w.name + "-") }
            var json = w.podJSON(name: name, labels: labels, owner: owner)
            if let node { json["spec"]?["nodeName"] = .string(node) }
            made.append(try create(w, json))
            log("daemonset \(w.name): created pod \(name)\(node.map { " on node \($0)" } ?? "")")
        }
        return made
    }

    func statefulSet(_ w: Workload) throws(PodrigError) -> [PodManager.Pod] {
        let rec = try store.save(kind: "StatefulSet", namespace: w.namespace, name: w.name, object: w.raw)
        let revision = "\(w.name)-\(WorkloadNames.templateHash(w.template))"
        var made: [PodManager.Pod] = []
        for i in 0..<w.replicas {
            let name = "\(w.name)-\(i)"
            var pod: PodManager.Pod
            if let existing = try? manager.find(name, namespace: w.namespace) {
                pod = existing
            } else {
                let labels = ["controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": String(i)]
                pod = try create(w, w.podJSON(name: name, labels: labels, owner: WorkloadController.ownerRef("StatefulSet", "apps/v1", rec)))
                made.append(pod)
                log("statefulset \(w.name): created pod \(name)")
            }
            // OrderedReady: the next ordinal only once this one is Running and Ready.
            if !w.parallel && i + 1 < w.replicas {
                let deadline = Clock.now() + readyTimeout
                while true {
                    guard let cur = try? manager.load(pod.record.id) else { break }
                    if WorkloadController.isReady(cur) { break }
                    if !cur.supervisorAlive || cur.phase == "Failed" || cur.phase == "Succeeded" || Clock.now() > deadline {
                        throw PodrigError(.timeout, "statefulset \(w.name): pod \(name) is \(cur.phase), not Ready; \(w.name)-\(i + 1) and later not started (OrderedReady)")
                    }
                    usleep(100_000)
                }
                log("statefulset \(w.name): pod \(name) Ready")
            }
        }
        return made
    }

    // MARK: Jobs

    public var jobsFinished: Bool { self.set.workloads.filter { $0.kind == .job }.allSatisfy { jobOutcome[$0.namespace + "/" + $0.name] != nil } }
    public var hasJobs: Bool { self.set.workloads.contains { $0.kind == .job } }
    public var anyJobFailed: Bool { jobOutcome.values.contains { $0 != "Complete" } }

    /// One pass of the Job controller over every Job of the set: counts, deadline, backoff, new pods.
    public func tick() throws(PodrigError) -> [PodManager.Pod] {
        var made: [PodManager.Pod] = []
        for w in set.workloads where w.kind == .job {
            guard let rec = store.load("Job", w.namespace, w.name) else { continue }
            made += try job(w, rec)
        }
        return made
    }

    func job(_ w: Workload, _ rec: WorkloadStore.Record) throws(PodrigError) -> [PodManager.Pod] {
        let key = w.namespace + "/" + w.name
        if jobOutcome[key] != nil { return [] }
        let pods = try owned(rec.uid)
        let succeededPods = pods.filter { $0.phase == "Succeeded" }
        let failed = pods.filter { $0.phase == "Failed" }.count
            + pods.reduce(0) { n, p in n + (p.status?.containers.reduce(0) { $0 + $1.restartCount } ?? 0) }
        let active = pods.filter { $0.phase != "Succeeded" && $0.phase != "Failed" }
        let doneIndexes = Set(succeededPods.compactMap { $0.manifest.annotations["batch.kubernetes.io/job-completion-index"].flatMap { Int($0) } })
        let succeeded = w.indexed ? doneIndexes.count : succeededPods.count
        let start = jobStart[key] ?? rec.created
        var outcome: (type: String, reason: String, message: String)?
        if let d = w.activeDeadlineSeconds, Time.nowNanos().subtracting(saturating: start) > Int64(d).multiplied(saturating: 1_000_000_000) {
            outcome = ("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")
        } else if failed > w.backoffLimit {
            outcome = ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        } else if let c = w.completions, succeeded >= c {
            outcome = ("Complete", "CompletionsReached", "Reached expected number of succeeded pods")
        } else if w.completions == nil, succeeded > 0, active.isEmpty {
            outcome = ("Complete", "CompletionsReached", "Reached expected number of succeeded pods")
        }
        var made: [PodManager.Pod] = []
        if outcome == nil {
            let remaining = w.completions.map { $0 - succeeded } ?? (succeeded > 0 ? 0 : w.parallelism)
            let want = max(0, min(w.parallelism, remaining) - active.count)
            var activeIndexes = Set(active.compactMap { $0.manifest.annotations["batch.kubernetes.io/job-completion-index"].flatMap { Int($0) } })
            for _ in 0..<want {
                var labels = ["batch.kubernetes.io/controller-uid": rec.uid, "batch.kubernetes.io/job-name": w.name,
                              "controller-uid": rec.uid, "job-name": w.name]
                var annotations: [String: String] = [:]
                var base = w.name + "-"
                if w.indexed, let c = w.completions {
                    guard let idx = (0..<c).first(where: { !doneIndexes.contains($0) && !activeIndexes.contains($0) }) else { break }
                    activeIndexes.insert(idx)
                    labels["batch.kubernetes.io/job-completion-index"] = String(idx)
                    annotations["batch.kubernetes.io/job-completion-index"] = String(idx)
                    base = "\(w.name)-\(idx)-"
                }
                var name = WorkloadNames.generate(base)
                while (try? manager.find(name, namespace: w.namespace)) != nil { name = WorkloadNames.generate(base) }
                var json = w.podJSON(name: name, labels: labels, owner: WorkloadController.ownerRef("Job", "batch/v1", rec), annotations: annotations)
                if w.indexed { json = WorkloadController.withCompletionIndexEnv(json, name: w.name, index: annotations["batch.kubernetes.io/job-completion-index"] ?? "0") }
                made.append(try create(w, json))
                log("job \(w.name): created pod \(name)")
            }
        } else {
            for p in active { try? manager.down(p, gracePeriod: 1) }
        }
        var status: JSON = ["startTime": .string(Time.rfc3339(start)), "succeeded": .int(succeeded), "failed": .int(failed),
                            "active": .int(outcome == nil ? active.count + made.count : 0)]
        if let o = outcome {
            jobOutcome[key] = o.type
            let now = Time.rfc3339(Time.nowNanos())
            status["conditions"] = [["type": .string(o.type), "status": "True", "reason": .string(o.reason), "message": .string(o.message),
                                     "lastProbeTime": .string(now), "lastTransitionTime": .string(now)]]
            if o.type == "Complete" { status["completionTime"] = .string(now) }
            log("job \(w.name): \(o.type) (\(o.reason), \(succeeded) succeeded, \(failed) failed)")
        }
        try store.save(kind: "Job", namespace: w.namespace, name: w.name, object: rec.object, status: status)
        return made
    }

    /// Indexed Jobs: JOB_COMPLETION_INDEX from the pod's annotation, and hostname <job>-<index>.
    static func withCompletionIndexEnv(_ pod: JSON, name: String, index: String) -> JSON {
        var p = pod
        let env: JSON = ["name": "JOB_COMPLETION_INDEX",
                         "valueFrom": ["fieldRef": ["fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"]]]
        for key in ["initContainers", "containers"] {
            guard var list = p["spec"]?[key]?.array else { continue }
            for i in list.indices {
                var e = list[i]["env"]?.array ?? []
                e.insert(env, at: 0)
                list[i]["env"] = .array(e)
            }
            p["spec"]?[key] = .array(list)
        }
        if p["spec"]?["hostname"] == nil { p["spec"]?["hostname"] = .string("\(name)-\(index)") }
        return p
    }

    // MARK: down -f

    /// Removes every pod and object the set made (like `podman kube down`); lines as kubectl prints them.
    public func delete(gracePeriod: Int? = nil) -> (lines: [String], failures: [String]) {
        var lines: [String] = [], failures: [String] = []
        let pods = (try? manager.list()) ?? []
        func down(_ p: PodManager.Pod) {
            do { try manager.down(p, gracePeriod: gracePeriod) } catch { failures.append("pod \(p.manifest.name): \(error)") }
        }
        for m in set.pods {
            if let p = pods.first(where: { $0.manifest.name == m.name && $0.manifest.namespace == m.namespace }) {
                down(p)
                lines.append("pod \"\(m.name)\" deleted")
            }
        }
        for w in set.workloads {
            guard let rec = store.load(w.kind.rawValue, w.namespace, w.name) else { continue }
            var uids = [rec.uid]
            if w.kind == .deployment {
                for rs in store.list(kind: "ReplicaSet") where rs.namespace == w.namespace && rs.object["metadata"]?["ownerReferences"]?[0]?["uid"]?.string == rec.uid {
                    uids.append(rs.uid)
                    store.remove("ReplicaSet", rs.namespace, rs.name)
                }
            }
            for p in pods where uids.contains(p.manifest.owner?.uid ?? "-") { down(p) }
            store.remove(w.kind.rawValue, w.namespace, w.name)
            lines.append("\(w.kind.resource) \"\(w.name)\" deleted")
        }
        for o in set.configData.objects.values.sorted(by: { $0.name < $1.name }) where store.load(o.kind.rawValue, o.namespace, o.name) != nil {
            store.remove(o.kind.rawValue, o.namespace, o.name)
            lines.append("\(o.kind.rawValue.lowercased()) \"\(o.name)\" deleted")
        }
        return (lines, failures)
    }
}
