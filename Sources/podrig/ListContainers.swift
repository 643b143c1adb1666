import ArgumentParser
import PodrigCore
import PodrigPod

/// Containers as crictl shows them: CRI containers and those of `podrig up` pods. `ps -o json`
/// is crictl's `{"containers": [Container…]}` (flat CRI Container objects, createdAt in
/// nanoseconds as a string, as protojson prints int64); `inspect` is crictl's `{status, info}`
/// with a CRI ContainerStatus for both kinds.
enum ContainerView {
    struct Row {
        var id: String, image: String, createdAt: Int64, state: String, name: String, attempt: Int, podID: String, podName: String
        var labels: [String: String], annotations: [String: String]
        var json: JSON

        /// CRI Container, as in ListContainersResponse.
        var container: JSON {
            ["id": .string(id), "podSandboxId": .string(podID), "metadata": ["name": .string(name), "attempt": .int(attempt)],
             "image": ["image": .string(image)], "imageRef": .string(image), "state": .string(state),
             "createdAt": .string(String(createdAt)), "labels": ContainerView.map(labels), "annotations": ContainerView.map(annotations)]
        }
    }

    static func map(_ d: [String: String]) -> JSON { .object(JSONObject(d.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })) }
    static func time(_ nanos: Int64?) -> JSON { .string(nanos.map { $0 > 0 ? Time.rfc3339Nano($0) : "0001-01-01T00:00:00Z" } ?? "0001-01-01T00:00:00Z") }

    static func rows(_ pods: PodManager) throws -> [Row] {
        var rows: [Row] = []
        for c in try CRIContainers(pods: pods).list() {
            let podName = (try? pods.sandboxes.status(c.sandboxID).config.name) ?? ""
            rows.append(Row(id: c.id, image: c.image, createdAt: c.createdAt, state: c.state, name: c.name, attempt: c.attempt,
                            podID: c.sandboxID, podName: podName, labels: c.labels, annotations: c.annotations, json: inspect(c)))
        }
        for p in try pods.list() {
            let plan = p.plan
            for spec in p.manifest.spec.initContainers + p.manifest.spec.containers {
                let s = p.status?.container(spec.name)
                let state = s?.state == .running && p.supervisorAlive ? "CONTAINER_RUNNING" : s?.state == .terminated || s?.lastTerminated != nil ? "CONTAINER_EXITED" : "CONTAINER_CREATED"
                let id = String(PodStatusView.containerID(p.record.id, spec.name).dropFirst("podrig://".count))
                // kubelet's labels on the containers it creates.
                let labels = ["io.kubernetes.container.name": spec.name, "io.kubernetes.pod.name": p.manifest.name,
                              "io.kubernetes.pod.namespace": p.manifest.namespace, "io.kubernetes.pod.uid": p.manifest.uid]
                let created = s?.startedAt ?? p.record.createdAt
                let t = s?.terminated ?? s?.lastTerminated
                let status: JSON = [
                    "id": .string(id), "metadata": ["name": .string(spec.name), "attempt": .int(s?.restartCount ?? 0)], "state": .string(state),
                    "createdAt": time(created), "startedAt": time(s?.startedAt), "finishedAt": time(t?.finishedAt),
                    "exitCode": .int(t?.exitCode ?? 0), "image": ["image": .string(spec.image ?? "")], "imageRef": .string(spec.image ?? ""),
                    "reason": .string(t?.reason ?? s?.reason ?? ""), "message": .string(t?.message ?? s?.message ?? ""),
                    "labels": map(labels), "annotations": [:], "logPath": "",
                ]
                var info: JSON = ["sandboxID": .string(p.record.id), "pid": .int(Int(s?.state == .running ? s?.pid ?? 0 : 0))]
                if let cg = plan.flatMap({ PodStatusView.cgroup($0, spec.name) }) {
                    info["cgroup"] = ["path": cg["path"] ?? nil, "files": cg["files"] ?? [:]]
                }
                rows.append(Row(id: id, image: spec.image ?? "", createdAt: created, state: state,
                                name: spec.name, attempt: s?.restartCount ?? 0, podID: p.record.id, podName: p.manifest.name,
                                labels: labels, annotations: [:],
                                json: ["status": status, "info": info]))
            }
        }
        return rows.sorted { $0.createdAt > $1.createdAt }
    }

    static func inspect(_ c: CRIContainers.Container) -> JSON {
        let m = c.main
        let t = m?.terminated
        var status: JSON = [
            "id": .string(c.id), "metadata": ["name": .string(c.name), "attempt": .int(c.attempt)], "state": .string(c.state),
            "createdAt": .string(Time.rfc3339Nano(c.createdAt)), "startedAt": time(m?.startedAt), "finishedAt": time(t?.finishedAt),
            "exitCode": .int(t?.exitCode ?? 0), "image": ["image": .string(c.image)], "imageRef": .string(c.image),
            "reason": .string(t?.reason ?? ""), "message": .string(t?.message ?? ""),
            "labels": map(c.labels), "annotations": map(c.annotations), "logPath": .string(c.logPath),
        ]
        // ContainerStatus.user: the identity the process runs with (critest's SupplementalGroupsPolicy checks).
        if let plan = try? JSONParser.parse(try Files.readString(c.layout.plan)), let u = plan["containers"]?[0]?["spawn"]?["user"],
           let uid = u["uid"]?.int, let gid = u["gid"]?.int {
            let groups = Set([gid] + (u["groups"]?.array ?? []).compactMap(\.int)).sorted()
            status["user"] = ["linux": ["uid": .int(uid), "gid": .int(gid), "supplementalGroups": .array(groups.map { .int($0) })]]
        }
        var info: JSON = ["sandboxID": .string(c.sandboxID), "pid": .int(Int(m?.state == .running ? m?.pid ?? 0 : 0)),
                          "supervisorPid": .int(Int(c.supervisor?.pid ?? 0))]
        // ContainerStatus.resources.linux: the values written; info.cgroup: where, and each file's value.
        if let cg = (try? JSONParser.parse(try Files.readString(c.layout.plan)))?["containers"]?[0]?["cgroup"] {
            if let r = cg["resources"] { status["resources"] = ["linux": r] }
            info["cgroup"] = ["path": cg["path"] ?? nil, "files": cg["files"] ?? [:]]
        }
        return ["status": status, "info": info]
    }
}

struct ListContainers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List containers, like `crictl ps`.",
        discussion: """
            The filters are crictl ps's: without -a or --state only running containers; --name is a regular \
            expression matched anywhere in the name; --latest and --last include every state.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Flag(name: .shortAndLong, help: "Show all containers, not only running ones.")
    var all = false

    @Flag(name: .shortAndLong, help: "Print only container IDs.")
    var quiet = false

    @Option(name: .shortAndLong, help: "Only containers of this sandbox (ID prefix).")
    var pod: String?

    @Option(help: ArgumentHelp("Only the container with this ID (or unique prefix).", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("Only containers whose name matches this regular expression.", valueName: "regex"))
    var name: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Only containers in this state: created, running, exited or unknown.", valueName: "state"))
    var state: String?

    @Option(help: ArgumentHelp("Only containers with this label (repeatable; all must match).", valueName: "key=value"))
    var label: [String] = []

    @Flag(name: .shortAndLong, help: "Only the most recently created container (any state).")
    var latest = false

    @Option(help: ArgumentHelp("Only the n most recently created containers (any state).", valueName: "n"))
    var last: Int?

    @Flag(name: .customLong("no-trunc"), help: "Show full IDs in the table.")
    var noTrunc = false

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    static let states = ["created", "running", "exited", "unknown"]

    func validate() throws {
        if let s = state, !Self.states.contains(s.lowercased()) {
            throw ValidationError("--state must be one of \(Self.states.joined(separator: ", ")), got \"\(s)\"")
        }
        if let n = last, n < 0 { throw ValidationError("--last must be ≥ 0, got \(n)") }
        try LabelFilters.check(label)
        if let n = name, (try? Regex(n)) == nil { throw ValidationError("--name: \"\(n)\" is not a regular expression") }
    }

    func run() throws {
        global.apply()
        let pods = try makePodManager(global, network)
        let anyState = all || latest || (last ?? 0) > 0
        let wanted = state.map { "CONTAINER_" + $0.uppercased() } ?? (anyState ? nil : "CONTAINER_RUNNING")
        let labels = LabelFilters.parse(label) ?? []
        let pattern = try name.map { try Regex($0) }
        var rows = try ContainerView.rows(pods).filter { r in
            (wanted == nil || r.state == wanted) && (pod == nil || r.podID.hasPrefix(pod!)) && (id == nil || r.id.hasPrefix(id!))
                && LabelFilters.matches(labels, r.labels) && (pattern == nil || r.name.firstMatch(of: pattern!) != nil)
        }
        // Newest first, as rows come; crictl cuts after filtering.
        if latest { rows = Array(rows.prefix(1)) } else if let n = last, n > 0 { rows = Array(rows.prefix(n)) }
        if quiet { rows.forEach { print($0.id) }; return }
        switch output {
        case .table:
            let short = { (s: String) in noTrunc ? s : String(s.prefix(13)) }
            printTable(["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"], rows.map {
                [short($0.id), $0.image, ago(nanos: $0.createdAt), $0.state.replacingPrefix("CONTAINER_", ""),
                 $0.name, String($0.attempt), short($0.podID), $0.podName]
            })
        case .json: printDocument(["containers": .array(rows.map(\.container))], .json)
        case .yaml: printDocument(["containers": .array(rows.map(\.container))], .yaml)
        }
    }
}

struct InspectContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a container's status, like `crictl inspect`.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: DocumentFormat = .json

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String]

    func run() throws {
        global.apply()
        let rows = try ContainerView.rows(try makePodManager(global, network))
        try printEach(ids, output) { id throws(PodrigError) in
            let matches = rows.filter { $0.id.hasPrefix(id) }
            guard matches.count == 1 else {
                throw PodrigError(matches.isEmpty ? .notFound : .conflict, matches.isEmpty ? "container \"\(id)\" not found" : "container ID prefix \"\(id)\" is ambiguous")
            }
            return matches[0].json
        }
    }
}

/// crictl inspect and inspectp with several IDs: one document each, in order (YAML ones
/// separated by `---`); one that cannot be shown is an error line, and the exit status 1.
func printEach(_ ids: [String], _ format: DocumentFormat, _ document: (String) throws -> JSON) throws {
    var failures: [any Error] = []
    var printed = 0
    for id in ids {
        do {
            let doc = try document(id)
            if format == .yaml && printed > 0 { print("---") }
            printDocument(doc, format)
            printed += 1
        } catch {
            failures.append(error)
        }
    }
    if failures.count == 1 && ids.count == 1 { throw failures[0] }
    for f in failures { Log.write("podrig: error: \(f.asPodrigError)\n") }
    if !failures.isEmpty { throw ExitCode(1) }
}

extension String {
    func replacingPrefix(_ p: String, _ with: String) -> String { hasPrefix(p) ? with + dropFirst(p.count) : self }
}
