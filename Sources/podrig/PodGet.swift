import ArgumentParser
import PodrigCore
import PodrigPod

enum GetFormat: String, ExpressibleByArgument, CaseIterable {
    case wide, json, yaml
}

struct PodGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show pods or nodes the way kubectl does: `get pods`, `get pod NAME -o yaml`, `get nodes -o wide`."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Option(name: .shortAndLong, help: "Output: wide, json or yaml (a v1 Pod, or a v1 List of them).")
    var output: GetFormat?

    @Flag(name: [.short, .customShort("A"), .customLong("all-namespaces")], help: "Pods of every namespace.")
    var allNamespaces = false

    @Argument(help: ArgumentHelp("pods (or pod, po), then optional pod names.", valueName: "resource"))
    var resource: String

    @Argument(help: ArgumentHelp("Pod names.", valueName: "name"))
    var names: [String] = []

    func validate() throws {
        guard ["pods", "pod", "po", "nodes", "node", "no"].contains(resource.lowercased()) || WorkloadViews.aliases[resource.lowercased()] != nil else {
            throw ValidationError("podrig knows pods, nodes, all, deployments, replicasets, statefulsets, jobs, daemonsets, configmaps and secrets (got \"\(resource)\")")
        }
    }

    @Option(help: ArgumentHelp("With nodes: only this cluster's.", valueName: "name"))
    var cluster: String?

    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("Label selector (kubectl's -l: app=web, tier!=db, env in (a,b), key, !key).", valueName: "selector"))
    var selector: String?

    @Option(name: .customLong("field-selector"), help: ArgumentHelp("Pod field selector: spec.nodeName=node-1, status.phase!=Running, metadata.name=…", valueName: "selector"))
    var fieldSelector: String?

    func run() throws {
        global.apply()
        if ["nodes", "node", "no"].contains(resource.lowercased()) {
            try NodeViews.get(root: global.root, cluster: cluster, names: names, output: output)
            return
        }
        let manager = try makePodManager(global, network, pod)
        var pods: [PodManager.Pod]
        let isWorkload = WorkloadViews.aliases[resource.lowercased()] != nil
        if names.isEmpty || isWorkload {
            pods = try manager.list().filter { allNamespaces || $0.manifest.namespace == (pod.namespace ?? "default") }
        } else {
            pods = try names.map { try manager.find($0, namespace: pod.namespace) }
        }
        if let l = selector {
            let sel = try LabelSelector.parse(l)
            pods = pods.filter { sel.matches($0.manifest.labels) }
        }
        if let f = fieldSelector {
            let sel = try FieldSelector.parse(f)
            pods = pods.filter { p in sel.matches { field in podField(p, field) } }
        }
        pods.sort { ($0.manifest.namespace, $0.manifest.name) < ($1.manifest.namespace, $1.manifest.name) }
        if isWorkload {
            let ns = allNamespaces ? nil : (pod.namespace ?? "default")
            let allPods = resource.lowercased() == "all" ? pods : []
            let found = WorkloadViews.get(manager, resource: resource, names: names, namespace: ns, output: output, podRows: { ps in
                var header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
                if allNamespaces { header.insert("NAMESPACE", at: 0) }
                return (header, ps.map { Array(row($0).prefix(header.count)) })
            }, pods: allPods)
            if !found && output != .json && output != .yaml { Log.write("No resources found in \(allNamespaces ? "any" : pod.namespace ?? "default") namespace.\n") }
            return
        }
        switch output {
        case .json, .yaml:
            let docs = pods.map(document)
            let doc: JSON = names.count == 1 ? docs[0] : ["apiVersion": "v1", "kind": "List", "items": .array(docs), "metadata": ["resourceVersion": ""]]
            printDocument(doc, output == .json ? .json : .yaml)
        default:
            if pods.isEmpty {
                Log.write("No resources found in \(allNamespaces ? "any" : pod.namespace ?? "default") namespace.\n")
                return
            }
            var header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
            if allNamespaces { header.insert("NAMESPACE", at: 0) }
            if output == .wide { header += ["IP", "NODE", "SANDBOX"] } else { header.append("IP") }
            printTable(header, pods.map(row))
        }
    }

    func document(_ p: PodManager.Pod) -> JSON {
        var doc = p.manifest.raw
        doc["spec"] = PodStatusView.defaultedSpec(p.manifest, nodeName: p.record.node?.name ?? p.manifest.spec.nodeName ?? PodFiles.nodeName())
        doc["status"] = p.statusJSON
        return doc
    }

    func podField(_ p: PodManager.Pod, _ field: String) -> String {
        switch field {
        case "metadata.name": return p.manifest.name
        case "metadata.namespace": return p.manifest.namespace
        case "spec.nodeName": return p.record.node?.name ?? p.manifest.spec.nodeName ?? PodFiles.nodeName()
        case "spec.restartPolicy": return p.manifest.spec.restartPolicy.rawValue
        case "spec.serviceAccountName": return p.manifest.spec.serviceAccountName ?? "default"
        case "status.phase": return p.phase
        case "status.podIP": return p.record.podIPs.first ?? ""
        default: return ""
        }
    }

    func row(_ p: PodManager.Pod) -> [String] {
        let terminating = p.status?.terminating == true && p.supervisorAlive
        let d = PodStatusView.display(p.manifest, status: p.statusJSON, terminating: terminating)
        var r = [p.manifest.name, "\(d.ready)/\(d.total)", d.status, d.restarts, age(p.record.createdAt)]
        if allNamespaces { r.insert(p.manifest.namespace, at: 0) }
        r.append(p.record.podIPs.first ?? "<none>")
        if output == .wide { r += [p.record.node?.name ?? PodFiles.nodeName(), String(p.record.id.prefix(13))] }
        return r
    }

    func age(_ nanos: Int64) -> String { PodStatusView.age(since: nanos) }
}
