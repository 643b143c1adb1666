import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import PodrigPod

struct PodLogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a container's log (its CRI-format files, rotated ones included), or reopen it.",
        discussion: """
            The target is named as for exec: a container ID or unique prefix, a sandbox ID prefix with -c NAME, or a pod \
            name with -c NAME. The supervisor rotates a log at --container-log-max-size (kept: --container-log-max-files, \
            both options of up and create); logs reads the rotated files first. --reopen asks the supervisor to reopen the \
            log file at its path, as CRI ReopenContainerLog does after a log was moved away.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Flag(name: .shortAndLong, help: "Keep printing new lines until the container stops.")
    var follow = false

    @Flag(help: "Prefix each line with its RFC 3339 timestamp.")
    var timestamps = false

    @Flag(name: .shortAndLong, help: "The previous instance of the container (before its last restart).")
    var previous = false

    @Flag(help: "Reopen the container's log file at its path (CRI ReopenContainerLog) instead of printing it.")
    var reopen = false

    @Option(name: .shortAndLong, help: "Container name (default: the pod's first container, or the sandbox's only one).")
    var container: String?

    @Argument(help: ArgumentHelp("Container ID (or unique prefix), sandbox ID prefix, or pod name.", valueName: "container-or-pod"))
    var podName: String

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        var t = try ContainerExec.target(podName, container: container, namespace: pod.namespace, pods: manager)
        if reopen { return try reopenLog(t) }
        let restarts = t.status?.restartCount ?? 0
        let path: String
        if let cri = t.criLogPath {
            if previous { throw PodrigError(.notFound, "previous terminated container: CRI containers are not restarted in place (\(t.what))") }
            path = cri
        } else {
            if previous && restarts == 0 {
                throw PodrigError(.notFound, "previous terminated container \"\(t.name)\" (\(t.what)) not found")
            }
            path = "\(t.podLogDirectory ?? "")/\(previous ? restarts - 1 : restarts).log"
        }
        var tail = CRILogTail(path: path)
        var partial = ""
        func emit(_ lines: [CRILogLine]) {
            for l in lines {
                if l.partial { partial += l.message; continue }
                print((timestamps ? l.time + " " : "") + partial + l.message)
                partial = ""
            }
            fflush(nil)
        }
        emit(CRILogFiles.readRotated(path))
        emit(tail.read())
        guard follow && !previous else { return }
        while true {
            usleep(200_000)
            emit(tail.read())
            guard let cur = try? ContainerExec.target(podName, container: container, namespace: pod.namespace, pods: manager) else { return }
            t = cur
            if !t.supervisorAlive || t.status?.state != .running || (t.status?.restartCount ?? 0) != restarts {
                emit(tail.read())
                return
            }
        }
    }

    func reopenLog(_ t: ContainerExec.Target) throws {
        guard t.status?.state == .running, t.supervisorAlive else {
            throw PodrigError(.notReady, "\(t.what) is not running: there is no log file open to reopen")
        }
        let sock = try checked(pr_attach_connect(t.stateDirectory), "connecting to the supervisor of \(t.what) (\(t.stateDirectory))")
        defer { close(sock) }
        var message = [CChar](repeating: 0, count: 512)
        let rc = try checked(pr_attach_reopen(sock, &message, message.count), "reopening the log of \(t.what)")
        if rc == 1 {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw PodrigError(.system, "reopening the log of \(t.what)", cause: text)
        }
    }
}
