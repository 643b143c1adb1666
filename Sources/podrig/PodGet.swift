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

    @Flag(name: [.short, .customLong("all-namespaces")], help: "Pods of every namespace.")
    var allNamespaces = false

    @Argument(help: ArgumentHelp("pods (or pod, po), then optional pod names.", valueName: "resource"))
    var resource: String

    @Argument(help: ArgumentHelp("Pod names.", valueName: "name"))
    var names: [String] = []

    func validate() throws {
        guard ["pods", "pod", "po", "nodes", "node", "no"].contains(resource.lowercased()) else {
            throw ValidationError("podrig knows two resources: pods and nodes (got \"\(resource)\")")
        }
    }

    @Option(help: ArgumentHelp("With nodes: only this cluster's.", valueName: "name"))
    var cluster: String?

    func run() throws {
        global.apply()
        if ["nodes", "node", "no"].contains(resource.lowercased()) {
            try NodeViews.get(root: global.root, cluster: cluster, names: names, output: output)
            return
        }
        let manager = try makePodManager(global, network, pod)
        var pods: [PodManager.Pod]
        if names.isEmpty {
            pods = try manager.list().filter { allNamespaces || $0.manifest.namespace == (pod.namespace ?? "default") }
        } else {
            pods = try names.map { try manager.find($0, namespace: pod.namespace) }
        }
        pods.sort { ($0.manifest.namespace, $0.manifest.name) < ($1.manifest.namespace, $1.manifest.name) }
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

    func row(_ p: PodManager.Pod) -> [String] {
        let terminating = p.status?.terminating == true && p.supervisorAlive
        let d = PodStatusView.display(p.manifest, status: p.statusJSON, terminating: terminating)
        var r = [p.manifest.name, "\(d.ready)/\(d.total)", d.status, d.restarts, age(p.record.createdAt)]
        if allNamespaces { r.insert(p.manifest.namespace, at: 0) }
        r.append(p.record.podIPs.first ?? "<none>")
        if output == .wide { r += [p.record.node?.name ?? PodFiles.nodeName(), String(p.record.id.prefix(13))] }
        return r
    }

    func age(_ nanos: Int64) -> String { PodStatusView.age(Time.nowNanos() - nanos) }
}
