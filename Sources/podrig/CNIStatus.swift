import ArgumentParser
import PodrigCNI
import PodrigCore

struct CNIStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Is each network ready? Validated as libcni does, then CNI STATUS for cniVersion 1.1 networks.",
        discussion: """
            Ready means every plugin is found and supports the config's cniVersion (libcni's ValidateNetworkList) and,
            for 1.1 networks, answers STATUS. Exits 1 if a network is not ready (runp refuses such a 1.1 network).
            With a sandbox TARGET: its networks.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var tool: CNIToolOptions

    @Argument(help: ArgumentHelp("Netns path or sandbox ID (optional).", valueName: "target"))
    var target: String?

    func run() throws {
        global.apply()
        let cni = try network.cniOptions()
        let picked = try CNIToolLists.pick(cni: cni, tool: tool, target: target, global: global)
        defer { picked.target?.lock?.unlock() }
        let engine = cni.engine(trace: picked.target?.trace ?? tool.trace, owner: nil)
        var rows: [[String]] = []
        var failed = false
        for list in picked.lists {
            var status = "Ready", detail = ""
            do {
                try engine.validate(list)
                switch try engine.status(list) {
                case .ready: detail = "STATUS ok"
                case .skipped(let why): detail = "plugins found and support \(list.cniVersion); \(why)"
                case .notReady(let why): status = "NotReady"; detail = why; failed = true
                }
            } catch {
                status = "NotReady"; detail = error.asPodrigError.description; failed = true
            }
            rows.append([list.name, list.cniVersion, status, list.source, detail])
        }
        printTable(["NETWORK", "VERSION", "STATUS", "SOURCE", "DETAIL"], rows)
        if failed { throw ExitCode(1) }
    }
}

enum CNIToolLists {
    /// --conf, else the --network names, else a sandbox TARGET's own networks, else every valid
    /// list in the conf dir (or the embedded default). A sandbox target stays locked (caller unlocks).
    static func pick(cni: CNIOptions, tool: CNIToolOptions, target: String?, global: GlobalOptions) throws -> (lists: [CNIConfigList], target: CNITarget?) {
        var t: CNITarget?
        if let target { t = try CNITarget.resolve(target, global: global, cni: cni, tool: tool) }
        if let conf = tool.conf { return ([try CNIDiscovery.load(file: conf)], t) }
        if !cni.networks.isEmpty && !cni.isNone { return (try cni.discovery.select(cni.networks), t) }
        if let t, t.record != nil {
            let attached = CNINetwork.attached(t.record?.network).map(\.list)
            if !attached.isEmpty { return (attached, t) }
        }
        let all = try cni.discovery.all()
        return (all.isEmpty ? try cni.discovery.select([]) : all, t)
    }
}
