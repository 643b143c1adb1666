import ArgumentParser
import PodrigCore
import PodrigPod
import PodrigSandbox

/// crictl run: runp, create and start in one step. Unlike crictl, a run that fails after the
/// sandbox exists removes that sandbox again: a failed run leaves nothing behind.
struct RunContainer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a container in a new pod sandbox, like `crictl run`: runp, create and start; print the container's ID.",
        discussion: """
            CONTAINER_CONFIG and POD_CONFIG are the files create and runp take, in crictl run's order. Both are read \
            before anything is made; if the create or the start fails, the new sandbox is removed again (rmp -f).
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var placement: NodeOptions
    @OptionGroup var rotation: LogRotationOptions

    @Argument(help: ArgumentHelp("crictl container config (JSON or YAML).", valueName: "container-config"))
    var containerConfig: String

    @Argument(help: ArgumentHelp("crictl pod sandbox config (JSON or YAML).", valueName: "pod-config"))
    var podConfig: String

    func run() throws {
        let flags = SandboxFlags(global, network, placement)
        flags.apply()
        let pod = try PodSandboxConfig.load(path: podConfig)
        let container = try CRIContainerConfig.load(path: containerConfig)
        let rotation = LogRotation(rotation)
        let pods = try flags.podManager { o in
            o.logMaxSize = rotation.maxSizeBytes
            o.logMaxFiles = rotation.maxFiles
        }
        let sandbox = try RunPodSandbox.run(flags, pod, in: pods.sandboxes)
        do {
            let cri = CRIContainers(pods: pods)
            let id = try cri.create(sandboxID: sandbox, config: container, configDirectory: Files.dirname(of: containerConfig))
            try cri.start(try cri.find(id))
            print(id)
        } catch {
            do { try pods.sandboxes.remove(sandbox, force: true) } catch let cleanup {
                Log.write("podrig: error: run: removing sandbox \(sandbox.prefix(13)) after the failure: \(cleanup)\n")
            }
            throw error
        }
    }
}
