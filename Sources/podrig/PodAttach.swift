import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import PodrigPod

struct PodAttach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach to a running container's output and, with -i, its stdin (kept by its supervisor).",
        discussion: """
            The target is named as for exec: a container ID or unique prefix, a sandbox ID prefix with -c NAME, or a pod \
            name with -c NAME. Output streams while the container runs. -i needs a container created with stdin (CRI stdin, \
            manifest stdin: true); with stdinOnce its stdin closes when the first attach that used it ends. -t needs one \
            created with tty: this terminal goes raw and its window size follows. The session ends when the container \
            exits, or with ^C (without -t); the end of stdin ends the container's stdin only with stdinOnce.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Option(name: .shortAndLong, help: "Container name (default: the pod's first container, or the sandbox's only one).")
    var container: String?

    @Flag(name: [.customShort("i"), .customLong("stdin")], help: "Pass stdin to the container.")
    var interactive = false

    @Flag(name: .shortAndLong, help: "The container has a pty: put this terminal in raw mode and pass its window size on.")
    var tty = false

    @Argument(help: ArgumentHelp("Container ID (or unique prefix), sandbox ID prefix, or pod name.", valueName: "container"))
    var target: String

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        let t = try ContainerExec.target(target, container: container, namespace: pod.namespace, pods: manager)
        guard let st = t.status, st.state == .running, t.supervisorAlive else { throw PodrigError(.notReady, "\(t.what) is not running") }
        if tty && t.plan["tty"]?.bool != true {
            throw PodrigError(.usage, "\(t.what) was not created with a tty (CRI tty / manifest tty: true): attach without -t")
        }
        if interactive && t.plan["stdin"]?.bool != true {
            throw PodrigError(.usage, "\(t.what) was not created with stdin (CRI stdin / manifest stdin: true): attach without -i")
        }
        try Self.session(t, interactive: interactive, tty: tty)
    }

    /// One attach session to a running container: its supervisor's socket, this terminal raw for
    /// -it, and the supervisor's refusal as an error. `up -it` attaches the same way.
    static func session(_ t: ContainerExec.Target, interactive: Bool, tty: Bool, onConnect: () -> Void = {}) throws {
        let sock = try checked(pr_attach_connect(t.stateDirectory), "connecting to the attach socket of \(t.what) in \(t.stateDirectory)")
        defer { close(sock) }
        onConnect()
        let raw = tty && interactive && isatty(0) == 1 && pr_tty_raw(0) == 0
        defer { if raw { pr_tty_restore() } }
        var message = [CChar](repeating: 0, count: 512)
        let rc = try checked(pr_attach_session(sock, interactive ? 1 : 0, tty ? 1 : 0, &message, message.count), "attach to \(t.what)")
        if rc == 1 {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw PodrigError(.conflict, "attach to \(t.what): \(text)")
        }
    }
}
