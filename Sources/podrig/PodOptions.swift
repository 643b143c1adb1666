#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import PodrigCore
import PodrigPod
import PodrigSandbox

/// Options of the pod commands (up, down, get, logs, exec).
struct PodOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Namespace of the pod names given.")
    var namespace: String?

    @Option(help: ArgumentHelp("Root of pod log directories (default: /var/log/pods, or <root>/logs with a non-default --root).", valueName: "dir"))
    var logRoot: String?
}

func makePodManager(_ global: GlobalOptions, _ network: NetworkOptions, _ pod: PodOptions? = nil,
                    rotation: LogRotationOptions? = nil) throws -> PodManager {
    try SandboxFlags(global, network).podManager(logRoot: pod?.logRoot) { o in
        if let r = rotation {
            o.logMaxSize = r.maxSizeBytes
            o.logMaxFiles = r.containerLogMaxFiles
        }
    }
}

/// kubelet's log rotation settings as plain values (what LogRotationOptions parses to, and what
/// QuickVerbs builds for `create`); nil when a value is not one LogRotationOptions accepts.
struct LogRotation: Equatable {
    static let defaultMaxSize = "10Mi"
    var maxSizeBytes: Int64
    var maxFiles: Int

    init?(maxSize: String = LogRotation.defaultMaxSize, maxFiles: Int = PodPlanner.defaultLogMaxFiles) {
        guard let q = Quantity.parse(maxSize), q.value > 0, maxFiles >= 2 else { return nil }
        maxSizeBytes = q.value
        self.maxFiles = maxFiles
    }

    init(_ o: LogRotationOptions) {
        maxSizeBytes = o.maxSizeBytes
        maxFiles = o.containerLogMaxFiles
    }
}

/// kubelet's log rotation settings, for the containers `up` and `create` plan.
struct LogRotationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Rotate a container's log when it reaches this size (kubelet's containerLogMaxSize; a quantity such as 10Mi).", valueName: "size"))
    var containerLogMaxSize = LogRotation.defaultMaxSize

    @Option(help: ArgumentHelp("Log files kept per container, the current one included (kubelet's containerLogMaxFiles).", valueName: "n"))
    var containerLogMaxFiles = PodPlanner.defaultLogMaxFiles

    var maxSizeBytes: Int64 { Quantity.parse(containerLogMaxSize)?.value ?? PodPlanner.defaultLogMaxSize }

    func validate() throws {
        guard let q = Quantity.parse(containerLogMaxSize), q.value > 0 else {
            throw ValidationError("--container-log-max-size: expected a positive quantity such as 10Mi, got \"\(containerLogMaxSize)\"")
        }
        guard containerLogMaxFiles >= 2 else {
            throw ValidationError("--container-log-max-files: must be at least 2 (the current file and one rotated), got \(containerLogMaxFiles)")
        }
    }
}

func makePodAwareSandboxManager(_ global: GlobalOptions, _ network: NetworkOptions) throws -> SandboxManager {
    try makePodManager(global, network).sandboxes
}

/// "12:03:04.567", for step lines.
func clockTime(_ nanos: Int64) -> String {
    let t = Time.rfc3339Nano(nanos)  // 2026-11-21T18:24:10.123456789Z
    guard let tIndex = t.firstIndex(of: "T") else { return t }
    return String(t[t.index(after: tIndex)...].prefix(12))
}
