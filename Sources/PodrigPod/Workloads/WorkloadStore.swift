import PodrigCore

/// What `up` made besides pods: workload objects (and the ReplicaSets of Deployments),
/// ConfigMaps and Secrets, one JSON file each under <root>/workloads, so `get` and `down -f`
/// find them. A record is `{"object": <the object with uid and creationTimestamp>, "created": ns}`.
public struct WorkloadStore: Sendable {
    public let directory: String

    public init(root: String) { directory = root + "/workloads" }

    public struct Record: Sendable {
        public var kind: String
        public var namespace: String
        public var name: String
        public var object: JSON
        public var created: Int64
        public var uid: String { object["metadata"]?["uid"]?.string ?? "" }
    }

    func file(_ kind: String, _ namespace: String, _ name: String) -> String { "\(directory)/\(namespace)_\(kind)_\(name).json" }

    public func load(_ kind: String, _ namespace: String, _ name: String) -> Record? {
        guard let text = try? Files.readString(file(kind, namespace, name)), let j = try? JSONParser.parse(text),
              let o = j["object"] else { return nil }
        return Record(kind: kind, namespace: namespace, name: name, object: o, created: Int64(j["created"]?.int ?? 0))
    }

    /// Saves `object` (keeping the uid and creation time of an existing record) and returns the record.
    @discardableResult
    public func save(kind: String, namespace: String, name: String, object: JSON, status: JSON? = nil) throws(PodrigError) -> Record {
        try Files.makeDirectories(directory, mode: 0o755)
        let old = load(kind, namespace, name)
        let created = old?.created ?? Time.nowNanos()
        var o = object
        var uid = old?.uid ?? ""
        if uid.isEmpty { uid = try Identifiers.newUUID() }
        o["metadata"]?["uid"] = .string(uid)
        o["metadata"]?["namespace"] = .string(namespace)
        o["metadata"]?["creationTimestamp"] = .string(Time.rfc3339(created))
        if let status { o["status"] = status } else if let s = old?.object["status"] { o["status"] = s }
        let rec: JSON = ["object": o, "created": .int(Int(created))]
        try Files.writeAtomic(file(kind, namespace, name), rec.compact + "\n", mode: 0o600, sync: false)
        return Record(kind: kind, namespace: namespace, name: name, object: o, created: created)
    }

    public func remove(_ kind: String, _ namespace: String, _ name: String) {
        try? Files.remove(file(kind, namespace, name))
    }

    public func list(kind: String? = nil) -> [Record] {
        var out: [Record] = []
        for f in ((try? Files.list(directory)) ?? []).sorted() where f.hasSuffix(".json") && !f.contains(".tmp") {
            let parts = String(f.dropLast(5)).split(separator: "_", maxSplits: 2).map(String.init)
            guard parts.count == 3, kind == nil || parts[1] == kind, let r = load(parts[1], parts[0], parts[2]) else { continue }
            out.append(r)
        }
        return out
    }
}

extension PodManager {
    public var workloadStore: WorkloadStore { WorkloadStore(root: sandboxes.options.root) }
}

extension PodManifest {
    /// metadata.ownerReferences[0] as (kind, name, uid), as the pod's controller set it.
    public var owner: (kind: String, name: String, uid: String)? {
        guard let o = raw["metadata"]?["ownerReferences"]?[0], let k = o["kind"]?.string, let n = o["name"]?.string else { return nil }
        return (k, n, o["uid"]?.string ?? "")
    }
}
