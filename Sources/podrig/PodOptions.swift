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

/// The sandbox manager with the pod layer's hooks installed, so that stopping or removing a
/// sandbox stops its pod first (preStop, grace period) whichever command does it.
func makePodManager(_ global: GlobalOptions, _ network: NetworkOptions, _ pod: PodOptions? = nil) throws -> PodManager {
    var o = PodManager.Options()
    o.logRoot = pod?.logRoot
    o.finishArguments = networkArguments(network)
    return PodManager(sandboxes: try makeSandboxManager(global, network), options: o)
}

/// The network options again as arguments, for the `podrig stopp` a completed pod's supervisor
/// runs: its CNI DEL must use the same cache, plugins and networks as the ADD did.
func networkArguments(_ n: NetworkOptions) -> [String] {
    var a = ["--cni-conf-dir", n.cniConfDir, "--cni-bin-dir", n.cniBinDir, "--cni-cache-dir", n.cniCacheDir,
             "--cni-timeout", String(n.cniTimeout), "--ip-family", n.ipFamily.rawValue]
    var networks = n.networks
    if networks.isEmpty, let env = getenv("PODRIG_NETWORK") {
        networks = String(cString: env).split(separator: ",").map(String.init)
    }
    for net in networks { a += ["--network", net] }
    for ip in n.nodeIPs { a += ["--node-ip", ip] }
    for arg in n.cniArgs { a += ["--cni-args", arg] }
    return a
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
