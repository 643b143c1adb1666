import ArgumentParser
import PodrigCore
import PodrigSandbox

/// Network options shared by the commands that attach or detach sandboxes.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("node-ip"), help: ArgumentHelp("Node IP for hostNetwork pods (repeat for dual-stack; default: discovered).", valueName: "ip"))
    var nodeIPs: [String] = []
}

/// The sandbox manager with the network layer the options ask for.
func makeSandboxManager(_ global: GlobalOptions, _ network: NetworkOptions) throws -> SandboxManager {
    var options = global.sandboxOptions
    if !network.nodeIPs.isEmpty { options.nodeIPs = network.nodeIPs }
    return SandboxManager(options: options, network: LoopbackOnlyNetwork())
}
