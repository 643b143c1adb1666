import ArgumentParser
import PodrigCluster
import PodrigCore

struct ClusterList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List clusters.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Output: table, json or yaml.")
    var output: OutputFormat = .table

    func run() throws {
        global.apply()
        let store = ClusterStore(root: global.root)
        let clusters = store.list { name, e in Log.warn("cluster \(name): \(e)") }
        switch output {
        case .json, .yaml:
            printDocument(["clusters": .array(clusters.map(\.json))], output == .json ? .json : .yaml)
        case .table:
            printTable(["NAME", "STATUS", "NODES", "CLUSTER-CIDR", "NODE-MASKS", "SERVICE-CIDR", "AGE"], clusters.map { c in
                [c.name, c.phase == .ready ? "Ready" : c.phase.rawValue, String(c.nodes.count), c.ipam.clusterCIDRText,
                 c.ipam.nodeMasks.map { "/\($0)" }.joined(separator: ","),
                 c.ipam.serviceCIDRs.isEmpty ? "<none>" : c.ipam.serviceCIDRs.map(\.description).joined(separator: ","),
                 NodeViews.age(c.createdAt)]
            })
        }
    }
}
