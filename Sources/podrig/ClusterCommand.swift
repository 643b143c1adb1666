import ArgumentParser

struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Simulated clusters: kube-controller-manager's node IPAM, nodes as netns, routes between them.",
        discussion: """
            A cluster is an underlay bridge in its own netns (pr-<cluster>) and one netns per node
            (pr-<cluster>-<node>) with an InternalIP per family. kcm's rules cut --cluster-cidr into node
            podCIDRs; each node gets what flannel/kindnet would make of them (subnet.env, a bridge +
            host-local conflist) and a host-gw route to every other node's podCIDR. Pods go on a node with
            `runp --node`, `up --node` or spec.nodeName.
            """,
        subcommands: [ClusterCreate.self, ClusterDelete.self, ClusterList.self]
    )
}

struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Add, remove or show the nodes of a simulated cluster.",
        subcommands: [NodeAdd.self, NodeRemove.self, NodeGet.self]
    )
}

/// --cluster, or the only cluster there is.
func defaultCluster(_ given: String?, root: String) throws -> String {
    if let given { return given }
    let names = ClusterStoreNames.names(root: root)
    if names.count == 1 { return names[0] }
    throw ValidationError(names.isEmpty ? "no clusters (podrig cluster create)" : "several clusters (\(names.joined(separator: ", "))): give --cluster")
}
