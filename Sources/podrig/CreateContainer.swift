import ArgumentParser
import PodrigCore
import PodrigPod

struct CreateContainer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a container in a pod sandbox from a crictl container config; print its ID.",
        discussion: "CONTAINER_CONFIG is crictl's ContainerConfig (JSON or YAML). `image` is ignored: command runs from the host."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Argument(help: ArgumentHelp("Sandbox ID or unique prefix.", valueName: "pod-id"))
    var sandbox: String

    @Argument(help: ArgumentHelp("crictl container config (JSON or YAML).", valueName: "container-config"))
    var containerConfig: String

    func run() throws {
        global.apply()
        let pods = try makePodManager(global, network)
        let config = try CRIContainerConfig.load(path: containerConfig)
        let id = try CRIContainers(pods: pods).create(sandboxID: try pods.sandboxes.resolve(sandbox), config: config,
                                                      configDirectory: Files.dirname(of: containerConfig))
        print(id)
    }
}

struct StartContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start created containers.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String]

    func run() throws {
        global.apply()
        let cri = CRIContainers(pods: try makePodManager(global, network))
        for prefix in ids {
            let c = try cri.find(prefix)
            try cri.start(c)
            print(c.id)
        }
    }
}

struct StopContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop running containers: SIGTERM, the timeout, SIGKILL.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .shortAndLong, help: "Seconds to wait after SIGTERM before SIGKILL.")
    var timeout: Int = 10

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String]

    func run() throws {
        global.apply()
        let cri = CRIContainers(pods: try makePodManager(global, network))
        for prefix in ids {
            let c = try cri.find(prefix)
            cri.stop(c, timeout: timeout)
            print(c.id)
        }
    }
}

struct RemoveContainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers (a running one only with --force).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Flag(name: .shortAndLong, help: "Stop running containers first.")
    var force = false

    @Argument(help: ArgumentHelp("Container IDs or unique prefixes.", valueName: "container-id"))
    var ids: [String]

    func run() throws {
        global.apply()
        let cri = CRIContainers(pods: try makePodManager(global, network))
        for prefix in ids {
            let c = try cri.find(prefix)
            try cri.remove(c, force: force)
            print(c.id)
        }
    }
}
