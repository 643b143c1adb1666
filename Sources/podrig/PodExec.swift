import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import PodrigPod

struct PodExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in a running container: its namespaces, user, capabilities, seccomp filter and env.",
        discussion: "The command's exit status becomes podrig's. stdin, stdout and stderr are podrig's own."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Option(name: .shortAndLong, help: "Container name (default: the pod's first container).")
    var container: String?

    @Argument(help: ArgumentHelp("Pod name or sandbox ID prefix.", valueName: "pod"))
    var podName: String

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func run() throws {
        global.apply()
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw ValidationError("give the command after --") }
        let manager = try makePodManager(global, network, pod)
        let p = try manager.find(podName, namespace: pod.namespace)
        let opts = try ContainerExec.options(p, container: container, argv: argv)
        if pr_set_subreaper() != 0 { throw PodrigError.system("PR_SET_CHILD_SUBREAPER", errno: errno) }
        var o = opts
        o.stdin = 0
        o.stdout = 1
        o.stderr = 2
        let spawned = try Spawner.spawn(o)
        var status: Int32 = 0
        while waitpid(spawned.pid, &status, 0) < 0 && errno == EINTR {}
        let code = ExitStatus(waitStatus: status).code
        if code != 0 { throw ExitCode(code) }
    }
}
