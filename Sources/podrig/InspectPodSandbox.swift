import ArgumentParser
import PodrigCNI
import PodrigCgroups
import PodrigCore
import PodrigPod
import PodrigSandbox

struct InspectPodSandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspectp",
        abstract: "Show a pod sandbox's status and info, in the shape `crictl inspectp` prints."
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var network: NetworkOptions

    @Flag(help: "Also run CNI CHECK on the sandbox's networks (fails if a plugin reports a problem).")
    var check = false

    @Option(name: .shortAndLong, help: "Output format: json or yaml.")
    var output: DocumentFormat = .json

    @Argument(help: ArgumentHelp("Sandbox IDs or unique prefixes.", valueName: "pod-id"))
    var ids: [String]

    func run() throws {
        global.apply()
        let store = SandboxStore(root: global.root)
        let cgroupMount = SandboxFlags(global, network).cgroups.mount
        try printEach(ids, output) { id in try document(id, store: store, cgroupMount: cgroupMount) }
    }

    func document(_ id: String, store: SandboxStore, cgroupMount: String) throws -> JSON {
        let record = try store.load(try store.resolve(id))
        var doc = SandboxView.inspect(record)
        // The pod cgroup (made with the sandbox, pause in it) and the limits in force there.
        if let path = PodCgroup.recorded(store.directory(record.id)) {
            var cg: JSON = ["path": .string(path)]
            if let values = CgroupResources.sandbox(resources: record.config.resources, overhead: record.config.overhead) { cg["resources"] = values.json }
            if let h = CgroupHierarchy.detect(mount: cgroupMount) {
                cg["files"] = .object(JSONObject(CgroupTree(hierarchy: h).limits(path).map { ($0.file, JSON.string($0.value)) }))
            }
            doc["info"]?["cgroup"] = cg
        }
        if check {
            let provider = CNINetwork(options: try network.cniOptions())
            let context = SandboxNetworkContext(record: record, directory: store.directory(record.id), root: global.root)
            let outcomes = try provider.check(context)
            doc["info"]?["cniCheck"] = .array(outcomes.map { o in
                switch o.outcome {
                case .passed: ["network": .string(o.network), "result": "passed"]
                case .skipped(let why): ["network": .string(o.network), "result": "skipped", "reason": .string(why)]
                }
            })
        }
        return doc
    }
}
