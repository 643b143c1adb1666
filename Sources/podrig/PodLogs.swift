import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore
import PodrigIPAM
import PodrigPod

struct PodLogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a container's log (its CRI-format files, rotated ones included), or reopen it.",
        discussion: """
            The target is named as for exec: a container ID or unique prefix, a sandbox ID prefix with -c NAME, or a pod \
            name with -c NAME. The supervisor rotates a log at --container-log-max-size (kept: --container-log-max-files, \
            both options of up and create); logs reads the rotated files first. --reopen asks the supervisor to reopen the \
            log file at its path, as CRI ReopenContainerLog does after a log was moved away. --tail, --since, --since-time \
            and --limit-bytes mean what they mean to kubectl logs and crictl logs (kubelet's rules).
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Flag(name: .shortAndLong, help: "Keep printing new lines until the container stops.")
    var follow = false

    @Flag(name: .shortAndLong, help: "Prefix each line with its RFC 3339 timestamp.")
    var timestamps = false

    @Option(help: ArgumentHelp("Lines of the recent log to show; -1: all (give it as --tail=-1).", valueName: "n"))
    var tail: Int = -1

    @Option(help: ArgumentHelp("Only lines newer than a relative duration, like 5s, 2m or 3h.", valueName: "duration"))
    var since: String?

    @Option(name: .customLong("since-time"), help: ArgumentHelp("Only lines at or after an RFC 3339 time, like 2026-12-04T17:00:00Z.", valueName: "time"))
    var sinceTime: String?

    @Option(name: .customLong("limit-bytes"), help: ArgumentHelp("Stop after this many bytes of output.", valueName: "n"))
    var limitBytes: Int?

    @Flag(name: .shortAndLong, help: "The previous instance of the container (before its last restart).")
    var previous = false

    @Flag(name: .shortAndLong, help: "Reopen the container's log file at its path (CRI ReopenContainerLog) instead of printing it.")
    var reopen = false

    @Flag(name: .customLong("all-containers"), help: "Every container of the pod, init containers first (kubectl logs --all-containers).")
    var allContainers = false

    @Flag(help: "Prefix each line with its source, [pod/NAME/CONTAINER] (kubectl logs --prefix).")
    var prefix = false

    @Option(name: .shortAndLong, help: "Container name (default: the pod's first container, or the sandbox's only one).")
    var container: String?

    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("The pods whose labels match, instead of one (kubectl logs -l).", valueName: "selector"))
    var selector: String?

    @Argument(help: ArgumentHelp("Container ID (or unique prefix), sandbox ID prefix, or pod name.", valueName: "container-or-pod"))
    var podName: String?

    func validate() throws {
        if tail < -1 { throw ValidationError("--tail must be -1 (all) or a number of lines ≥ 0, got \(tail)") }
        if let n = limitBytes, n <= 0 { throw ValidationError("--limit-bytes must be greater than 0, got \(n)") }
        if since != nil && sinceTime != nil { throw ValidationError("--since and --since-time exclude each other") }
        if let d = since { do { _ = try IPAMDuration.parse(d, what: "--since") } catch { throw ValidationError(error.message) } }
        if let t = sinceTime, Time.parseRFC3339(t) == nil {
            throw ValidationError("--since-time: \"\(t)\" is not an RFC 3339 time (like 2026-12-04T17:00:00Z)")
        }
        if reopen && (follow || previous || tail != -1 || since != nil || sinceTime != nil || limitBytes != nil || allContainers || prefix) {
            throw ValidationError("--reopen prints nothing: it takes none of -f, -p, --tail, --since, --since-time, --limit-bytes, --all-containers, --prefix")
        }
        if allContainers && container != nil { throw ValidationError("--all-containers and -c exclude each other") }
        if (podName == nil) == (selector == nil) { throw ValidationError("give a container or pod, or -l SELECTOR (not both)") }
        if reopen && selector != nil { throw ValidationError("--reopen takes one container, not -l") }
        try SelectorOption.check(selector)
    }

    func options() -> CRILogOptions {
        var o = CRILogOptions(tail: tail >= 0 ? tail : nil, limitBytes: limitBytes, timestamps: timestamps)
        if let d = since, let ns = try? IPAMDuration.parse(d, what: "--since") { o.sinceNanos = Time.nowNanos() - ns }
        if let t = sinceTime { o.sinceNanos = Time.parseRFC3339(t) }
        return o
    }

    /// One container's log as it is printed: its file, what it has printed so far, its line prefix.
    struct Source {
        /// What the target was resolved from (a pod name, a container or sandbox ID) and with (-c or its name).
        var arg: String
        var container: String?
        var target: ContainerExec.Target
        var restarts: Int
        var file: CRILogTail
        var printer: CRILogPrinter
        var linePrefix: [UInt8]
        var done = false
    }

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        // (argument, container) pairs: one container, a pod's every container, or each selected pod's.
        var asked: [(arg: String, container: String?)] = []
        if let podName {
            let first = try ContainerExec.target(podName, container: container, namespace: pod.namespace, pods: manager)
            if reopen { return try reopenLog(first) }
            asked = [(podName, container)]
            // --all-containers: a pod's init containers and sidecars, then its main ones (kubectl's order);
            // a CRI container is its own only one.
            if allContainers, let p = try? manager.find(podName, namespace: pod.namespace) {
                asked = (p.manifest.spec.initContainers + p.manifest.spec.containers).map { (podName, $0.name) }
            }
        } else if let selector {
            let namespace = pod.namespace ?? "default"
            let chosen = try manager.pods(in: namespace, matching: selector)
            if chosen.isEmpty { Log.write("No resources found in \(namespace) namespace.\n"); return }
            for p in chosen {
                let names = allContainers ? (p.manifest.spec.initContainers + p.manifest.spec.containers).map(\.name)
                    : [container ?? p.manifest.spec.containers.first?.name].compactMap { $0 }
                asked += names.map { (p.manifest.name, $0) }
            }
        }
        var sources: [Source] = []
        for (arg, name) in asked {
            let t = try ContainerExec.target(arg, container: name, namespace: pod.namespace, pods: manager)
            let restarts = t.status?.restartCount ?? 0
            let path: String
            if let cri = t.criLogPath {
                if previous { throw PodrigError(.notFound, "previous terminated container: CRI containers are not restarted in place (\(t.what))") }
                path = cri
            } else {
                if previous && restarts == 0 {
                    // kubectl --all-containers -p skips a container that never restarted only if others did; one alone is an error.
                    if asked.count > 1 { continue }
                    throw PodrigError(.notFound, "previous terminated container \"\(t.name)\" (\(t.what)) not found")
                }
                path = "\(t.podLogDirectory ?? "")/\(previous ? restarts - 1 : restarts).log"
            }
            let who = (try? manager.find(arg, namespace: pod.namespace)).map { $0.manifest.name } ?? arg
            sources.append(Source(arg: arg, container: name, target: t, restarts: restarts, file: CRILogTail(path: path),
                                  printer: CRILogPrinter(options()),
                                  linePrefix: prefix ? Array("[pod/\(who)/\(t.name)] ".utf8) : []))
        }
        // A reader that went away (logs | head) ends the command quietly, as kubectl's does.
        var readerGone = false
        func emit(_ i: Int, _ lines: [CRILogLine], backlog: Bool = false) {
            var out = sources[i].printer.render(lines, backlog: backlog)
            if !sources[i].linePrefix.isEmpty && !out.isEmpty {
                var prefixed: [UInt8] = sources[i].linePrefix
                for (k, b) in out.enumerated() {
                    prefixed.append(b)
                    if b == 0x0A && k + 1 < out.count { prefixed += sources[i].linePrefix }
                }
                out = prefixed
            }
            if !out.isEmpty && Files.writeAll(1, out, what: "stdout") != nil { readerGone = true }
        }
        for i in sources.indices { emit(i, CRILogFiles.readRotated(sources[i].file.path) + sources[i].file.read(), backlog: true) }
        guard follow && !previous else { return }
        while !readerGone && sources.contains(where: { !$0.done && !$0.printer.finished }) {
            usleep(200_000)
            for i in sources.indices where !sources[i].done && !sources[i].printer.finished {
                emit(i, sources[i].file.read())
                // Re-resolved as first asked (a CRI container ID with no -c), or by name.
                guard let cur = try? ContainerExec.target(sources[i].arg, container: sources[i].container, namespace: pod.namespace, pods: manager),
                      cur.supervisorAlive, cur.status?.state == .running, (cur.status?.restartCount ?? 0) == sources[i].restarts else {
                    emit(i, sources[i].file.read())
                    sources[i].done = true
                    continue
                }
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
