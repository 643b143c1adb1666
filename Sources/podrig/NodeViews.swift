import PodrigCluster
import PodrigCore
import PodrigPod

/// Nodes the way kubectl shows them: the table, and v1 Node documents with spec.podCIDR(s) and
/// status.addresses; podrig's annotations say which block of the cluster range each podCIDR is.
enum NodeViews {
    static func age(_ createdAt: Int64) -> String { PodStatusView.age(since: createdAt) }

    static func ready(_ c: ClusterRecord, _ n: NodeRecord) -> Bool {
        let p = ClusterStore(root: "").paths(c.name)
        return c.phase == .ready && n.phase == .ready && Files.exists(p.netnsPath(p.nodeNetns(n.name)))
    }

    static func status(_ c: ClusterRecord, _ n: NodeRecord) -> String {
        n.phase != .ready ? (n.phase == .creating ? "NotReady,Creating" : "NotReady,Deleting") : ready(c, n) ? "Ready" : "NotReady"
    }

    static func header(wide: Bool) -> [String] {
        ["NAME", "STATUS", "INTERNAL-IP", "POD-CIDRS", "AGE"] + (wide ? ["CLUSTER", "NETNS", "POD-CIDR-INDEX"] : [])
    }

    static func row(_ c: ClusterRecord, _ n: NodeRecord, wide: Bool) -> [String] {
        var r = [n.name, status(c, n), n.ips.joined(separator: ","), n.podCIDRs.map(\.description).joined(separator: ","), age(n.createdAt)]
        if wide { r += [c.name, ClusterStore(root: "").paths(c.name).nodeNetns(n.name), n.indexes.map(String.init).joined(separator: ",")] }
        return r
    }

    /// "block 2 of 256 in 10.0.0.0/16 (/24 per node)"
    static func explain(_ c: ClusterRecord, _ n: NodeRecord) -> [(String, String)] {
        var out: [(String, String)] = []
        for (i, cidr) in n.podCIDRs.enumerated() where i < c.ipam.clusterCIDRs.count {
            let cluster = c.ipam.clusterCIDRs[i], mask = c.ipam.nodeMasks[i]
            let index = i < n.indexes.count ? String(n.indexes[i]) : "?"
            out.append(("podrig.dev/pod-cidr-index-\(cidr.family.rawValue)",
                        "\(cidr) is block \(index) of \(1 << (mask - cluster.prefix)) in \(cluster) (/\(mask) per node, kcm's cidrset; next candidate \(c.nextCandidates.count > i ? c.nextCandidates[i] : 0))"))
        }
        return out
    }

    static func document(_ c: ClusterRecord, _ n: NodeRecord) -> JSON {
        let p = ClusterStore(root: "").paths(c.name)
        var annotations = JSONObject()
        for (k, v) in explain(c, n) { annotations[k] = .string(v) }
        annotations["podrig.dev/netns"] = .string(p.nodeNetns(n.name))
        let created = Time.rfc3339(n.createdAt)
        var addresses: [JSON] = n.ips.map { ["type": "InternalIP", "address": .string($0)] }
        addresses.append(["type": "Hostname", "address": .string(n.name)])
        let isReady = ready(c, n)
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(n.name), "creationTimestamp": .string(created),
                         "labels": ["kubernetes.io/hostname": .string(n.name), "kubernetes.io/os": "linux", "podrig.dev/cluster": .string(c.name)],
                         "annotations": .object(annotations)],
            "spec": ["podCIDR": n.podCIDRs.first.map { .string($0.description) } ?? nil, "podCIDRs": .array(n.podCIDRs.map { .string($0.description) })],
            "status": ["addresses": .array(addresses),
                       "conditions": [["type": "Ready", "status": .string(isReady ? "True" : "False"),
                                       "reason": .string(isReady ? "PodrigNodeReady" : "PodrigNodeNotReady"),
                                       "message": .string(isReady ? "netns \(p.nodeNetns(n.name)) is up with routes to every other node" : "node is \(n.phase.rawValue) or its netns is gone"),
                                       "lastTransitionTime": .string(created)]],
                       "nodeInfo": ["operatingSystem": "linux", "architecture": .string(arch), "containerRuntimeVersion": "podrig://0.1.0"]],
        ]
    }

    static var arch: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }

    /// `get nodes [NAME…] [-o wide|json|yaml]` over every cluster of the root (or one).
    static func get(root: String, cluster: String?, names: [String], output: GetFormat?) throws {
        let store = ClusterStore(root: root)
        var clusters = store.list { name, e in Log.warn("cluster \(name): \(e)") }
        if let cluster {
            clusters = clusters.filter { $0.name == cluster }
            if clusters.isEmpty { throw PodrigError(.notFound, "--cluster \(cluster): no such cluster (podrig cluster ls)") }
        }
        var nodes = clusters.flatMap { c in c.nodes.map { (c, $0) } }
        if !names.isEmpty {
            nodes = try names.map { name throws(PodrigError) in
                let hits = nodes.filter { $0.1.name == name }
                guard let first = hits.first else { throw PodrigError(.notFound, "node \"\(name)\" not found") }
                if hits.count > 1 { throw PodrigError(.conflict, "node \(name) exists in clusters \(hits.map(\.0.name).joined(separator: ", ")): give --cluster") }
                return first
            }
        }
        switch output {
        case .json, .yaml:
            let docs = nodes.map { document($0.0, $0.1) }
            let doc: JSON = names.count == 1 ? docs[0] : ["apiVersion": "v1", "kind": "List", "items": .array(docs), "metadata": ["resourceVersion": ""]]
            printDocument(doc, output == .json ? .json : .yaml)
        default:
            if nodes.isEmpty { Log.write("No resources found\n"); return }
            printTable(header(wide: output == .wide), nodes.map { row($0.0, $0.1, wide: output == .wide) })
        }
    }
}
