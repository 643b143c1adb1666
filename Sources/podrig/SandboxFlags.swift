#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCNI
import PodrigCore
import PodrigPod
import PodrigSandbox

/// The flags every command shares, as plain values: what GlobalOptions + NetworkOptions parse
/// to, and what QuickVerbs builds without ArgumentParser. Defaults live here only.
struct SandboxFlags {
    var root = "/run/podrig"
    var pausePath: String?
    var debug = false
    var verbose = false
    var nodeIPs: [String] = []
    var cniConfDir = "/etc/cni/net.d"
    var cniBinDir = CNIPluginRunner.defaultBinDirs.joined(with: ":")
    var cniCacheDir = CNICache.defaultDirectory
    var networks: [String] = []
    var cniTimeout: Double = 30
    var ipFamily: IPFamily = .ipv4
    var cniArgs: [String] = []
    /// runp/up --node and --cluster: a simulated cluster node to run on.
    var node: String?
    var cluster: String?
    /// --cgroups, --cpu-weight-formula, --pod-max-pids, --single-process-oom-kill.
    var cgroups = CgroupOptions()

    init() {}

    init(_ g: GlobalOptions, _ n: NetworkOptions) {
        self.init(network: n)
        root = g.root
        pausePath = g.pausePath
        debug = g.debug
        verbose = g.verbose
        if let m = g.cgroups { cgroups.mode = m }
        cgroups.weightFormula = g.cpuWeightFormula
        cgroups.podPidsLimit = g.podMaxPids
        cgroups.singleProcessOOMKill = g.singleProcessOomKill
    }

    /// runp's and run's: with --node/--cluster placement.
    init(_ g: GlobalOptions, _ n: NetworkOptions, _ placement: NodeOptions) {
        self.init(g, n)
        node = placement.node
        cluster = placement.cluster
    }

    init(network n: NetworkOptions) {
        nodeIPs = n.nodeIPs
        cniConfDir = n.cniConfDir
        cniBinDir = n.cniBinDir
        cniCacheDir = n.cniCacheDir
        networks = n.networks
        cniTimeout = n.cniTimeout
        ipFamily = n.ipFamily
        cniArgs = n.cniArgs
    }

    func apply() {
        if debug { Log.debugEnabled = true }
        if verbose { Log.progressEnabled = true }
    }

    /// --network, else $PODRIG_NETWORK (comma-separated).
    var effectiveNetworks: [String] {
        if networks.isEmpty, let env = getenv("PODRIG_NETWORK") {
            return String(cString: env).split(separator: ",").map(String.init)
        }
        return networks
    }

    var sandboxOptions: SandboxManager.Options {
        var o = SandboxManager.Options()
        o.root = root
        o.pausePath = pausePath
        o.cgroupMount = cgroups.mount
        if !nodeIPs.isEmpty { o.nodeIPs = nodeIPs }
        return o
    }

    func cniOptions(extraArgs: [String] = []) throws -> CNIOptions {
        var o = CNIOptions()
        o.confDir = cniConfDir
        o.binDirs = cniBinDir.split(separator: ":").map(String.init)
        o.cacheDir = cniCacheDir
        o.networks = effectiveNetworks
        o.networksFromEnvironment = networks.isEmpty && !o.networks.isEmpty
        o.timeout = cniTimeout
        o.preferIPv6 = ipFamily == .ipv6
        o.extraArgs = try CNIRuntimeConf.parseArgs(cniArgs + extraArgs)
        return o
    }

    /// The network flags again as arguments, for the `podrig stopp` a completed pod's supervisor
    /// runs: its CNI DEL must use the same cache, plugins and networks as the ADD did.
    var networkArguments: [String] {
        var a = ["--cni-conf-dir", cniConfDir, "--cni-bin-dir", cniBinDir, "--cni-cache-dir", cniCacheDir,
                 "--cni-timeout", String(cniTimeout), "--ip-family", ipFamily.rawValue]
        for net in effectiveNetworks { a += ["--network", net] }
        for ip in nodeIPs { a += ["--node-ip", ip] }
        for arg in cniArgs { a += ["--cni-args", arg] }
        return a
    }

    /// The sandbox manager with the network layer the flags ask for.
    func sandboxManager() throws -> SandboxManager {
        SandboxManager(options: sandboxOptions, network: CNINetwork(options: try cniOptions()))
    }

    /// The sandbox manager with the pod layer's hooks installed, so that stopping or removing a
    /// sandbox stops its pod first (preStop, grace period) whichever command does it.
    func podManager(logRoot: String? = nil, configure: (inout PodManager.Options) -> Void = { _ in }) throws -> PodManager {
        var o = PodManager.Options()
        o.logRoot = logRoot
        o.cgroups = cgroups
        configure(&o)
        o.finishArguments = networkArguments
        return PodManager(sandboxOptions: sandboxOptions, network: CNINetwork(options: try cniOptions()), options: o)
    }
}
