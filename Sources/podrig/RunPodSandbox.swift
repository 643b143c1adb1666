import ArgumentParser
import PodrigCore
import PodrigPod
import PodrigSandbox

struct RunPodSandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runp",
        abstract: "Create a pod sandbox from a crictl pod config and print its ID.",
        discussion: """
            POD_CONFIG is crictl's PodSandboxConfig as JSON or YAML (snake_case fields: metadata, hostname, log_directory, dns_config, port_mappings, labels, annotations, linux.security_context.namespace_options). The sandbox gets new network, UTS and IPC namespaces held by podrig-pause; network NODE keeps the host's network and uses the node's IPs; pid POD shares one PID namespace with pause as PID 1.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var placement: NodeOptions

    @Argument(help: ArgumentHelp("crictl pod sandbox config (JSON or YAML).", valueName: "pod-config"))
    var podConfig: String

    func run() throws {
        let flags = SandboxFlags(global, network, placement)
        try Self.execute(flags, podConfig: podConfig)
    }

    static func execute(_ flags: SandboxFlags, podConfig: String) throws {
        flags.apply()
        let config = try PodSandboxConfig.load(path: podConfig)
        print(try run(flags, config, in: try flags.sandboxManager()))
    }

    /// The sandbox on its node (--node/--cluster) in its pod cgroup; its ID. runp's and run's.
    static func run(_ flags: SandboxFlags, _ config: PodSandboxConfig, in sandboxes: SandboxManager) throws -> String {
        let node = try flags.resolveNode()
        let cgroup = try flags.cgroups.sandboxCgroup(config)
        return try sandboxes.run(config, node: node, cgroup: cgroup).id
    }
}
