import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod

struct PodLogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a container's log (from the CRI-format files in the pod's log directory)."
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

    @Option(name: .shortAndLong, help: "Container name (default: the pod's first container).")
    var container: String?

    @Argument(help: ArgumentHelp("Pod name or sandbox ID prefix.", valueName: "pod"))
    var podName: String

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        var p = try manager.find(podName, namespace: pod.namespace)
        let all = p.manifest.spec.initContainers + p.manifest.spec.containers
        guard let name = container ?? p.manifest.spec.containers.first?.name, all.contains(where: { $0.name == name }) else {
            throw PodrigError(.notFound, "container \"\(container ?? "")\" is not in pod \(p.manifest.name) (containers: \(all.map(\.name).joined(separator: ", ")))")
        }
        let restarts = p.status?.container(name)?.restartCount ?? 0
        if previous && restarts == 0 {
            throw PodrigError(.notFound, "previous terminated container \"\(name)\" in pod \"\(p.manifest.name)\" not found")
        }
        let n = previous ? restarts - 1 : restarts
        var tail = CRILogTail(path: "\(p.logDirectory)/\(name)/\(n).log")
        var partial = ""
        func emit(_ lines: [CRILogLine]) {
            for l in lines {
                if l.partial { partial += l.message; continue }
                print((timestamps ? l.time + " " : "") + partial + l.message)
                partial = ""
            }
            fflush(nil)
        }
        emit(tail.read())
        guard follow && !previous else { return }
        while true {
            usleep(200_000)
            emit(tail.read())
            guard let cur = try? manager.load(p.record.id) else { return }
            p = cur
            let c = p.status?.container(name)
            if !p.supervisorAlive || c?.state != .running || (c?.restartCount ?? 0) != restarts {
                emit(tail.read())
                return
            }
        }
    }
}
