import ArgumentParser
import PodrigCluster
import PodrigCore

struct NodeAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a node: kcm allocates its podCIDRs, it gets a netns, an InternalIP, configs, and every node's routes are reconciled."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Cluster (default: the only one).", valueName: "name"))
    var cluster: String?

    @Argument(help: "Node names (default: the next free node-N).")
    var names: [String] = []

    func run() throws {
        global.apply()
        let c = try defaultCluster(cluster, root: global.root)
        let manager = ClusterManager(root: global.root)
        for name in names.isEmpty ? [nil] : names.map(Optional.some) {
            let n = try manager.addNode(cluster: c, node: name)
            print("node \(n.name) added to cluster \(c): \(n.podCIDRs.map(\.description).joined(separator: ",")) on \(n.ips.joined(separator: ","))")
        }
    }
}

struct NodeRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove nodes: their pods go, their podCIDRs are released (kcm's ReleaseCIDR), the other nodes' routes to them are removed."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("Cluster (default: the only one).", valueName: "name"))
    var cluster: String?

    @Argument(help: "Node names.")
    var names: [String]

    func run() throws {
        global.apply()
        let c = try defaultCluster(cluster, root: global.root)
        let manager = ClusterManager(root: global.root)
        for name in names {
            let record = try manager.store.load(c)
            guard record.node(name) != nil else {
                throw PodrigError(.notFound, "cluster \(c) has no node \(name) (nodes: \(record.nodes.map(\.name).joined(separator: ", ")))")
            }
            try removePods(global, network, cluster: c, node: name)
            try manager.removeNode(cluster: c, node: name)
            print("node \(name) removed from cluster \(c)")
        }
    }
}

struct NodeGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show nodes (all, or by name) like `kubectl get node`; -o yaml says which block of the cluster range each podCIDR is."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only this cluster's nodes.", valueName: "name"))
    var cluster: String?

    @Option(name: .shortAndLong, help: "Output: wide, json or yaml (a v1 Node).")
    var output: GetFormat?

    @Argument(help: "Node names.")
    var names: [String] = []

    func validate() throws {
        if output?.podsOnly == true { throw ValidationError("-o name and -o jsonpath are for pods") }
    }

    func run() throws {
        global.apply()
        try NodeViews.get(root: global.root, cluster: cluster, names: names, output: output)
    }
}
