import CPodrig
import PodrigCore
import PodrigPod
import Testing

@Suite struct PodLogicTests {
    @Test func dollarVariableExpansion() {
        let env = ["A": "1", "B": "two"]
        let e = { (s: String) in Expansion.expand(s) { env[$0] } }
        #expect(e("$(A)-$(B)") == "1-two")
        #expect(e("$(MISSING)") == "$(MISSING)")
        #expect(e("$$(A)") == "$(A)")
        #expect(e("$$") == "$")
        #expect(e("$(A") == "$(A")
        #expect(e("cost $5 $") == "cost $5 $")
        let ordered = Expansion.environment([("X", "x"), ("Y", "$(X)y"), ("Z", "$(W)"), ("W", "w")])
        #expect(ordered.map(\.value) == ["x", "xy", "$(W)", "w"])
    }

    @Test func fieldRefs() {
        let r = FieldRef(name: "p", namespace: "ns", uid: "u", labels: ["app": "a"], nodeName: "node", hostIPs: ["192.0.2.1"],
                         podIPs: ["10.89.0.2", "fd00::2"])
        #expect(r.value("status.podIP") == "10.89.0.2")
        #expect(r.value("status.podIPs") == "10.89.0.2,fd00::2")
        #expect(r.value("status.hostIP") == "192.0.2.1")
        #expect(r.value("metadata.labels['app']") == "a")
        #expect(r.value("spec.nodeName") == "node" && r.value("metadata.uid") == "u")
        #expect(FieldRef.isSupported("metadata.annotations['x']") && !FieldRef.isSupported("status.phase"))
    }

    func bit(_ n: String) -> UInt64 { 1 << UInt64(try! Capabilities.number(n)) }

    @Test func capabilitiesAsContainerdComputesThem() throws {
        let all: UInt64 = (1 << 41) - 1
        #expect(Capabilities.defaultMask == 0xa80425fb)
        #expect(try Capabilities.mask(privileged: false, add: [], drop: [], available: all) == 0xa80425fb)
        #expect(try Capabilities.mask(privileged: true, add: [], drop: [], available: all) == all)
        #expect(try Capabilities.mask(privileged: false, add: ["NET_ADMIN"], drop: ["CHOWN"], available: all)
            == (0xa80425fb | bit("NET_ADMIN")) & ~bit("CHOWN"))
        #expect(try Capabilities.mask(privileged: false, add: ["NET_RAW"], drop: ["ALL"], available: all) == bit("NET_RAW"))
        #expect(try Capabilities.mask(privileged: false, add: ["ALL"], drop: ["SYS_ADMIN"], available: all) == all & ~bit("SYS_ADMIN"))
        #expect(try Capabilities.mask(privileged: false, add: ["cap_kill"], drop: [], available: all) == 0xa80425fb)
        #expect(throws: PodrigError.self) { try Capabilities.mask(privileged: false, add: ["NOT_A_CAP"], drop: [], available: all) }
        #expect(throws: PodrigError.self) { try Capabilities.mask(privileged: false, add: ["SYS_ADMIN"], drop: [], available: 0xa80425fb) }
        let sets = Capabilities.sets(0xa80425fb)
        #expect(sets.inheritable == 0 && sets.ambient == 0 && sets.bounding == sets.effective)
    }

    @Test func runtimeDefaultSeccompCompiles() throws {
        let p = SeccompProfile.runtimeDefault
        let plain = try p.compile(capMask: Capabilities.defaultMask)
        let admin = try p.compile(capMask: Capabilities.defaultMask | bit("SYS_ADMIN"))
        #expect(plain.count > 800 && plain.count % 8 == 0, "a real allow-list is hundreds of BPF instructions")
        #expect(admin != plain, "CAP_SYS_ADMIN unlocks mount, unshare, setns…")
    }

    @Test func localhostProfileParses() throws {
        let json = try JSONParser.parse("""
            {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                          {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
            """)
        let p = try SeccompProfile.parse(json, source: "profile.json")
        #expect(!(try p.compile(capMask: 0)).isEmpty)
        let bad = try JSONParser.parse(#"{"defaultAction": "SCMP_ACT_NOPE"}"#)
        #expect(throws: PodrigError.self) { try SeccompProfile.parse(bad, source: "x").compile(capMask: 0) }
        // An argument index a syscall does not have is one line, not a trap (UInt32(-1)).
        for index in ["-1", "6", "99999999999999"] {
            let p = try JSONParser.parse(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": \#(index), "value": 8, "op": "SCMP_CMP_EQ"}]}]}"#)
            #expect { _ = try SeccompProfile.parse(p, source: "p.json") } throws: { error in
                (error as? PodrigError)?.description.contains("p.json: syscalls[0].args[0].index: \(index) is not a syscall argument") == true
            }
        }
    }

    /// A status file's pids are the supervisor's writing, but a damaged one must not trap.
    @Test func statusPidsOutsidePidTAreZero() throws {
        let j = try JSONParser.parse(#"{"supervisorPid": 99999999999, "containers": [{"name": "a", "state": "running", "pid": -5}, {"name": "b", "pid": 42}]}"#)
        let s = SupervisorStatus.parse(j)
        #expect(s.supervisorPid == 0 && s.containers.map(\.pid) == [0, 42])
    }

    @Test func backOffLikeKubelet() {
        var b = pr_backoff()
        let s: Int64 = 1_000_000_000
        var t: Int64 = 1000 * s
        #expect(pr_backoff_next(&b, t, t) == t, "the first restart is immediate")
        var delays: [Int64] = []
        for _ in 0..<7 {
            t += 1 * s
            delays.append((pr_backoff_next(&b, t, t) - t) / s)
        }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300])
        t += 1000 * s  // ran for more than 10 minutes since the last restart
        #expect(pr_backoff_next(&b, t, t) == t)
    }

    typealias C = SupervisorStatus.Container
    func status(_ cs: [C], initialized: Bool = true, result: String? = nil) -> SupervisorStatus {
        SupervisorStatus(supervisorPid: 1, startTime: 1, initializedAt: initialized ? 2 : 0, result: result, containers: cs)
    }
    func term(_ code: Int) -> SupervisorStatus.Termination {
        .init(exitCode: code, signal: 0, startedAt: 1, finishedAt: 2, reason: code == 0 ? "Completed" : "Error", message: "")
    }

    @Test func phaseLikeKubelet() {
        let phase = { (p: RestartPolicy, s: SupervisorStatus?) in PodStatusView.phase(restartPolicy: p, status: s, mainNames: ["a", "b"]) }
        #expect(phase(.always, nil) == "Pending")
        #expect(phase(.always, status([], initialized: false)) == "Pending")
        #expect(phase(.always, status([C(name: "a", state: .running), C(name: "b", state: .running)])) == "Running")
        #expect(phase(.always, status([C(name: "a", state: .running), C(name: "b", state: .waiting)])) == "Pending")
        let crashing = C(name: "b", state: .waiting, reason: "CrashLoopBackOff", lastTerminated: term(1))
        #expect(phase(.always, status([C(name: "a", state: .running), crashing])) == "Running")
        let done = [C(name: "a", state: .terminated, terminated: term(0)), C(name: "b", state: .terminated, terminated: term(0))]
        #expect(phase(.never, status(done)) == "Succeeded")
        #expect(phase(.always, status(done)) == "Running")
        let failed = [C(name: "a", state: .terminated, terminated: term(0)), C(name: "b", state: .terminated, terminated: term(2))]
        #expect(phase(.never, status(failed)) == "Failed")
        #expect(phase(.onFailure, status(failed)) == "Running")
        #expect(phase(.never, status([], result: "Failed")) == "Failed")
    }

    @Test func criLogLines() {
        let l = CRILogLine.parse("2026-11-21T18:24:10.123456789Z stderr P part of a line")
        #expect(l == CRILogLine(time: "2026-11-21T18:24:10.123456789Z", stream: "stderr", partial: true, message: "part of a line"))
        #expect(CRILogLine.parse("2026-11-21T18:24:10.123456789Z stdout F ")?.message == "")
        #expect(CRILogLine.parse("garbage") == nil)
    }

    @Test func rfc3339Parsing() {
        #expect(Time.parseRFC3339("1970-01-01T00:00:00Z") == 0)
        #expect(Time.parseRFC3339("2026-11-21T18:24:10Z") == Int64(1_795_285_450_000_000_000))
        #expect(Time.parseRFC3339("2026-11-21T18:24:10.123456789Z") == 1_795_285_450_123_456_789)
        #expect(Time.parseRFC3339("2026-11-21T18:24:10.5z") == 1_795_285_450_500_000_000)
        #expect(Time.parseRFC3339("2026-11-21T19:24:10+01:00") == Time.parseRFC3339("2026-11-21T18:24:10Z"))
        #expect(Time.parseRFC3339("2026-11-21T12:54:10-05:30") == Time.parseRFC3339("2026-11-21T18:24:10Z"))
        #expect(Time.parseRFC3339("2024-02-29T00:00:00Z") != nil)
        // Round trip with the writer the log records use.
        let now = Time.nowNanos()
        #expect(Time.parseRFC3339(Time.rfc3339Nano(now)) == now)
        for bad in ["", "2026-11-21", "2026-11-21T18:24:10", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                    "2026-11-21T24:00:00Z", "2026-11-21T18:24:10.Z", "2026-11-21T18:24:10.1234567890Z",
                    "2026-11-21T18:24:10+0100", "2026-11-21 18:24:10Z", "2026-11-21T18:24:10Zjunk", "9999-12-31T23:59:59Z",
                    "0000-01-01T00:00:00Z", "２０２６-11-21T18:24:10Z"] {
            #expect(Time.parseRFC3339(bad) == nil, "\(bad)")
        }
    }

    @Test func criLogPrinterAppliesKubeletsOptions() {
        func rec(_ s: Int, _ m: String, partial: Bool = false) -> CRILogLine {
            CRILogLine(time: Time.rfc3339Nano(Int64(s) * 1_000_000_000), stream: "stdout", partial: partial, message: m)
        }
        let log = [rec(1, "one"), rec(2, "tw", partial: true), rec(2, "o"), rec(3, "three"), rec(4, "four")]
        func text(_ o: CRILogOptions, _ r: [CRILogLine] = log) -> String {
            var p = CRILogPrinter(o)
            return String(decoding: p.render(r, backlog: true), as: UTF8.self)
        }
        #expect(text(CRILogOptions()) == "one\ntwo\nthree\nfour\n")
        #expect(text(CRILogOptions(tail: 2)) == "three\nfour\n")
        #expect(text(CRILogOptions(tail: 0)) == "")
        #expect(text(CRILogOptions(tail: 99)) == "one\ntwo\nthree\nfour\n")
        #expect(text(CRILogOptions(sinceNanos: 3_000_000_000)) == "three\nfour\n")
        #expect(text(CRILogOptions(sinceNanos: 9_000_000_000)) == "")
        #expect(text(CRILogOptions(sinceNanos: 2_000_000_000, tail: 1)) == "four\n")
        #expect(text(CRILogOptions(limitBytes: 6)) == "one\ntw")
        #expect(text(CRILogOptions(limitBytes: 4)) == "one\n")
        #expect(text(CRILogOptions(timestamps: true), [rec(1, "one")]) == "1970-01-01T00:00:01.000000000Z one\n")

        // Following: tail cuts only the backlog; the byte limit spans calls and then stops the follower.
        var p = CRILogPrinter(CRILogOptions(tail: 1, limitBytes: 10))
        #expect(String(decoding: p.render(log, backlog: true), as: UTF8.self) == "four\n")
        #expect(String(decoding: p.render([rec(5, "fi", partial: true)]), as: UTF8.self) == "")
        #expect(!p.finished)
        #expect(String(decoding: p.render([rec(5, "ve"), rec(6, "six")]), as: UTF8.self) == "five\n")
        #expect(p.finished)
        #expect(p.render([rec(7, "seven")]).isEmpty)
    }

    @Test func hostsAndResolvConf() {
        let hosts = PodFiles.hosts(hostname: "web-0", fqdn: "web-0.s.ns.svc.cluster.local", podIPs: ["10.89.0.2"],
                                   aliases: [(ip: "10.89.9.9", hostnames: ["a", "b"])], hostNetwork: false)
        #expect(hosts.contains("127.0.0.1\tlocalhost\n"))
        #expect(hosts.contains("10.89.0.2\tweb-0.s.ns.svc.cluster.local\tweb-0\n"))
        #expect(hosts.hasSuffix("# Entries added by HostAliases.\n10.89.9.9\ta\tb\n"))
        let host = "nameserver 192.0.2.53\nsearch corp.test\noptions ndots:1 edns0\n"
        #expect(PodFiles.resolvConf(policy: "Default", config: nil, hostFile: host) == "search corp.test\nnameserver 192.0.2.53\noptions ndots:1 edns0\n")
        let merged = PodFiles.resolvConf(policy: "ClusterFirst", config: (["10.89.0.53"], ["x.test"], ["ndots:5"]), hostFile: host)
        #expect(merged == "search corp.test x.test\nnameserver 192.0.2.53\nnameserver 10.89.0.53\noptions edns0 ndots:5\n")
        #expect(PodFiles.resolvConf(policy: "None", config: (["10.89.0.53"], [], []), hostFile: host) == "nameserver 10.89.0.53\n")
    }
}
