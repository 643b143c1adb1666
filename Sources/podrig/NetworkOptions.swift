import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox

enum IPFamily: String, ExpressibleByArgument, CaseIterable {
    case ipv4, ipv6
}

/// Network options shared by the commands that attach or detach sandboxes.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("node-ip"), help: ArgumentHelp("Node IP for hostNetwork pods (repeat for dual-stack; default: discovered).", valueName: "ip"))
    var nodeIPs: [String] = []

    @Option(name: .customLong("cni-conf-dir"), help: ArgumentHelp("CNI network configs (*.conf, *.conflist, *.json).", valueName: "dir"))
    var cniConfDir: String = SandboxFlags().cniConfDir

    @Option(name: .customLong("cni-bin-dir"), help: ArgumentHelp("CNI plugin directories, colon-separated.", valueName: "dirs"))
    var cniBinDir: String = SandboxFlags().cniBinDir

    @Option(name: .customLong("cni-cache-dir"), help: ArgumentHelp("CNI result cache (libcni's layout).", valueName: "dir"))
    var cniCacheDir: String = SandboxFlags().cniCacheDir

    @Option(name: .customLong("network"), help: ArgumentHelp("CNI network by name; repeat to attach several (eth0, net1, …). Default: $PODRIG_NETWORK (comma-separated), else the first valid config, else the built-in one. `none`: no CNI, only lo.", valueName: "name"))
    var networks: [String] = []

    @Option(name: .customLong("cni-timeout"), help: ArgumentHelp("Seconds a plugin may run before it is killed.", valueName: "seconds"))
    var cniTimeout: Double = SandboxFlags().cniTimeout

    @Option(name: .customLong("ip-family"), help: "Primary Pod IP family: ipv4 or ipv6.")
    var ipFamily: IPFamily = .ipv4

    @Option(name: .customLong("cni-args"), help: ArgumentHelp("Extra CNI_ARGS (K=V;K2=V2), after the K8S_* ones.", valueName: "args"))
    var cniArgs: [String] = []

    func validate() throws {
        try SecondsOption.check(cniTimeout, "--cni-timeout")
    }
}

extension NetworkOptions {
    func cniOptions(extraArgs: [String] = []) throws -> CNIOptions {
        try SandboxFlags(network: self).cniOptions(extraArgs: extraArgs)
    }
}

/// The sandbox manager with the network layer the options ask for.
func makeSandboxManager(_ global: GlobalOptions, _ network: NetworkOptions) throws -> SandboxManager {
    try SandboxFlags(global, network).sandboxManager()
}
