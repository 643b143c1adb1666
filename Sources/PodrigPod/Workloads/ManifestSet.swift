import PodrigCore

/// Everything one manifest file (plus `--configmap` files) holds, as `podman kube play` reads it:
/// Pods, ConfigMaps, Secrets and the workload kinds podrig acts as the controller for; kinds it
/// cannot run (Service, Ingress, PersistentVolumeClaim, …) are listed as ignored, or refused with
/// `strict`. Every reference is checked before anything starts.
public struct ManifestSet: Sendable {
    public var pods: [PodManifest] = []
    public var workloads: [Workload] = []
    public var configData = ConfigData()
    /// "Service/web: podrig has no Services (no kube-proxy or cluster DNS)", one per document.
    public var ignored: [String] = []

    public init() {}

    /// Kinds that configure a cluster rather than run a pod, and why podrig passes over them.
    static let ignoredKinds: [String: String] = [
        "Service": "podrig has no Services (no kube-proxy or cluster DNS); pods are reached on their IPs",
        "Ingress": "podrig has no ingress controller",
        "PersistentVolumeClaim": "podrig has no volume provisioner (use hostPath or emptyDir)",
        "PersistentVolume": "podrig has no volume provisioner (use hostPath or emptyDir)",
        "StorageClass": "podrig has no volume provisioner",
        "NetworkPolicy": "podrig enforces no network policy",
        "ServiceAccount": "podrig has no API server, so no service account tokens",
        "Role": "podrig has no API server (RBAC)", "RoleBinding": "podrig has no API server (RBAC)",
        "ClusterRole": "podrig has no API server (RBAC)", "ClusterRoleBinding": "podrig has no API server (RBAC)",
        "Namespace": "namespaces need no object: a pod's metadata.namespace is enough",
        "HorizontalPodAutoscaler": "podrig has no autoscaler (the controller runs once, at up)",
        "PodDisruptionBudget": "podrig evicts nothing",
        "LimitRange": "podrig has no admission control", "ResourceQuota": "podrig has no admission control",
    ]

    /// checkReferences false: `down -f` needs names, not the ConfigMaps a pod refers to.
    public static func load(path: String, configMapFiles: [String] = [], strict: Bool = false, checkReferences: Bool = true) throws(PodrigError) -> ManifestSet {
        var set = ManifestSet()
        for f in configMapFiles {
            for (where_, doc) in try documents(f) {
                let kind = doc["kind"]?.string ?? "(no kind)"
                guard kind == "ConfigMap" || kind == "Secret" else {
                    throw PodrigError.invalid("\(where_): --configmap files hold ConfigMaps and Secrets, not kind \(kind)")
                }
                do { set.configData.add(try ConfigObjectParser.parse(doc)) } catch { throw error.context(where_) }
            }
        }
        var origin: [String: String] = [:]  // "pod ns/name" → the document it came from
        for (where_, doc) in try documents(path) {
            let (np, nw) = (set.pods.count, set.workloads.count)
            do { try set.add(doc, strict: strict) } catch { throw error.context(where_) }
            if let p = set.pods.last, set.pods.count > np { origin["pod \(p.namespace)/\(p.name)"] = where_ }
            if let w = set.workloads.last, set.workloads.count > nw { origin["\(w.kind.rawValue) \(w.namespace)/\(w.name)"] = where_ }
        }
        var seen: Set<String> = []
        for p in set.pods where !seen.insert(p.namespace + "/" + p.name).inserted {
            throw PodrigError.invalid("\(path): pod \(p.namespace)/\(p.name) appears twice")
        }
        for w in set.workloads where !seen.insert("\(w.kind.rawValue)/\(w.namespace)/\(w.name)").inserted {
            throw PodrigError.invalid("\(path): \(w.kind.rawValue) \(w.namespace)/\(w.name) appears twice")
        }
        if set.pods.isEmpty && set.workloads.isEmpty && set.configData.isEmpty {
            throw PodrigError.invalid("\(path): nothing to run (no Pod or workload documents)")
        }
        for i in set.pods.indices { set.pods[i].configData = set.configData }
        if !checkReferences { return set }
        // References are resolved now, so a missing key fails before any pod starts.
        for p in set.pods {
            let what = "pod \(p.namespace)/\(p.name)"
            do { try ConfigResolution.check(p) } catch { throw error.context("\(origin[what] ?? path): \(what)") }
        }
        for w in set.workloads {
            let what = "\(w.kind.rawValue) \(w.namespace)/\(w.name)"
            do { try ConfigResolution.check(try w.templatePod(set.configData)) } catch {
                throw error.context("\(origin[what] ?? path): \(what): spec.template")
            }
        }
        return set
    }

    /// The documents of a file (List items flattened), each with where it is ("f (document 2)").
    static func documents(_ path: String) throws(PodrigError) -> [(String, JSON)] {
        let text: String
        do { text = try Files.readString(path) } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "\(path): no such file") }
            throw error
        }
        let docs = try ConfigText.parseAll(text, source: path)
        if docs.isEmpty { throw PodrigError.invalid("\(path): no documents") }
        var out: [(String, JSON)] = []
        for (i, doc) in docs.enumerated() {
            let where_ = docs.count > 1 ? "\(path) (document \(i + 1))" : path
            guard doc.object != nil else { throw PodrigError.invalid("\(where_): expected an object, got \(doc.kindName)") }
            if doc["kind"]?.string == "List" {
                for (j, item) in (doc["items"]?.array ?? []).enumerated() { out.append(("\(where_) items[\(j)]", item)) }
            } else {
                out.append((where_, doc))
            }
        }
        return out
    }

    mutating func add(_ doc: JSON, strict: Bool) throws(PodrigError) {
        let kind = doc["kind"]?.string ?? "(no kind)"
        let name = doc["metadata"]?["name"]?.string ?? "(no name)"
        switch kind {
        case "Pod": pods.append(try PodManifestParser.parse(doc))
        case "ConfigMap", "Secret": configData.add(try ConfigObjectParser.parse(doc))
        case _ where WorkloadKind(rawValue: kind) != nil: workloads.append(try WorkloadParser.parse(doc))
        case "CronJob":
            throw PodrigError.invalid("kind CronJob is not supported: podrig acts once, at up (copy its jobTemplate into a kind: Job document)")
        default:
            if let why = ManifestSet.ignoredKinds[kind] {
                if strict { throw PodrigError.invalid("kind \(kind) (\(name)) cannot run here: \(why) (--strict)") }
                ignored.append("\(kind)/\(name): \(why)")
                return
            }
            throw PodrigError.invalid("kind \(kind) is not supported: podrig runs Pod, Deployment, ReplicaSet, StatefulSet, Job and DaemonSet documents (with ConfigMaps and Secrets)")
        }
    }
}
