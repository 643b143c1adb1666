import ArgumentParser
import PodrigCluster
import PodrigCore
import PodrigSandbox

struct ClusterDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete clusters: their pods (gracefully), nodes, routes, bridge, leases and files."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Argument(help: "Cluster names.")
    var names: [String] = ["podrig"]

    func run() throws {
        global.apply()
        let manager = ClusterManager(root: global.root)
        for name in names {
            _ = try manager.store.load(name)
            try removePods(global, network, cluster: name, node: nil)
            try manager.delete(name)
            print("cluster \(name) deleted")
        }
    }
}

/// Removes the pods (sandboxes) on a cluster's nodes, or on one node: pod-aware, so
/// containers get their grace period and CNI DEL runs in the node.
func removePods(_ global: GlobalOptions, _ network: NetworkOptions, cluster: String, node: String?) throws {
    let sandboxes = try makePodAwareSandboxManager(global, network)
    var problems: [String] = []
    for r in try sandboxes.list() where r.node?.cluster == cluster && (node == nil || r.node?.name == node) {
        do {
            try sandboxes.remove(r.id, force: true)
            print("pod \(r.config.namespace)/\(r.config.name) on \(r.node?.name ?? "?") removed (sandbox \(r.id.prefix(13)))")
        } catch { problems.append("sandbox \(r.id.prefix(13)): \(error)") }
    }
    if !problems.isEmpty { throw PodrigError(.system, "removing the pods of cluster \(cluster)", cause: problems.joined(separator: "; ")) }
}
