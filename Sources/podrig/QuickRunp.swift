#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox

/// `podrig runp` without ArgumentParser. Its reflection-driven parse (Mirror, conformance scans
/// over the whole static binary) was ≈ 2 ms of every runp — most of podrig's cost over the bare
/// CNI floor. This parser knows exactly the flags `runp --help` lists, builds the same options
/// from the same defaults (GlobalOptions, NetworkOptions, CNIOptions), and gives up on anything
/// else: unknown or malformed flags, help, `--`, so ArgumentParser reports them as usual.
enum QuickRunp {
    struct Parsed {
        var sandbox = SandboxManager.Options()
        var cni = CNIOptions()
        var cniArgs: [String] = []
        var nodeIPs: [String] = []
        var debug = false
        var podConfig: String?
    }

    static func parse(_ args: [String]) -> Parsed? {
        guard args.first == "runp" else { return nil }
        var p = Parsed()
        var networks: [String] = []
        var i = 1
        while i < args.count {
            var arg = args[i]
            var inlineValue: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                inlineValue = String(arg[arg.index(after: eq)...])
                arg = String(arg[..<eq])
            }
            func value() -> String? {
                if let inlineValue { return inlineValue }
                i += 1
                return i < args.count && !args[i].hasPrefix("-") ? args[i] : nil
            }
            switch arg {
            case "--debug": guard inlineValue == nil else { return nil }; p.debug = true
            case "--root": guard let v = value() else { return nil }; p.sandbox.root = v
            case "--pause-path": guard let v = value() else { return nil }; p.sandbox.pausePath = v
            case "--node-ip": guard let v = value() else { return nil }; p.nodeIPs.append(v)
            case "--cni-conf-dir": guard let v = value() else { return nil }; p.cni.confDir = v
            case "--cni-bin-dir": guard let v = value() else { return nil }; p.cni.binDirs = v.split(separator: ":").map(String.init)
            case "--cni-cache-dir": guard let v = value() else { return nil }; p.cni.cacheDir = v
            case "--network": guard let v = value() else { return nil }; networks.append(v)
            case "--cni-timeout":
                guard let v = value(), let t = Double(v), t > 0 else { return nil }
                p.cni.timeout = t
            case "--ip-family":
                guard let v = value(), v == "ipv4" || v == "ipv6" else { return nil }
                p.cni.preferIPv6 = v == "ipv6"
            case "--cni-args": guard let v = value() else { return nil }; p.cniArgs.append(v)
            default:
                if arg.hasPrefix("-") || p.podConfig != nil { return nil }
                p.podConfig = arg
            }
            i += 1
        }
        guard p.podConfig != nil else { return nil }
        p.cni.networks = networks
        if networks.isEmpty, let env = getenv("PODRIG_NETWORK") {
            p.cni.networks = String(cString: env).split(separator: ",").map(String.init)
        }
        if !p.nodeIPs.isEmpty { p.sandbox.nodeIPs = p.nodeIPs }
        return p
    }

    /// Runs a parsed runp exactly as RunPodSandbox.run does.
    static func run(_ p: Parsed) throws {
        if p.debug { Log.debugEnabled = true }
        var cni = p.cni
        cni.extraArgs = try CNIRuntimeConf.parseArgs(p.cniArgs)
        let config = try PodSandboxConfig.load(path: p.podConfig!)
        let manager = SandboxManager(options: p.sandbox, network: CNINetwork(options: cni))
        print(try manager.run(config).id)
    }
}
