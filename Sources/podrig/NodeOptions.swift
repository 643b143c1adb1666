import ArgumentParser
import PodrigCluster
import PodrigCore
import PodrigSandbox

/// Where a pod runs: a simulated cluster node (podrig cluster create), or this host.
struct NodeOptions: ParsableArguments {
    @Option(name: .customLong("node"), help: ArgumentHelp("Run on this cluster node (podrig get nodes).", valueName: "name"))
    var node: String?

    @Option(name: .customLong("cluster"), help: ArgumentHelp("The cluster of --node, when several have a node of that name.", valueName: "name"))
    var cluster: String?
}

extension SandboxFlags {
    /// The node --node names (an error if there is none), or nil for this host.
    func resolveNode() throws(PodrigError) -> SandboxNode? {
        guard let node else {
            if let cluster { throw PodrigError(.usage, "--cluster \(cluster) needs --node") }
            return nil
        }
        let store = ClusterStore(root: root)
        let (c, n) = try store.findNode(node, cluster: cluster)
        return store.sandboxNode(c, n)
    }
}
