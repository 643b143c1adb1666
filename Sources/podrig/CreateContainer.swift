import ArgumentParser
import PodrigCore
import PodrigPod
import PodrigSandbox

struct CreateContainer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a container in a pod sandbox from a crictl container config; print its ID.",
        discussion: "CONTAINER_CONFIG is crictl's ContainerConfig (JSON or YAML). `image` is ignored: command runs from the host. Without a `seccomp` field the container is Unconfined, as CRI says (`up` manifests default to RuntimeDefault, like kubelet's --seccomp-default)."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var rotation: LogRotationOptions

    @Argument(help: ArgumentHelp("Sandbox ID or unique prefix.", valueName: "pod-id"))
    var sandbox: String

    @Argument(help: ArgumentHelp("crictl container config (JSON or YAML).", valueName: "container-config"))
    var containerConfig: String

    @Argument(help: ArgumentHelp("crictl pod config, as crictl create takes it (optional): it must be the sandbox's own.", valueName: "pod-config"))
    var podConfig: String?

    func run() throws {
        try Self.execute(SandboxFlags(global, network), rotation: LogRotation(rotation), sandbox: sandbox,
                         containerConfig: containerConfig, podConfig: podConfig)
    }

    static func execute(_ flags: SandboxFlags, rotation: LogRotation, sandbox: String, containerConfig: String,
                        podConfig: String? = nil) throws {
        flags.apply()
        let pods = try flags.podManager { o in
            o.logMaxSize = rotation.maxSizeBytes
            o.logMaxFiles = rotation.maxFiles
        }
        let config = try CRIContainerConfig.load(path: containerConfig)
        let sandboxConfig = try podConfig.map { p throws(PodrigError) in (config: try PodSandboxConfig.load(path: p), source: p) }
        let id = try CRIContainers(pods: pods).create(sandboxID: try pods.sandboxes.resolve(sandbox), config: config,
                                                      configDirectory: Files.dirname(of: containerConfig),
                                                      sandboxConfig: sandboxConfig)
        print(id)
    }
}
