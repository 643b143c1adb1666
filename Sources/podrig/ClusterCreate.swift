import ArgumentParser
import PodrigCluster
import PodrigCore

enum ClusterStoreNames {
    static func names(root: String) -> [String] { ClusterStore(root: root).names() }
}

struct ClusterCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a cluster of simulated nodes with podCIDRs cut from --cluster-cidr by kcm's rules.",
        discussion: """
            The IPAM flags are kube-controller-manager's, with its defaults, validation and error texts.
            If any node's podCIDRs cannot be allocated (kcm's "no remaining CIDRs left"), nothing is created.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Cluster name (DNS-1123 label).")
    var name: String = "podrig"

    @Option(name: .customLong("cluster-cidr"), help: ArgumentHelp("CIDR range for pods; one per family for dual-stack (kcm).", valueName: "cidr[,cidr]"))
    var clusterCIDR: String

    @Option(name: .customLong("node-cidr-mask-size"), help: ArgumentHelp("Mask size for node CIDRs, single-stack only (kcm).", valueName: "n"))
    var nodeCIDRMaskSize: Int?

    @Option(name: .customLong("node-cidr-mask-size-ipv4"), help: ArgumentHelp("Mask size for IPv4 node CIDRs (kcm; default 24).", valueName: "n"))
    var nodeCIDRMaskSizeIPv4: Int?

    @Option(name: .customLong("node-cidr-mask-size-ipv6"), help: ArgumentHelp("Mask size for IPv6 node CIDRs (kcm; default 64).", valueName: "n"))
    var nodeCIDRMaskSizeIPv6: Int?

    @Option(name: .customLong("service-cluster-ip-range"), help: ArgumentHelp("Service CIDR(s): never handed to a node (kcm).", valueName: "cidr[,cidr]"))
    var serviceClusterIPRange: String?

    @Option(name: .customLong("nodes"), help: ArgumentHelp("Number of nodes: node-1 … node-N (default 1 without --node).", valueName: "n"))
    var nodes: Int?

    @Option(name: .customLong("node"), help: ArgumentHelp("A node by name (repeat).", valueName: "name"))
    var nodeNames: [String] = []

    @Option(name: .customLong("node-network"), help: ArgumentHelp("The nodes' InternalIP ranges, one per family (default kind's: \(ClusterManager.defaultNodeNetwork)).", valueName: "cidr[,cidr]"))
    var nodeNetwork: String?

    @Option(name: .customLong("reservation-ttl"), help: ArgumentHelp("How long a deleted pod's IPs stay reserved for it on its node (podrig-ipam sticky IPs; 0 turns them off; default \(NodeAgent.reservationTTL)).", valueName: "duration"))
    var reservationTTL: String?

    func validate() throws {
        if let nodes, nodes < 0 || nodes > 4096 { throw ValidationError("--nodes must be between 0 and 4096") }
        if nodes != nil && !nodeNames.isEmpty { throw ValidationError("give --nodes N or --node NAME…, not both") }
    }

    func run() throws {
        global.apply()
        let names = nodeNames.isEmpty ? (0..<(nodes ?? 1)).map { "node-\($0 + 1)" } : nodeNames
        let flags = NodeIPAMConfig.Flags(clusterCIDR: clusterCIDR, nodeCIDRMaskSize: nodeCIDRMaskSize, nodeCIDRMaskSizeIPv4: nodeCIDRMaskSizeIPv4,
                                         nodeCIDRMaskSizeIPv6: nodeCIDRMaskSizeIPv6, serviceClusterIPRange: serviceClusterIPRange)
        let t0 = Clock.now()
        let c = try ClusterManager(root: global.root).create(.init(name: name, ipam: flags, nodes: names, nodeNetwork: nodeNetwork, reservationTTL: reservationTTL)) { print($0) }
        print("cluster \(c.name) ready: \(c.nodes.count) node(s), cluster CIDR \(c.ipam.clusterCIDRText) [\(Int((Clock.now() - t0) * 1000)) ms]")
    }
}
