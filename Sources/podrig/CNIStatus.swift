import ArgumentParser
import PodrigCNI
import PodrigCore

struct CNIStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Is each network ready? Plugins found, and CNI STATUS for cniVersion 1.1 networks.",
        discussion: "Exits 1 if a network is not ready (runp refuses to attach to such a 1.1 network).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("A network config file instead of the conf dir.", valueName: "file"))
    var conf: String?

    func run() throws {
        global.apply()
        let cni = try network.cniOptions()
        let lists = try CNIToolLists.pick(cni: cni, conf: conf)
        let engine = cni.engine(trace: nil, owner: nil)
        var rows: [[String]] = []
        var failed = false
        for list in lists {
            var status = "Ready", detail = ""
            do {
                for i in list.plugins.indices { _ = try engine.runner.find(list.pluginType(i)) }
                switch try engine.status(list) {
                case .ready: detail = "STATUS ok"
                case .skipped(let why): detail = "plugins found; \(why)"
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
    /// --conf, else the --network names, else every valid list in the conf dir (or the embedded default).
    static func pick(cni: CNIOptions, conf: String?) throws -> [CNIConfigList] {
        if let conf { return [try CNIDiscovery.load(file: conf)] }
        if !cni.networks.isEmpty && !cni.isNone { return try cni.discovery.select(cni.networks) }
        let all = try cni.discovery.all()
        return all.isEmpty ? try cni.discovery.select([]) : all
    }
}
