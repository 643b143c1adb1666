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
        discussion: """
            The target is a container ID or unique prefix (as crictl's), a sandbox ID prefix with -c NAME (or its only \
            container), or a pod name (-n namespace) with -c NAME (default: its first container); CRI containers and pod \
            containers alike. The command's exit status becomes podrig's; with --timeout the command and everything it \
            started are killed when the time is up, and podrig exits 124.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Option(name: .shortAndLong, help: "Container name (default: the pod's first container, or the sandbox's only one).")
    var container: String?

    @Flag(name: [.customShort("i"), .customLong("interactive"), .customLong("stdin")], help: "Pass stdin to the command.")
    var interactive = false

    @Flag(name: .shortAndLong, help: "Run the command on a new pty (raw mode on this terminal, window size and SIGWINCH passed on).")
    var tty = false

    @Option(help: ArgumentHelp("Kill the command and everything it started after this many seconds (exit status 124).", valueName: "seconds"))
    var timeout: Double?

    @Flag(name: .shortAndLong, help: "Accepted for crictl compatibility: exec always waits for the command.")
    var sync = false

    @Argument(help: ArgumentHelp("Container ID (or unique prefix), sandbox ID prefix, or pod name.", valueName: "container-or-pod"))
    var podName: String

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if let t = timeout { try SecondsOption.check(t, "--timeout") }
    }

    func run() throws {
        global.apply()
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw ValidationError("give the command after --") }
        let manager = try makePodManager(global, network, pod)
        let target = try ContainerExec.target(podName, container: container, namespace: pod.namespace, pods: manager)
        var o = try ContainerExec.options(target, argv: argv)
        try checked(pr_set_subreaper(), "prctl(PR_SET_CHILD_SUBREAPER)")
        // Its own session: our signals are passed to its group, and a timeout finds all it started.
        o.newSession = true
        var master: Int32 = -1, slave: Int32 = -1
        if tty {
            try checked(pr_pty_open(&master, &slave), "opening a pty")
            o.stdin = slave
            o.stdout = slave
            o.stderr = slave
            o.controllingTerminal = true
        } else {
            o.stdin = interactive ? 0 : -1
            o.stdout = 1
            o.stderr = 2
        }
        let spawned: SpawnedProcess
        do { spawned = try Spawner.spawn(o) } catch {
            if master >= 0 { close(master); close(slave) }
            throw error
        }
        if slave >= 0 { close(slave) }
        // A local terminal goes raw so keys (^C, arrows) reach the command's pty untouched.
        let raw = tty && interactive && isatty(0) == 1 && pr_tty_raw(0) == 0
        defer {
            if raw { pr_tty_restore() }
            if master >= 0 { close(master) }
        }
        var io = pr_exec_io(pid: spawned.pid, pty: master, forward_stdin: interactive ? 1 : 0,
                            timeout_ms: timeout.map { Int32(min($0 * 1000, Double(Int32.max))) } ?? 0)
        var status: Int32 = 0
        let rc = pr_exec_wait(&io, &status)
        if rc == 1 {
            ProcessTree.kill(spawned.pid)
            while waitpid(spawned.pid, &status, 0) < 0 && errno == EINTR {}
            if raw { pr_tty_restore() }
            let secs = timeout.map { $0 == $0.rounded() ? String(Int($0)) : String($0) } ?? "?"
            Log.write("podrig: error: exec in \(target.what): command timed out after \(secs)s; it and everything it started were killed\n")
            throw ExitCode(124)
        }
        try checked(rc, "waiting for the command in \(target.what)")
        let code = ExitStatus(waitStatus: status).code
        if code != 0 { throw ExitCode(code) }
    }
}
