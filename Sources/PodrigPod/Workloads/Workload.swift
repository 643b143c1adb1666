import PodrigCore

public enum WorkloadKind: String, Sendable, CaseIterable {
    case deployment = "Deployment", replicaSet = "ReplicaSet", statefulSet = "StatefulSet", job = "Job", daemonSet = "DaemonSet"

    public var apiVersion: String { self == .job ? "batch/v1" : "apps/v1" }
    /// kubectl's resource.group (`deployment.apps/web`).
    public var resource: String { self == .job ? "job.batch" : rawValue.lowercased() + ".apps" }
}

/// A Deployment, ReplicaSet, StatefulSet, Job or DaemonSet: what its controller needs.
public struct Workload: Sendable {
    public var kind: WorkloadKind
    public var name: String
    public var namespace: String
    public var raw: JSON
    /// spec.template (metadata + spec).
    public var template: JSON
    public var replicas = 1
    public var selector: [String: String] = [:]
    // StatefulSet
    public var serviceName: String?
    public var parallel = false
    /// volumeClaimTemplates names: a per-pod emptyDir stands in (no provisioner).
    public var claimNames: [String] = []
    // Job
    public var completions: Int?
    public var parallelism = 1
    public var backoffLimit = 6
    public var activeDeadlineSeconds: Int?
    public var indexed = false
    public var notes: [String] = []

    /// The template as a Pod (placeholder name), for checks before anything starts.
    public func templatePod(_ data: ConfigData) throws(PodrigError) -> PodManifest {
        var m = try PodManifestParser.parse(podJSON(name: name + "-check", labels: [:], owner: nil))
        m.configData = data
        return m
    }

    /// The pod a controller would create from the template.
    func podJSON(name pod: String, labels extra: [String: String], owner: JSON?, annotations: [String: String] = [:]) -> JSON {
        var meta = template["metadata"]?.object ?? JSONObject()
        var labels = meta["labels"]?.object ?? JSONObject()
        for (k, v) in extra { labels[k] = .string(v) }
        meta["labels"] = labels.isEmpty ? nil : .object(labels)
        if !annotations.isEmpty {
            var a = meta["annotations"]?.object ?? JSONObject()
            for (k, v) in annotations { a[k] = .string(v) }
            meta["annotations"] = .object(a)
        }
        meta["name"] = .string(pod)
        meta["namespace"] = .string(namespace)
        meta["generateName"] = nil
        if let owner { meta["ownerReferences"] = .array([owner]) }
        var spec = template["spec"] ?? JSON.object(JSONObject())
        if kind == .statefulSet {
            spec["hostname"] = .string(pod)
            if let s = serviceName, !s.isEmpty { spec["subdomain"] = .string(s) }
            if !claimNames.isEmpty {
                var vols = spec["volumes"]?.array ?? []
                for c in claimNames where !vols.contains(where: { $0["name"]?.string == c }) {
                    vols.append(["name": .string(c), "emptyDir": .object(JSONObject())])
                }
                spec["volumes"] = .array(vols)
            }
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(meta), "spec": spec]
    }
}

public enum WorkloadParser {
    public static func parse(_ json: JSON) throws(PodrigError) -> Workload {
        var r = ConfigReader(json, path: "")
        guard let kind = (try r.string("kind")).flatMap(WorkloadKind.init(rawValue:)) else { throw PodrigError.invalid("kind: expected a workload kind") }
        let api = try r.string("apiVersion")
        guard api == kind.apiVersion else { throw PodrigError.invalid("apiVersion: expected \(kind.apiVersion) for a \(kind.rawValue), got \(api ?? "nothing")") }
        var m = ConfigReader(.object(try r.object("metadata") ?? JSONObject()), path: "metadata")
        guard let name = try m.string("name") else { throw PodrigError.invalid("metadata.name: required") }
        try Validate.dns1123Subdomain(name, what: "metadata.name")
        if kind == .statefulSet || kind == .deployment { try Validate.dns1123Label(name, what: "metadata.name") }
        let namespace = try m.string("namespace") ?? "default"
        try Validate.dns1123Label(namespace, what: "metadata.namespace")
        m.ignoreRest()
        guard let specObj = try r.object("spec") else { throw PodrigError.invalid("spec: required") }
        _ = r.take("status")
        try r.finish()
        var s = ConfigReader(.object(specObj), path: "spec")
        guard let template = try s.object("template") else { throw PodrigError.invalid("spec.template: required") }
        var raw = json
        raw["status"] = nil
        raw["metadata"]?["namespace"] = .string(namespace)
        var w = Workload(kind: kind, name: name, namespace: namespace, raw: raw, template: .object(template))
        if kind != .job && kind != .daemonSet {
            let n = try s.int("replicas") ?? 1
            guard n >= 0 else { throw PodrigError.invalid("spec.replicas: must be ≥ 0") }
            w.replicas = n
        }
        let tlabels = template["metadata"]?["labels"]?.object ?? JSONObject()
        if let sel = try s.object("selector") {
            var sr = ConfigReader(.object(sel), path: "spec.selector")
            w.selector = try sr.stringMap("matchLabels") ?? [:]
            if sr.take("matchExpressions") != nil { w.notes.append("spec.selector.matchExpressions is not checked against the template") }
            try sr.finish()
            for (k, v) in w.selector where tlabels[k]?.string != v {
                throw PodrigError.invalid("spec.template.metadata.labels: `selector` does not match template `labels` (\(k)=\(v))")
            }
        } else if kind != .job {
            throw PodrigError.invalid("spec.selector: required")
        }
        switch kind {
        case .statefulSet:
            w.serviceName = try s.string("serviceName")
            if let p = try s.string("podManagementPolicy") {
                guard p == "OrderedReady" || p == "Parallel" else { throw PodrigError.invalid("spec.podManagementPolicy: expected OrderedReady or Parallel, got \"\(p)\"") }
                w.parallel = p == "Parallel"
            }
            for (i, c) in (try s.array("volumeClaimTemplates") ?? []).enumerated() {
                guard let n = c["metadata"]?["name"]?.string else { throw PodrigError.invalid("spec.volumeClaimTemplates[\(i)].metadata.name: required") }
                w.claimNames.append(n)
            }
            if !w.claimNames.isEmpty { w.notes.append("spec.volumeClaimTemplates: each pod gets an emptyDir for \(w.claimNames.joined(separator: ", ")) (no volume provisioner; data does not outlive the pod)") }
            for k in ["updateStrategy", "revisionHistoryLimit", "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"] { _ = s.take(k) }
        case .job:
            w.completions = try s.int("completions")
            if let c = w.completions, c < 0 { throw PodrigError.invalid("spec.completions: must be ≥ 0") }
            w.parallelism = try s.int("parallelism") ?? 1
            if w.parallelism < 0 { throw PodrigError.invalid("spec.parallelism: must be ≥ 0") }
            w.backoffLimit = try s.int("backoffLimit") ?? 6
            if w.backoffLimit < 0 { throw PodrigError.invalid("spec.backoffLimit: must be ≥ 0") }
            w.activeDeadlineSeconds = try s.int("activeDeadlineSeconds")
            if let d = w.activeDeadlineSeconds, d <= 0 { throw PodrigError.invalid("spec.activeDeadlineSeconds: must be > 0") }
            if let mode = try s.string("completionMode") {
                guard mode == "NonIndexed" || mode == "Indexed" else { throw PodrigError.invalid("spec.completionMode: expected NonIndexed or Indexed") }
                w.indexed = mode == "Indexed"
                if w.indexed && w.completions == nil { throw PodrigError.invalid("spec.completions: required when completionMode is Indexed") }
            }
            let rp = template["spec"]?["restartPolicy"]?.string
            guard rp == "Never" || rp == "OnFailure" else {
                throw PodrigError.invalid("spec.template.spec.restartPolicy: a Job's pods need Never or OnFailure, got \(rp ?? "nothing (Always)")")
            }
            for k in ["manualSelector", "ttlSecondsAfterFinished", "suspend", "podFailurePolicy", "successPolicy", "backoffLimitPerIndex",
                      "maxFailedIndexes", "podReplacementPolicy"] { _ = s.take(k) }
        case .deployment:
            for k in ["strategy", "revisionHistoryLimit", "minReadySeconds", "progressDeadlineSeconds", "paused"] { _ = s.take(k) }
        case .replicaSet:
            _ = s.take("minReadySeconds")
        case .daemonSet:
            for k in ["updateStrategy", "revisionHistoryLimit", "minReadySeconds"] { _ = s.take(k) }
        }
        try s.finish()
        // The template must be a valid Pod (checked with the workload's name in the error).
        do { _ = try PodManifestParser.parse(w.podJSON(name: name + "-check", labels: [:], owner: nil)) } catch {
            throw error.context("spec.template")
        }
        return w
    }
}

/// The controllers' naming rules (kube-controller-manager): the pod-template-hash, the
/// apiserver's generateName suffix, and their "safe" alphabet without vowels.
public enum WorkloadNames {
    static let alphanums = Array("bcdfghjklmnpqrstvwxz2456789".utf8)

    /// rand.SafeEncodeString: each byte of s mapped into the alphabet.
    public static func safeEncode(_ s: String) -> String {
        String(decoding: s.utf8.map { alphanums[Int($0) % alphanums.count] }, as: UTF8.self)
    }

    /// controller.ComputeHash: FNV-1a 32 over the template, safe-encoded decimal. Kubernetes hashes
    /// the Go struct as spew prints it; podrig hashes the template's canonical JSON (sorted keys), so
    /// the value is stable for a template but not the number a cluster would compute.
    public static func templateHash(_ template: JSON) -> String {
        var h: UInt32 = 0x811C9DC5
        for b in canonical(template).utf8 {
            h ^= UInt32(b)
            h = h &* 0x01000193
        }
        return safeEncode(String(h))
    }

    static func canonical(_ j: JSON) -> String {
        switch j {
        case .object(let o): return "{" + o.keys.sorted().map { "\(JSON.string($0).compact):\(canonical(o[$0]!))" }.joined(separator: ",") + "}"
        case .array(let a): return "[" + a.map(canonical).joined(separator: ",") + "]"
        default: return j.compact
        }
    }

    /// names.SimpleNameGenerator: the base cut to 58 characters, then 5 random characters.
    public static func generate(_ base: String) -> String {
        let b = String(base.prefix(58))
        return b + String(decoding: (0..<5).map { _ in alphanums.randomElement()! }, as: UTF8.self)
    }
}
