@testable import podrig
import ArgumentParser
import Testing

/// The hand parser of runp/stopp/rmp/pods/create/start/rm must know every flag ArgumentParser defines for them,
/// give the same values, and fall back to ArgumentParser for anything else.
@Suite struct QuickVerbsTests {
    static let sample: [String: String] = ["--cni-timeout": "5", "--ip-family": "ipv6", "--state": "ready", "-s": "notready", "--output": "json", "-o": "yaml",
                                                   "--label": "k=v", "--last": "2",
                                                   "--cgroups": "disabled", "--cpu-weight-formula": "linear", "--pod-max-pids": "100",
                                                   "--container-log-max-size": "20Mi", "--container-log-max-files": "3"]
    static let booleans: Set<String> = ["--debug", "-v", "--verbose", "--single-process-oom-kill", "--force", "-f", "--all", "-a", "--quiet", "-q", "--no-trunc", "-l", "--latest"]

    static func flags(_ type: ParsableCommand.Type) -> [String] {
        // The options section only: a discussion may name other tools' flags (kubelet's --seccomp-default).
        let help = type.helpMessage(columns: 1000)
        var usage: Substring = help[...]
        if let options = help.firstRange(of: "OPTIONS:") { usage = help[options.lowerBound...] }
        let words: [Substring] = usage.split(whereSeparator: { !($0.isLetter || $0 == "-") })
        let named: [String] = words.filter { $0.hasPrefix("-") && $0.count > 1 }.map(String.init)
        return Array(Set(named.filter { $0 != "--help" && $0 != "-h" && $0 != "--version" }))
    }

    @Test(arguments: [("runp", RunPodSandbox.self as ParsableCommand.Type), ("stopp", StopPodSandbox.self),
                      ("rmp", RemovePodSandbox.self), ("pods", ListPods.self), ("create", CreateContainer.self),
                      ("start", StartContainer.self), ("rm", RemoveContainer.self)])
    func knowsEveryFlag(_ verb: String, _ type: ParsableCommand.Type) {
        let flags = Self.flags(type)
        #expect(flags.count >= 10, "\(flags)")
        let tail: [String] = verb == "pods" ? [] : verb == "create" ? ["sb", "c.yaml"] : ["x"]
        for flag in flags {
            let args = Self.booleans.contains(flag) ? [verb, flag] + tail : [verb, flag, Self.sample[flag] ?? "v"] + tail
            #expect(QuickVerbs.parse(args) != nil, "\(verb): hand parser does not know \(flag)")
        }
    }

    @Test func sameValuesAsArgumentParser() throws {
        let common = ["--root", "/r", "--pause-path", "/p", "--node-ip", "192.0.2.1", "--cni-conf-dir", "/c",
                      "--cni-bin-dir", "/b1:/b2", "--cni-cache-dir", "/k", "--network", "a", "--network=b",
                      "--cni-timeout", "7", "--ip-family", "ipv6", "--cni-args", "X=1", "--debug"]
        let quick = try #require(QuickVerbs.parse(["runp"] + common + ["pod.yaml"]))
        let full = try RunPodSandbox.parse(common + ["pod.yaml"])
        let a = quick.flags, b = SandboxFlags(full.global, full.network)
        #expect(a.root == b.root && a.pausePath == b.pausePath && a.debug == b.debug && a.nodeIPs == b.nodeIPs)
        #expect(a.cniConfDir == b.cniConfDir && a.cniBinDir == b.cniBinDir && a.cniCacheDir == b.cniCacheDir)
        #expect(a.networks == b.networks && a.cniTimeout == b.cniTimeout && a.ipFamily == b.ipFamily && a.cniArgs == b.cniArgs)
        #expect(a.networkArguments == b.networkArguments)
        guard case .runp(let file) = quick.verb else { Issue.record("not runp"); return }
        #expect(file == full.podConfig)

        // Defaults agree too.
        let dq = try #require(QuickVerbs.parse(["stopp", "x"])).flags
        let df = try StopPodSandbox.parse(["x"])
        #expect(dq.networkArguments == SandboxFlags(df.global, df.network).networkArguments && dq.root == df.global.root)

        let rm = try #require(QuickVerbs.parse(["rmp", "-f", "--all"]))
        guard case .rmp(let force, let all, let ids) = rm.verb else { Issue.record("not rmp"); return }
        #expect(force && all && ids.isEmpty)
        let pods = try #require(QuickVerbs.parse(["pods", "-q", "--name", "n", "--namespace", "s", "--state", "notready", "-o", "json", "--no-trunc"]))
        guard case .pods(let q) = pods.verb else { Issue.record("not pods"); return }
        #expect(q == (try ListPods.parse(["-q", "--name", "n", "--namespace", "s", "--state", "notready", "-o", "json", "--no-trunc"])).query)
        #expect(q.quiet && q.name == "n" && q.namespace == "s" && q.state == "notready" && q.output == .json && q.noTrunc)
        let filters = ["-s", "ready", "--id", "ab", "--label", "a=b", "--label=c=d", "-l", "--last", "3"]
        guard case .pods(let fq) = try #require(QuickVerbs.parse(["pods"] + filters)).verb else { Issue.record("not pods"); return }
        #expect(fq == (try ListPods.parse(filters)).query && fq.labels == ["a=b", "c=d"] && fq.last == 3 && fq.latest)

        // The container verbs: the same flags, rotation values and positionals as ArgumentParser's.
        let rotation = ["--container-log-max-size", "20Mi", "--container-log-max-files", "3"]
        let cq = try #require(QuickVerbs.parse(["create"] + common + rotation + ["sb", "c.yaml"]))
        let cf = try CreateContainer.parse(common + rotation + ["sb", "c.yaml"])
        #expect(cq.flags.networkArguments == SandboxFlags(cf.global, cf.network).networkArguments && cq.flags.root == cf.global.root)
        guard case .create(let sb, let config, let podConfig, let r) = cq.verb else { Issue.record("not create"); return }
        #expect(sb == cf.sandbox && config == cf.containerConfig && podConfig == nil && cf.podConfig == nil && r == LogRotation(cf.rotation))
        // crictl's three-argument form: POD container-config pod-config.
        let c3 = try #require(QuickVerbs.parse(["create", "sb", "c.yaml", "p.yaml"]))
        guard case .create(_, _, let p3, _) = c3.verb else { Issue.record("not create"); return }
        let cf3 = try CreateContainer.parse(["sb", "c.yaml", "p.yaml"])
        #expect(p3 == "p.yaml" && cf3.podConfig == "p.yaml")
        #expect(QuickVerbs.parse(["create", "sb", "c.yaml", "p.yaml", "x"]) == nil)
        let dc = try #require(QuickVerbs.parse(["create", "sb", "c.yaml"]))
        guard case .create(_, _, _, let defaults) = dc.verb else { Issue.record("not create"); return }
        #expect(defaults == LogRotation(try CreateContainer.parse(["sb", "c.yaml"]).rotation))
        let rmq = try #require(QuickVerbs.parse(["rm", "--force", "a", "b"]))
        guard case .rm(let f, let rmAll, let rmIDs) = rmq.verb, !rmAll else { Issue.record("not rm"); return }
        guard case .rm(true, true, []) = try #require(QuickVerbs.parse(["rm", "-f", "-a"])).verb else { Issue.record("not rm -f -a"); return }
        #expect(QuickVerbs.parse(["rm"]) == nil)
        let rmf = try RemoveContainer.parse(["--force", "a", "b"])
        #expect(f == rmf.force && rmIDs == rmf.ids)
        guard case .start(let startIDs) = try #require(QuickVerbs.parse(["start", "a", "b"])).verb else { Issue.record("not start"); return }
        #expect(startIDs == (try StartContainer.parse(["a", "b"])).ids)
    }

    /// `--version` alone is answered by the fast path with ArgumentParser's line; anything more goes
    /// to ArgumentParser. Through a pipe, so the flush before _exit is what delivers it.
    @Test func versionAsArgumentParserPrintsIt() {
        guard case .version = QuickVerbs.parse(["--version"])?.verb else { Issue.record("--version not on the fast path"); return }
        #expect(QuickVerbs.parse(["--version", "x"]) == nil && QuickVerbs.parse(["version"]) == nil)
        let r = sh("\(TestBinaries.podrig) --version | cat")
        #expect(r.code == 0 && r.out == (Podrig.configuration.version) + "\n", "\(r)")
        // Answered by CShims/early's initialiser: main (its first timing mark) never runs.
        let early = sh("PODRIG_TIMINGS=1 \(TestBinaries.podrig) --version 2>&1")
        #expect(early.code == 0 && early.out == Podrig.configuration.version + "\n", "\(early)")
        #expect(sh("\(TestBinaries.podrig) --version >&-").code == 1)
        // A hot verb's output survives the fast exit too (stopp of an ID that is gone succeeds).
        let s = sh("\(TestBinaries.podrig) stopp 0123456789ab --root /run/podrig-test/quick-none | cat")
        #expect(s.code == 0 && s.out == "Stopped sandbox 0123456789ab\n", "\(s)")
    }

    @Test(arguments: [["runp"], ["runp", "--help"], ["runp", "--bogus", "x"], ["runp", "a", "b"], ["runp", "--root"],
                      ["runp", "--cni-timeout", "-1", "x"], ["runp", "--ip-family", "ipv5", "x"], ["runp", "--debug=1", "x"],
                      ["stopp"], ["rmp"], ["rmp", "-fa", "x"], ["pods", "x"], ["pods", "-o", "wide"], ["pods", "--state", "sleepy"],
                      ["stopp", "--force", "x"], ["inspectp", "x"], ["runp", "--", "x"],
                      ["create", "sb"], ["create", "a", "b", "c", "d"], ["create", "--container-log-max-files", "1", "a", "b"],
                      ["create", "--container-log-max-size", "0", "a", "b"], ["create", "--container-log-max-size", "lots", "a", "b"],
                      ["create", "--all", "a", "b"], ["start"], ["start", "-f", "x"], ["rm"], ["rm", "--latest", "x"], ["rm", "--node", "n", "x"]])
    func fallsBack(_ args: [String]) {
        #expect(QuickVerbs.parse(args) == nil)
    }
}
