#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import PodrigCgroups
import PodrigCore
import PodrigPod

/// `podrig stats`: crictl's stats (containers) and, with -p, statsp (pods), from the cgroups
/// podrig made. CPU is core-nanoseconds since the cgroup was made plus the rate over a short
/// window (usageNanoCores); memory working set = usage − inactive_file, as cadvisor computes it.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show container (or, with -p, pod) resource usage, like `crictl stats`.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Flag(name: [.customShort("p"), .customLong("pods")], help: "Per pod, like `crictl statsp`.")
    var pods = false

    @Flag(name: .shortAndLong, help: "Containers that are not running too.")
    var all = false

    @OptionGroup var sampling: StatsOptions

    @Argument(help: ArgumentHelp("Container (or with -p, pod sandbox) IDs or prefixes; default: all.", valueName: "id"))
    var ids: [String] = []

    func run() throws {
        try Self.execute(global, network, pods: pods, all: all, output: sampling.output, window: sampling.window, ids: ids)
    }

    static func execute(_ global: GlobalOptions, _ network: NetworkOptions, pods: Bool, all: Bool, output: OutputFormat,
                        window: Double, ids: [String]) throws {
        global.apply()
        let manager = try makePodManager(global, network)
        guard let h = CgroupHierarchy.detect() else { throw PodrigError(.notFound, "stats: no cgroup hierarchy at /sys/fs/cgroup") }
        let sample = try UsageSample.take(manager, hierarchy: h, window: window, includeExited: all)
        if pods {
            let selected = sample.pods.filter { p in ids.isEmpty || ids.contains { p.id.hasPrefix($0) } }
            let docs = selected.map(\.json)
            switch output {
            case .table:
                printTable(["POD", "POD ID", "CPU %", "MEM"], selected.map {
                    [$0.name, String($0.id.prefix(13)), String(format2($0.usage.nanoCores / 1e7)), bytes($0.usage.now.workingSet)]
                })
            case .json: printDocument(["stats": .array(docs)], .json)
            case .yaml: printDocument(["stats": .array(docs)], .yaml)
            }
            return
        }
        let selected = sample.containers.filter { c in ids.isEmpty || ids.contains { c.id.hasPrefix($0) } }
        switch output {
        case .table:
            printTable(["CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES"], selected.map {
                [String($0.id.prefix(13)), $0.name, format2($0.usage.nanoCores / 1e7), bytes($0.usage.now.workingSet), "0B", "0"]
            })
        case .json: printDocument(["stats": .array(selected.map(\.json))], .json)
        case .yaml: printDocument(["stats": .array(selected.map(\.json))], .yaml)
        }
    }
}

/// crictl's byte column: 1.5MB (decimal units, as go-units HumanSize).
func bytes(_ n: UInt64) -> String {
    var v = Double(n)
    for unit in ["B", "kB", "MB", "GB", "TB"] {
        if v < 1000 || unit == "TB" { return unit == "B" ? "\(n)B" : format2(v) + unit }
        v /= 1000
    }
    return "\(n)B"
}

func format2(_ v: Double) -> String {
    let hundredths = Int((v * 100).rounded())
    let frac = hundredths % 100
    return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
}

/// Two reads of every container's and pod's cgroup, `window` seconds apart.
struct UsageSample {
    struct Usage {
        var now: CgroupUsage
        var nanoCores: Double
        var timestamp: Int64
        func json(_ pids: Bool = false) -> (cpu: JSON, memory: JSON) {
            let t = JSON.string(String(timestamp))
            let cpu: JSON = ["timestamp": t, "usageCoreNanoSeconds": ["value": .string(String(now.cpuNanos))],
                             "usageNanoCores": ["value": .string(String(UInt64(max(0, nanoCores))))]]
            let mem: JSON = ["timestamp": t, "workingSetBytes": ["value": .string(String(now.workingSet))],
                             "usageBytes": ["value": .string(String(now.memoryUsage))], "rssBytes": ["value": .string(String(now.rss))],
                             "pageFaults": ["value": .string(String(now.pageFaults))], "majorPageFaults": ["value": .string(String(now.majorPageFaults))]]
            return (cpu, mem)
        }
    }

    struct Container {
        var id, name, podID: String
        var attempt: Int
        var labels: [String: String], annotations: [String: String]
        var usage: Usage
        /// crictl's ContainerStats.
        var json: JSON {
            let u = usage.json()
            return ["attributes": ["id": .string(id), "metadata": ["name": .string(name), "attempt": .int(attempt)],
                                   "labels": ContainerView.map(labels), "annotations": ContainerView.map(annotations)],
                    "cpu": u.cpu, "memory": u.memory,
                    "writableLayer": ["timestamp": .string(String(usage.timestamp)), "usedBytes": ["value": "0"], "inodesUsed": ["value": "0"]]]
        }
    }

    struct Pod {
        var id, name, namespace, uid: String
        var usage: Usage
        var containers: [Container]
        /// crictl's PodSandboxStats (linux part).
        var json: JSON {
            let u = usage.json()
            var linux: JSON = ["cpu": u.cpu, "memory": u.memory, "containers": .array(containers.map(\.json))]
            if let p = usage.now.pids {
                linux["process"] = ["timestamp": .string(String(usage.timestamp)), "processCount": ["value": .string(String(p))]]
            }
            return ["attributes": ["id": .string(id), "metadata": ["name": .string(name), "uid": .string(uid), "namespace": .string(namespace)],
                                   "labels": [:], "annotations": [:]],
                    "linux": linux]
        }
    }

    var containers: [Container] = []
    var pods: [Pod] = []

    static func take(_ manager: PodManager, hierarchy h: CgroupHierarchy, window: Double, includeExited: Bool) throws -> UsageSample {
        let rows = try ContainerView.rows(manager).filter { includeExited || $0.state == "CONTAINER_RUNNING" }
        let cpath = rows.map { $0.json["info"]?["cgroup"]?["path"]?.string }
        var podIDs: [String] = []
        for r in rows where !podIDs.contains(r.podID) { podIDs.append(r.podID) }
        let ppath = podIDs.map { CgroupRecord.read(manager.sandboxes.store.directory($0)) }
        func read(_ p: String?) -> CgroupUsage? { p.flatMap { CgroupUsage.read(h, $0) } }
        let t0 = Time.nowNanos()
        let c0 = cpath.map(read), p0 = ppath.map(read)
        if window > 0 { usleep(UInt32(min(window, 60) * 1e6)) }
        let t1 = Time.nowNanos()
        let c1 = cpath.map(read), p1 = ppath.map(read)
        func usage(_ a: CgroupUsage?, _ b: CgroupUsage?) -> Usage? {
            guard let b else { return nil }
            let dt = Double(max(1, t1 - t0))
            let rate = a.map { Double(b.cpuNanos &- min($0.cpuNanos, b.cpuNanos)) / dt * 1e9 } ?? 0
            return Usage(now: b, nanoCores: rate, timestamp: t1)
        }
        var s = UsageSample()
        for (i, r) in rows.enumerated() {
            guard let u = usage(c0[i], c1[i]) else { continue }
            s.containers.append(Container(id: r.id, name: r.name, podID: r.podID, attempt: r.attempt, labels: r.labels, annotations: r.annotations, usage: u))
        }
        for (i, id) in podIDs.enumerated() {
            guard let u = usage(p0[i], p1[i]), let rec = try? manager.sandboxes.status(id) else { continue }
            s.pods.append(Pod(id: id, name: rec.config.name, namespace: rec.config.namespace, uid: rec.config.uid, usage: u,
                              containers: s.containers.filter { $0.podID == id }))
        }
        return s
    }
}

/// crictl statsp: `stats -p` under crictl's own name.
struct StatsPods: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "statsp", abstract: "Show pod resource usage, like `crictl statsp` (stats -p).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var sampling: StatsOptions

    @Argument(help: ArgumentHelp("Pod sandbox IDs or prefixes; default: all.", valueName: "id"))
    var ids: [String] = []

    func run() throws {
        try Stats.execute(global, network, pods: true, all: false, output: sampling.output, window: sampling.window, ids: ids)
    }
}

/// stats' and statsp's output and CPU sampling window.
struct StatsOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @Option(help: ArgumentHelp("Window over which the CPU rate is measured, in seconds.", valueName: "seconds"))
    var window: Double = 0.1

    func validate() throws { try SecondsOption.check(window, "--window", atMost: 3600) }
}
