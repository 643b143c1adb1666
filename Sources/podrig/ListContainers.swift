import ArgumentParser
import PodrigCore
import PodrigPod

/// Containers as crictl shows them: CRI containers and those of `podrig up` pods.
enum ContainerView {
    struct Row {
        var id: String, image: String, createdAt: Int64, state: String, name: String, attempt: Int, podID: String, podName: String
        var json: JSON
    }

    static func rows(_ pods: PodManager) throws -> [Row] {
        var rows: [Row] = []
        for c in try CRIContainers(pods: pods).list() {
            let podName = (try? pods.sandboxes.status(c.sandboxID).config.name) ?? ""
            rows.append(Row(id: c.id, image: c.image, createdAt: c.createdAt, state: c.state, name: c.name, attempt: c.attempt,
                            podID: c.sandboxID, podName: podName, json: inspect(c)))
        }
        for p in try pods.list() {
            for spec in p.manifest.spec.initContainers + p.manifest.spec.containers {
                let s = p.status?.container(spec.name)
                let state = s?.state == .running && p.supervisorAlive ? "CONTAINER_RUNNING" : s?.state == .terminated || s?.lastTerminated != nil ? "CONTAINER_EXITED" : "CONTAINER_CREATED"
                let id = PodStatusView.containerID(p.record.id, spec.name).dropFirst("podrig://".count)
                let status = PodStatusView.status(p.manifest, record: p.record, status: p.status, supervisorAlive: p.supervisorAlive)
                let cs = (status["containerStatuses"]?.array ?? []) + (status["initContainerStatuses"]?.array ?? [])
                rows.append(Row(id: String(id), image: spec.image ?? "", createdAt: s?.startedAt ?? p.record.createdAt, state: state,
                                name: spec.name, attempt: s?.restartCount ?? 0, podID: p.record.id, podName: p.manifest.name,
                                json: ["status": cs.first { $0["name"]?.string == spec.name } ?? [:], "info": ["sandboxID": .string(p.record.id), "pid": .int(s?.pid ?? 0)]]))
            }
        }
        return rows.sorted { $0.createdAt > $1.createdAt }
    }

    static func inspect(_ c: CRIContainers.Container) -> JSON {
        let m = c.main
        let t = m?.terminated
        func map(_ d: [String: String]) -> JSON { .object(JSONObject(d.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })) }
        let status: JSON = [
            "id": .string(c.id), "metadata": ["name": .string(c.name), "attempt": .int(c.attempt)], "state": .string(c.state),
            "createdAt": .string(Time.rfc3339Nano(c.createdAt)),
            "startedAt": .string(m.map { $0.startedAt > 0 ? Time.rfc3339Nano($0.startedAt) : "0001-01-01T00:00:00Z" } ?? "0001-01-01T00:00:00Z"),
            "finishedAt": .string(t.map { Time.rfc3339Nano($0.finishedAt) } ?? "0001-01-01T00:00:00Z"),
            "exitCode": .int(t?.exitCode ?? 0), "image": ["image": .string(c.image)], "imageRef": "",
            "reason": .string(t?.reason ?? ""), "message": .string(t?.message ?? ""),
            "labels": map(c.labels), "annotations": map(c.annotations), "logPath": .string(c.logPath),
        ]
        return ["status": status, "info": ["sandboxID": .string(c.sandboxID), "pid": .int(m?.state == .running ? m?.pid ?? 0 : 0),
                                           "supervisorPid": .int(c.supervisor?.pid ?? 0)]]
    }
}

struct ListContainers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers, like `crictl ps`.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Flag(name: .shortAndLong, help: "Show all containers, not only running ones.")
    var all = false

    @Flag(name: .shortAndLong, help: "Print only container IDs.")
    var quiet = false

    @Option(name: .shortAndLong, help: "Only containers of this sandbox (ID prefix).")
    var pod: String?

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func run() throws {
        global.apply()
        let pods = try makePodManager(global, network)
        var rows = try ContainerView.rows(pods).filter { all || $0.state == "CONTAINER_RUNNING" }
        if let pod { rows = rows.filter { $0.podID.hasPrefix(pod) } }
        if quiet { rows.forEach { print($0.id) }; return }
        switch output {
        case .table:
            printTable(["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"], rows.map {
                [String($0.id.prefix(13)), $0.image, ago(nanos: $0.createdAt), $0.state.replacingPrefix("CONTAINER_", ""),
                 $0.name, String($0.attempt), String($0.podID.prefix(13)), $0.podName]
            })
        case .json: printDocument(["containers": .array(rows.map(\.json))], .json)
        case .yaml: printDocument(["containers": .array(rows.map(\.json))], .yaml)
        }
    }
}

struct InspectContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a container's status, like `crictl inspect`.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: DocumentFormat = .json

    @Argument(help: ArgumentHelp("Container ID or unique prefix.", valueName: "container-id"))
    var id: String

    func run() throws {
        global.apply()
        let rows = try ContainerView.rows(try makePodManager(global, network))
        let matches = rows.filter { $0.id.hasPrefix(id) }
        guard matches.count == 1 else {
            throw PodrigError(matches.isEmpty ? .notFound : .conflict, matches.isEmpty ? "container \"\(id)\" not found" : "container ID prefix \"\(id)\" is ambiguous")
        }
        printDocument(matches[0].json, output)
    }
}

extension String {
    func replacingPrefix(_ p: String, _ with: String) -> String { hasPrefix(p) ? with + dropFirst(p.count) : self }
}
