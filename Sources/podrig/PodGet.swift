import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod

/// kubectl get's -o: wide, json, yaml, name (`pod/NAME`), jsonpath=TEMPLATE (JSONPathTemplate).
enum GetFormat: Equatable, ExpressibleByArgument {
    case wide, json, yaml, name
    /// The template as given; validate() parses it, so its error names what is wrong.
    case jsonpath(String)

    init?(argument: String) {
        switch argument {
        case "wide": self = .wide
        case "json": self = .json
        case "yaml": self = .yaml
        case "name": self = .name
        default:
            guard argument.hasPrefix("jsonpath=") else { return nil }
            self = .jsonpath(String(argument.dropFirst("jsonpath=".count)))
        }
    }

    static var allValueStrings: [String] { ["wide", "json", "yaml", "name", "jsonpath=TEMPLATE"] }

    /// name and jsonpath are the pods' only (nodes, workloads: tables, json, yaml).
    var podsOnly: Bool {
        switch self { case .name, .jsonpath: true; default: false }
    }
}

struct PodGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show pods or nodes the way kubectl does: `get pods`, `get pod NAME -o yaml`, `get nodes -o wide`."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Option(name: .shortAndLong, help: "Output: wide, json or yaml (a v1 Pod, or a v1 List of them), name (pod/NAME), or jsonpath=TEMPLATE as kubectl's.")
    var output: GetFormat?

    @Flag(name: [.short, .customShort("A"), .customLong("all-namespaces")], help: "Pods of every namespace.")
    var allNamespaces = false

    @Argument(help: ArgumentHelp("pods (or pod, po), then optional pod names.", valueName: "resource"))
    var resource: String

    @Argument(help: ArgumentHelp("Pod names.", valueName: "name"))
    var names: [String] = []

    func validate() throws {
        guard ["pods", "pod", "po", "nodes", "node", "no", "events", "event", "ev"].contains(resource.lowercased())
                || WorkloadViews.aliases[resource.lowercased()] != nil else {
            throw ValidationError("podrig knows pods, nodes, events, all, deployments, replicasets, statefulsets, jobs, daemonsets, configmaps and secrets (got \"\(resource)\")")
        }
        if ["events", "event", "ev"].contains(resource.lowercased()) && (output != nil || watch || !names.isEmpty) {
            throw ValidationError("get events prints every pod's events as a table (no names, -o or -w)")
        }
        if watch && (!["pods", "pod", "po"].contains(resource.lowercased()) || (output != nil && output != .wide)) {
            throw ValidationError("-w watches pods as a table (-o wide at most)")
        }
        if output?.podsOnly == true && !["pods", "pod", "po"].contains(resource.lowercased()) {
            throw ValidationError("-o name and -o jsonpath are for pods")
        }
        if case .jsonpath(let t) = output {
            do { _ = try JSONPathTemplate(t) } catch { throw ValidationError("-o \(error.message)") }
        }
        do { _ = try sortSteps() } catch { throw ValidationError("--sort-by: \(error.message)") }
    }

    @Option(help: ArgumentHelp("With nodes: only this cluster's.", valueName: "name"))
    var cluster: String?

    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("Label selector (kubectl's -l: app=web, tier!=db, env in (a,b), key, !key).", valueName: "selector"))
    var selector: String?

    @Option(name: .customLong("field-selector"), help: ArgumentHelp("Pod field selector: spec.nodeName=node-1, status.phase!=Running, metadata.name=…", valueName: "selector"))
    var fieldSelector: String?

    @Flag(name: .shortAndLong, help: "After the table, print a pod's row again each time it changes, until interrupted (kubectl get -w).")
    var watch = false

    @Flag(name: .customLong("show-labels"), help: "A LABELS column.")
    var showLabels = false

    @Option(name: [.customShort("L"), .customLong("label-columns")], help: ArgumentHelp("A column for each of these label keys (repeatable, or comma-separated).", valueName: "key"))
    var labelColumns: [String] = []

    @Flag(name: .customLong("no-headers"), help: "No header line in tables.")
    var noHeaders = false

    @Option(name: .customLong("sort-by"), help: ArgumentHelp("Sort pods by this JSONPath (.metadata.name, {.status.startTime}).", valueName: "jsonpath"))
    var sortBy: String?

    /// -L keys, comma lists split.
    var labelKeys: [String] { labelColumns.flatMap { $0.split(separator: ",").map { String($0).trimmed } }.filter { !$0.isEmpty } }

    /// The table's columns, kubectl's: label columns (the key's last segment, upper-cased) and LABELS last.
    var header: [String] {
        var h = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        if allNamespaces { h.insert("NAMESPACE", at: 0) }
        if output == .wide { h += ["IP", "NODE", "SANDBOX"] } else { h.append("IP") }
        h += labelKeys.map { String($0.split(separator: "/").last ?? Substring($0)).uppercased() }
        if showLabels { h.append("LABELS") }
        return h
    }

    func sortSteps() throws(PodrigError) -> [JSONPathTemplate.Step]? {
        guard var s = sortBy?.trimmed else { return nil }
        if s.hasPrefix("{") && s.hasSuffix("}") { s = String(s.dropFirst().dropLast()) }
        return try JSONPathTemplate.parsePath(s)
    }

    func run() throws {
        global.apply()
        if ["nodes", "node", "no"].contains(resource.lowercased()) {
            try NodeViews.get(root: global.root, cluster: cluster, names: names, output: output)
            return
        }
        let manager = try makePodManager(global, network, pod)
        if watch { return try watchPods(manager) }
        if ["events", "event", "ev"].contains(resource.lowercased()) { return try events(manager) }
        let isWorkload = WorkloadViews.aliases[resource.lowercased()] != nil
        let pods = try select(manager, named: !isWorkload)
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
        case .json, .yaml, .jsonpath:
            let docs = pods.map(\.document)
            let doc: JSON = names.count == 1 ? docs[0] : ["apiVersion": "v1", "kind": "List", "items": .array(docs), "metadata": ["resourceVersion": ""]]
            if case .jsonpath(let t) = output {
                _ = Files.writeAll(1, Array(try JSONPathTemplate(t).render(doc).utf8), what: "stdout")  // no newline added, as kubectl's
            } else {
                printDocument(doc, output == .json ? .json : .yaml)
            }
        case .name:
            for p in pods { print("pod/\(p.manifest.name)") }
        default:
            if pods.isEmpty {
                Log.write("No resources found in \(allNamespaces ? "any" : pod.namespace ?? "default") namespace.\n")
                return
            }
            let rows = pods.map(row)
            if noHeaders { print(TableLayout(header, rows).text(nil, rows), terminator: "") } else { printTable(header, rows) }
        }
    }

    /// kubectl get events: the supervisors' events of the namespace's pods (every namespace's with -A), oldest first.
    func events(_ manager: PodManager) throws {
        let now = Time.nowNanos()
        var rows: [(time: Int64, cells: [String])] = []
        for p in try select(manager, named: false) {
            for e in PodEvent.parse((try? Files.readString(p.layout.events)) ?? "") {
                var cells = [e.time.map { PodStatusView.age(now.subtracting(saturating: $0)) } ?? "<unknown>", e.type, e.reason,
                             "pod/\(p.manifest.name)", e.message]
                if allNamespaces { cells.insert(p.manifest.namespace, at: 0) }
                rows.append((e.time ?? 0, cells))
            }
        }
        if rows.isEmpty { Log.write("No resources found in \(allNamespaces ? "any" : pod.namespace ?? "default") namespace.\n"); return }
        var header = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        if allNamespaces { header.insert("NAMESPACE", at: 0) }
        let sorted = rows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element.cells)
        if noHeaders { print(TableLayout(header, sorted).text(nil, sorted), terminator: "") } else { printTable(header, sorted) }
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

    /// The pods asked for: by name (an unknown one is an error) or all of the namespace, then the selectors.
    func select(_ manager: PodManager, named: Bool) throws -> [PodManager.Pod] {
        var pods: [PodManager.Pod]
        if names.isEmpty || !named {
            pods = try manager.pods(in: allNamespaces ? nil : pod.namespace ?? "default", matching: selector)
        } else {
            let sel = try selector.map { try LabelSelector.parse($0) }
            pods = try names.map { try manager.find($0, namespace: pod.namespace) }.filter { sel?.matches($0.manifest.labels) ?? true }
                .sorted { ($0.manifest.namespace, $0.manifest.name) < ($1.manifest.namespace, $1.manifest.name) }
        }
        if let f = fieldSelector {
            let sel = try FieldSelector.parse(f)
            pods = pods.filter { p in sel.matches { field in podField(p, field) } }
        }
        // --sort-by: kubectl's order of the values (numbers as numbers, the rest as text; none first), stable.
        if let steps = try sortSteps() {
            let keys = pods.map { JSONPathTemplate.evaluate(steps, in: $0.document).first }
            let order = pods.indices.sorted { a, b in
                switch (keys[a], keys[b]) {
                case (nil, nil): return a < b
                case (nil, _): return true
                case (_, nil): return false
                case let (x?, y?):
                    if let i = x.double ?? x.int.map(Double.init), let j = y.double ?? y.int.map(Double.init), i != j { return i < j }
                    let (tx, ty) = (JSONPathTemplate.text(x), JSONPathTemplate.text(y))
                    return tx != ty ? tx < ty : a < b
                }
            }
            pods = order.map { pods[$0] }
        }
        return pods
    }

    /// kubectl get -w: the table, then a row each time a pod appears or its row changes (AGE
    /// aside), every half second, until interrupted or the reader goes away.
    func watchPods(_ manager: PodManager) throws {
        let header = self.header
        let ageColumn = allNamespaces ? 5 : 4
        var layout: TableLayout?
        var shown: [String: [String]] = [:]
        func key(_ p: PodManager.Pod) -> String { p.manifest.namespace + "/" + p.manifest.name }
        func send(_ text: String) -> Bool { Files.writeAll(1, Array(text.utf8), what: "stdout") == nil }
        let wanted = Set(names)
        while true {
            // Named pods that do not exist (yet) are waited for, not an error, as kubectl -w does.
            let pods = try select(manager, named: false).filter { wanted.isEmpty || wanted.contains($0.manifest.name) }
            let rows = pods.map(row)
            var changed: [[String]] = []
            for (p, r) in zip(pods, rows) {
                var cmp = r
                cmp.remove(at: ageColumn)
                if shown[key(p)] != cmp { changed.append(r); shown[key(p)] = cmp }
            }
            let gone = Set(shown.keys).subtracting(pods.map(key))
            for k in gone { shown[k] = nil }
            if layout == nil {
                if !rows.isEmpty {
                    layout = TableLayout(header, rows)
                    guard send(layout!.text(noHeaders ? nil : header, changed)) else { return }
                }
            } else if !changed.isEmpty {
                guard send(layout!.text(nil, changed)) else { return }
            }
            usleep(500_000)
        }
    }

    func row(_ p: PodManager.Pod) -> [String] {
        let terminating = p.status?.terminating == true && p.supervisorAlive
        let d = PodStatusView.display(p.manifest, status: p.statusJSON, terminating: terminating)
        var r = [p.manifest.name, "\(d.ready)/\(d.total)", d.status, d.restarts, age(p.record.createdAt)]
        if allNamespaces { r.insert(p.manifest.namespace, at: 0) }
        r.append(p.record.podIPs.first ?? "<none>")
        if output == .wide { r += [p.record.node?.name ?? PodFiles.nodeName(), String(p.record.id.prefix(13))] }
        r += labelKeys.map { p.manifest.labels[$0] ?? "" }
        if showLabels {
            let l = p.manifest.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            r.append(l.isEmpty ? "<none>" : l)
        }
        return r
    }

    func age(_ nanos: Int64) -> String { PodStatusView.age(since: nanos) }
}
