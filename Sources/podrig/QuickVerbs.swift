#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import PodrigPod

/// runp, stopp, rmp, pods, CRI create/start/rm and `--version` without ArgumentParser. Its
/// reflection-driven parse (Mirror, conformance scans over the whole static binary) cost ≈ 2 ms of
/// every sandbox verb — most of podrig's overhead over the bare CNI floor — and ≈ 5 ms of each
/// container verb, whose commands hold three option groups. This parser knows exactly the flags those commands define,
/// fills the same SandboxFlags (same defaults), runs the same `execute`, and gives up on anything
/// else — unknown, combined or malformed flags, help, `--` — so ArgumentParser handles and
/// reports those as usual. QuickVerbsTests keeps it in step with the ArgumentParser definitions.
enum QuickVerbs {
    enum Verb {
        case runp(podConfig: String)
        case stopp(ids: [String])
        case rmp(force: Bool, all: Bool, ids: [String])
        case pods(PodsQuery)
        case create(sandbox: String, config: String, podConfig: String?, rotation: LogRotation)
        case start(ids: [String])
        case rm(force: Bool, all: Bool, ids: [String])
        /// `podrig --version` alone: ArgumentParser's answer (the version line) without building its
        /// command tree, so it costs what process start costs.
        case version
    }

    struct Parsed {
        var flags = SandboxFlags()
        var verb: Verb
    }

    static func parse(_ args: [String]) -> Parsed? {
        if args == ["--version"] { return Parsed(verb: .version) }
        guard let command = args.first, ["runp", "stopp", "rmp", "pods", "create", "start", "rm"].contains(command) else { return nil }
        var f = SandboxFlags()
        var positional: [String] = []
        var force = false, all = false
        var q = PodsQuery()
        var logMaxSize = LogRotation.defaultMaxSize, logMaxFiles = PodPlanner.defaultLogMaxFiles
        var i = 1
        while i < args.count {
            var arg = args[i]
            var inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                inline = String(arg[arg.index(after: eq)...])
                arg = String(arg[..<eq])
            }
            func value() -> String? {
                if let inline { return inline }
                i += 1
                return i < args.count && !args[i].hasPrefix("-") ? args[i] : nil
            }
            func flag() -> Bool { inline == nil }
            switch (command, arg) {
            case (_, "--debug"): guard flag() else { return nil }; f.debug = true
            case (_, "-v"), (_, "--verbose"): guard flag() else { return nil }; f.verbose = true
            case (_, "--root"): guard let v = value() else { return nil }; f.root = v
            case (_, "--pause-path"): guard let v = value() else { return nil }; f.pausePath = v
            case (_, "--cgroups"): guard let v = value(), let m = CgroupOptions.Mode(rawValue: v) else { return nil }; f.cgroups.mode = m
            case (_, "--cpu-weight-formula"):
                guard let v = value(), let w = KubeletMapping.WeightFormula(rawValue: v) else { return nil }
                f.cgroups.weightFormula = w
            case (_, "--single-process-oom-kill"): guard flag() else { return nil }; f.cgroups.singleProcessOOMKill = true
            case (_, "--pod-max-pids"): guard let v = value(), let n = Int64(v) else { return nil }; f.cgroups.podPidsLimit = n
            case (_, "--node-ip"): guard let v = value() else { return nil }; f.nodeIPs.append(v)
            case (_, "--cni-conf-dir"): guard let v = value() else { return nil }; f.cniConfDir = v
            case (_, "--cni-bin-dir"): guard let v = value() else { return nil }; f.cniBinDir = v
            case (_, "--cni-cache-dir"): guard let v = value() else { return nil }; f.cniCacheDir = v
            case (_, "--network"): guard let v = value() else { return nil }; f.networks.append(v)
            case (_, "--cni-timeout"): guard let v = value(), let t = Double(v), SecondsOption.isValid(t) else { return nil }; f.cniTimeout = t
            case (_, "--ip-family"): guard let v = value(), let fam = IPFamily(rawValue: v) else { return nil }; f.ipFamily = fam
            case (_, "--cni-args"): guard let v = value() else { return nil }; f.cniArgs.append(v)
            case ("runp", "--node"): guard let v = value() else { return nil }; f.node = v
            case ("runp", "--cluster"): guard let v = value() else { return nil }; f.cluster = v
            case ("rmp", "-f"), ("rmp", "--force"), ("rm", "-f"), ("rm", "--force"): guard flag() else { return nil }; force = true
            case ("create", "--container-log-max-size"): guard let v = value() else { return nil }; logMaxSize = v
            case ("create", "--container-log-max-files"): guard let v = value(), let n = Int(v) else { return nil }; logMaxFiles = n
            case ("rmp", "-a"), ("rmp", "--all"), ("rm", "-a"), ("rm", "--all"): guard flag() else { return nil }; all = true
            case ("pods", "-q"), ("pods", "--quiet"): guard flag() else { return nil }; q.quiet = true
            case ("pods", "--no-trunc"): guard flag() else { return nil }; q.noTrunc = true
            case ("pods", "-l"), ("pods", "--latest"): guard flag() else { return nil }; q.latest = true
            case ("pods", "--name"): guard let v = value(), (try? Regex(v)) != nil else { return nil }; q.name = v
            case ("pods", "--namespace"): guard let v = value(), (try? Regex(v)) != nil else { return nil }; q.namespace = v
            case ("pods", "--id"): guard let v = value() else { return nil }; q.id = v
            case ("pods", "--label"): guard let v = value(), v.contains("=") else { return nil }; q.labels.append(v)
            case ("pods", "--last"): guard let v = value(), let n = Int(v), n >= 0 else { return nil }; q.last = n
            case ("pods", "--state"), ("pods", "-s"):
                guard let v = value(), ["ready", "notready"].contains(v.lowercased()) else { return nil }
                q.state = v
            case ("pods", "-o"), ("pods", "--output"):
                guard let v = value(), let o = OutputFormat(rawValue: v) else { return nil }
                q.output = o
            default:
                if arg.hasPrefix("-") { return nil }
                positional.append(arg)
            }
            i += 1
        }
        let verb: Verb
        switch command {
        case "runp":
            guard positional.count == 1 else { return nil }
            verb = .runp(podConfig: positional[0])
        case "stopp":
            guard !positional.isEmpty else { return nil }
            verb = .stopp(ids: positional)
        case "rmp":
            guard !positional.isEmpty || all else { return nil }
            verb = .rmp(force: force, all: all, ids: positional)
        case "create":
            // A bad rotation value: ArgumentParser's validate() words the error.
            guard positional.count == 2 || positional.count == 3,
                  let rotation = LogRotation(maxSize: logMaxSize, maxFiles: logMaxFiles) else { return nil }
            verb = .create(sandbox: positional[0], config: positional[1], podConfig: positional.count == 3 ? positional[2] : nil,
                           rotation: rotation)
        case "start":
            guard !positional.isEmpty else { return nil }
            verb = .start(ids: positional)
        case "rm":
            guard !positional.isEmpty || all else { return nil }
            verb = .rm(force: force, all: all, ids: positional)
        default:
            guard positional.isEmpty else { return nil }
            verb = .pods(q)
        }
        return Parsed(flags: f, verb: verb)
    }

    static func run(_ p: Parsed) throws {
        switch p.verb {
        case .runp(let podConfig): try RunPodSandbox.execute(p.flags, podConfig: podConfig)
        case .stopp(let ids): try StopPodSandbox.execute(p.flags, ids: ids)
        case .rmp(let force, let all, let ids): try RemovePodSandbox.execute(p.flags, force: force, all: all, ids: ids)
        case .pods(let q):
            p.flags.apply()
            try ListPods.execute(root: p.flags.root, q)
        case .create(let sandbox, let config, let podConfig, let rotation):
            try CreateContainer.execute(p.flags, rotation: rotation, sandbox: sandbox, containerConfig: config, podConfig: podConfig)
        case .start(let ids): try StartContainer.execute(p.flags, ids: ids)
        case .rm(let force, let all, let ids): try RemoveContainer.execute(p.flags, force: force, all: all, ids: ids)
        case .version:
            print(PodrigVersion.current)
        }
    }

    /// The end of a hot verb that succeeded: stdout flushed (a failed flush is exit 1, as exit(3)
    /// reports it), then _exit — no atexit handlers or stdio teardown, nothing of ours runs there
    /// (locks are flocks and pidfds, which the kernel drops with the process).
    static func exit(_ code: Int32) -> Never {
        Checkpoint.mark("main:exit")
        let flushed = fflush(nil) == 0  // every stream: stdout is the only one written
        Glibc._exit(flushed ? code : 1)
    }
}
