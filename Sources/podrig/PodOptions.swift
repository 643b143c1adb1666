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

func makePodManager(_ global: GlobalOptions, _ network: NetworkOptions, _ pod: PodOptions? = nil) throws -> PodManager {
    try SandboxFlags(global, network).podManager(logRoot: pod?.logRoot)
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
