import PodrigCore
import PodrigPod

/// `get all`, `get deployments|replicasets|statefulsets|jobs|daemonsets|configmaps|secrets`: the
/// objects `up` made, with the columns and status kubectl shows (counted from their pods now).
enum WorkloadViews {
    static let aliases: [String: String] = [
        "all": "all",
        "deployments": "Deployment", "deployment": "Deployment", "deploy": "Deployment",
        "replicasets": "ReplicaSet", "replicaset": "ReplicaSet", "rs": "ReplicaSet",
        "statefulsets": "StatefulSet", "statefulset": "StatefulSet", "sts": "StatefulSet",
        "jobs": "Job", "job": "Job",
        "daemonsets": "DaemonSet", "daemonset": "DaemonSet", "ds": "DaemonSet",
        "configmaps": "ConfigMap", "configmap": "ConfigMap", "cm": "ConfigMap",
        "secrets": "Secret", "secret": "Secret",
    ]
    /// get all's sections, in kubectl's order (after pods and services).
    static let allKinds = ["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Job"]

    struct Context {
        var manager: PodManager
        var pods: [PodManager.Pod]
        var namespace: String?  // nil: all namespaces
        func owned(_ uids: [String]) -> [PodManager.Pod] { pods.filter { uids.contains($0.manifest.owner?.uid ?? "-") } }
        func ready(_ ps: [PodManager.Pod]) -> Int { ps.filter(WorkloadController.isReady).count }
        func rsUIDs(of dep: WorkloadStore.Record) -> [String] {
            manager.workloadStore.list(kind: "ReplicaSet").filter { $0.namespace == dep.namespace && $0.object["metadata"]?["ownerReferences"]?[0]?["uid"]?.string == dep.uid }.map(\.uid)
        }
    }

    static func records(_ kind: String, _ ctx: Context, names: [String]) -> [WorkloadStore.Record] {
        ctx.manager.workloadStore.list(kind: kind)
            .filter { ctx.namespace == nil || $0.namespace == ctx.namespace }
            .filter { names.isEmpty || names.contains($0.name) }
            .sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }

    static func age(_ r: WorkloadStore.Record) -> String { PodStatusView.age(since: r.created) }
    static func spec(_ r: WorkloadStore.Record, _ key: String) -> Int? { r.object["spec"]?[key]?.int }

    /// The object with the status its controller would report.
    static func document(_ r: WorkloadStore.Record, _ ctx: Context) -> JSON {
        var o = r.object
        switch r.kind {
        case "Deployment", "ReplicaSet", "StatefulSet":
            let pods = ctx.owned(r.kind == "Deployment" ? ctx.rsUIDs(of: r) : [r.uid])
            let ready = ctx.ready(pods)
            var st: JSON = ["observedGeneration": 1, "replicas": .int(pods.count), "readyReplicas": .int(ready)]
            if r.kind != "StatefulSet" { st["availableReplicas"] = .int(ready) } else { st["currentReplicas"] = .int(pods.count) }
            if r.kind != "ReplicaSet" { st["updatedReplicas"] = .int(pods.count) }
            if r.kind == "ReplicaSet" { st["fullyLabeledReplicas"] = .int(pods.count) }
            o["status"] = st
        case "DaemonSet":
            let pods = ctx.owned([r.uid])
            let ready = ctx.ready(pods)
            let desired = r.object["status"]?["desiredNumberScheduled"]?.int ?? pods.count
            o["status"] = ["desiredNumberScheduled": .int(desired), "currentNumberScheduled": .int(pods.count), "numberReady": .int(ready),
                           "updatedNumberScheduled": .int(pods.count), "numberAvailable": .int(ready), "numberMisscheduled": 0, "observedGeneration": 1]
        case "Job":
            var st = r.object["status"] ?? JSON.object(JSONObject())
            let pods = ctx.owned([r.uid])
            st["ready"] = .int(ctx.ready(pods))
            o["status"] = st
        case "Secret", "ConfigMap":
            o["status"] = nil
        default: break
        }
        return o
    }

    static func header(_ kind: String, _ allNS: Bool) -> [String] {
        var h: [String]
        switch kind {
        case "Deployment": h = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
        case "ReplicaSet": h = ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
        case "StatefulSet": h = ["NAME", "READY", "AGE"]
        case "Job": h = ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
        case "DaemonSet": h = ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"]
        case "ConfigMap": h = ["NAME", "DATA", "AGE"]
        case "Secret": h = ["NAME", "TYPE", "DATA", "AGE"]
        default: h = ["NAME"]
        }
        return allNS ? ["NAMESPACE"] + h : h
    }

    static func row(_ r: WorkloadStore.Record, _ ctx: Context, prefix: String) -> [String] {
        let doc = document(r, ctx)
        let st = doc["status"]
        let name = prefix + r.name
        var row: [String]
        switch r.kind {
        case "Deployment":
            let want = spec(r, "replicas") ?? 1
            row = [name, "\(st?["readyReplicas"]?.int ?? 0)/\(want)", "\(st?["updatedReplicas"]?.int ?? 0)", "\(st?["availableReplicas"]?.int ?? 0)", age(r)]
        case "ReplicaSet":
            row = [name, "\(spec(r, "replicas") ?? 1)", "\(st?["replicas"]?.int ?? 0)", "\(st?["readyReplicas"]?.int ?? 0)", age(r)]
        case "StatefulSet":
            row = [name, "\(st?["readyReplicas"]?.int ?? 0)/\(spec(r, "replicas") ?? 1)", age(r)]
        case "DaemonSet":
            let sel = (r.object["spec"]?["template"]?["spec"]?["nodeSelector"]?.object).map { o in o.map { "\($0.key)=\($0.value.string ?? "")" }.joined(separator: ",") }
            row = [name] + ["desiredNumberScheduled", "currentNumberScheduled", "numberReady", "updatedNumberScheduled", "numberAvailable"].map { "\(st?[$0]?.int ?? 0)" }
                + [sel.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>", age(r)]
        case "Job":
            let conds = st?["conditions"]?.array ?? []
            let status = conds.first { $0["status"]?.string == "True" }?["type"]?.string ?? "Running"
            let succeeded = st?["succeeded"]?.int ?? 0
            let completions = spec(r, "completions").map { "\(succeeded)/\($0)" } ?? "\(succeeded)/1 of \(spec(r, "parallelism") ?? 1)"
            let end = conds.isEmpty ? Time.nowNanos() : jobEnd(r)
            row = [name, status, completions, PodStatusView.age(end.subtracting(saturating: r.created)), age(r)]
        case "ConfigMap":
            row = [name, "\((r.object["data"]?.object?.count ?? 0) + (r.object["binaryData"]?.object?.count ?? 0))", age(r)]
        case "Secret":
            let keys = Set((r.object["data"]?.object?.keys ?? []) + (r.object["stringData"]?.object?.keys ?? []))
            row = [name, r.object["type"]?.string ?? "Opaque", "\(keys.count)", age(r)]
        default: row = [name]
        }
        return ctx.namespace == nil ? [r.namespace] + row : row
    }

    /// When a finished Job finished: its completionTime, else the time its record was last written.
    static func jobEnd(_ r: WorkloadStore.Record) -> Int64 {
        let t = r.object["status"]?["completionTime"]?.string ?? r.object["status"]?["conditions"]?[0]?["lastTransitionTime"]?.string
        return t.flatMap(parseRFC3339) ?? Time.nowNanos()
    }

    /// "2026-01-02T03:04:05Z" → nanoseconds since the epoch.
    static func parseRFC3339(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ a: Int, _ n: Int) -> Int64? { Int64(String(decoding: b[a..<(a + n)], as: UTF8.self)) }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        // Seconds fit any 4-digit year; nanoseconds do not past 2262 (a damaged record's 9999 trapped).
        return (((days * 24 + h) * 60 + mi) * 60 + sec).multiplied(saturating: 1_000_000_000)
    }

    static func printSection(_ kind: String, _ recs: [WorkloadStore.Record], _ ctx: Context, prefix: String) {
        printTable(header(kind, ctx.namespace == nil), recs.map { row($0, ctx, prefix: prefix) })
    }

    /// Returns false when nothing was found (the caller says so, as kubectl does).
    static func get(_ manager: PodManager, resource: String, names: [String], namespace: String?, output: GetFormat?,
                    podRows: ([PodManager.Pod]) -> (header: [String], rows: [[String]]), pods: [PodManager.Pod]) -> Bool {
        let ctx = Context(manager: manager, pods: (try? manager.list()) ?? [], namespace: namespace)
        guard let kind = aliases[resource.lowercased()] else { return false }
        let kinds = kind == "all" ? allKinds : [kind]
        let sections = kinds.map { k in (k, records(k, ctx, names: kind == "all" ? [] : names)) }
        if output == .json || output == .yaml {
            var docs = kind == "all" ? pods.map { p -> JSON in
                var d = p.manifest.raw
                d["status"] = p.statusJSON
                return d
            } : []
            docs += sections.flatMap { $0.1.map { document($0, ctx) } }
            let doc: JSON = (names.count == 1 && docs.count == 1) ? docs[0] : ["apiVersion": "v1", "kind": "List", "items": .array(docs), "metadata": ["resourceVersion": ""]]
            printDocument(doc, output == .json ? .json : .yaml)
            return !docs.isEmpty
        }
        var printed = false
        if kind == "all" && !pods.isEmpty {
            let t = podRows(pods)
            printTable(t.header, t.rows.map { r in r.enumerated().map { i, c in i == (namespace == nil ? 1 : 0) ? "pod/" + c : c } })
            printed = true
        }
        for (k, recs) in sections where !recs.isEmpty {
            if printed { print("") }
            let resourceName = WorkloadKind(rawValue: k)?.resource ?? k.lowercased()
            printSection(k, recs, ctx, prefix: kind == "all" ? resourceName + "/" : "")
            printed = true
        }
        return printed
    }
}
