#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import Testing

/// `podrig cni test` against Debian's plugins and the fault plugins of Tests/Fixtures/cni-faults.
/// The runner makes its own pr-ct<run> namespaces; serialized so the leak checks see only one run.
@Suite(.enabled(if: isRoot), .serialized) struct CNIConformanceTests {
    static let faults: String = {
        var dir = Files.dirname(of: #filePath)
        dir = Files.dirname(of: dir)
        return dir + "/Fixtures/cni-faults"
    }()

    let scratch = ScratchDir("podrig-ct-test")
    var dir: String { scratch.path }

    /// Scratch dirs already there (another run's): only new ones are this test's leaks.
    let scratchBefore = Set((try? Files.list("/run/podrig-cni-test")) ?? [])

    func write(_ name: String, _ text: String) -> String {
        try! Files.writeAtomic(dir + "/" + name, text, mode: 0o644, sync: false)
        return dir + "/" + name
    }

    /// Runs the CLI; returns exit code, the parsed -o json report, and stderr.
    func run(_ args: String) -> (code: Int32, report: JSON, err: String) {
        let r = sh("\(TestBinaries.podrig) cni test -o json --trace \(dir)/trace.jsonl \(args)", timeout: 300)
        return (r.code, (try? JSONParser.parse(r.out)) ?? .null, r.err + r.out)
    }

    func results(_ report: JSON, _ status: String) -> [JSON] {
        (report["results"]?.array ?? []).filter { $0["status"]?.string == status }
    }

    func failedRules(_ report: JSON) -> Set<String> { Set(results(report, "FAIL").compactMap { $0["rule"]?.string }) }

    /// Checks a JUnit file as CI systems read it (Jenkins, GitLab: the Ant schema's shape):
    /// testsuites > testsuite > testcase with at most one failure or skipped each, every count
    /// attribute equal to what the elements hold, a message on every failure; xmllint too when
    /// installed. Returns the totals, or nil (with the reason recorded) when invalid.
    func validJUnit(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> (tests: Int, failures: Int, skipped: Int)? {
        let py = """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag == 'testsuites', root.tag
            T = F = S = 0
            suites = root.findall('testsuite')
            assert suites and len(suites) == len(list(root)), [c.tag for c in root]
            for suite in suites:
                assert suite.get('name'), 'testsuite without a name'
                cases = suite.findall('testcase')
                for c in cases:
                    assert c.get('name') and c.get('classname'), c.attrib
                    kids = [k.tag for k in c]
                    assert set(kids) <= {'failure', 'skipped', 'system-out'}, kids
                    assert kids.count('failure') + kids.count('skipped') <= 1, kids
                    for f in c.findall('failure'):
                        assert f.get('message'), 'failure without a message'
                f = len([c for c in cases if c.find('failure') is not None])
                s = len([c for c in cases if c.find('skipped') is not None])
                assert int(suite.get('tests')) == len(cases), (suite.get('name'), suite.get('tests'), len(cases))
                assert int(suite.get('failures')) == f, (suite.get('name'), suite.get('failures'), f)
                assert int(suite.get('skipped')) == s, (suite.get('name'), suite.get('skipped'), s)
                assert int(suite.get('errors')) == 0
                T += len(cases); F += f; S += s
            assert int(root.get('tests')) == T and int(root.get('failures')) == F and int(root.get('skipped')) == S, (root.attrib, T, F, S)
            print(T, F, S)
            """
        let x = sh("python3 -c \"$(cat <<'PY'\n\(py)\nPY\n)\" \(path)")
        guard x.code == 0 else {
            Issue.record("\(path) is not valid JUnit: \(x.err)", sourceLocation: sourceLocation)
            return nil
        }
        let lint = sh("command -v xmllint >/dev/null || exit 0; xmllint --noout \(path)")
        #expect(lint.code == 0, "xmllint: \(lint.err)", sourceLocation: sourceLocation)
        let n = x.out.split(separator: " ").compactMap { Int(String($0).trimmed) }
        guard n.count == 3 else { return nil }
        return (n[0], n[1], n[2])
    }

    /// The runner leaves nothing: no pr-ct netns, no scratch dir, no pr-ct link in the host netns.
    func expectNoNamespacesLeft(sourceLocation: SourceLocation = #_sourceLocation) {
        let left = ((try? Files.list("/run/netns")) ?? []).filter { $0.hasPrefix("pr-ct") }
        #expect(left.isEmpty, "namespaces left: \(left)", sourceLocation: sourceLocation)
        let scratch = ((try? Files.list("/run/podrig-cni-test")) ?? []).filter { !scratchBefore.contains($0) }
        #expect(scratch.isEmpty, "scratch dirs left in /run/podrig-cni-test: \(scratch)", sourceLocation: sourceLocation)
        let links = sh("ip -br link show | grep -E '^pr-ct' || true").out.trimmed
        #expect(links.isEmpty, "links left in the host netns: \(links)", sourceLocation: sourceLocation)
    }

    static let bridgeConf = #"{"cniVersion":"1.0.0","name":"ctbridge","type":"bridge","bridge":"pr-ctb0","isGateway":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.235.0.0/24"}],[{"subnet":"fd00:235::/64"}]],"routes":[{"dst":"0.0.0.0/0"}]}}"#

    @Test func debianBridgeHostLocalPassesEveryVersionAndJUnitIsValid() throws {
        let conf = write("bridge.json", CNIConformanceTests.bridgeConf)
        let table = sh("\(TestBinaries.podrig) cni test --conf \(conf) --junit \(dir)/junit.xml --trace \(dir)/t.jsonl", timeout: 300)
        #expect(table.code == 0, "\(table.out)\(table.err)")
        #expect(table.out.contains("RESULT  VERSION  RULE") && table.out.contains("PASS    1.0.0    del.cleans"))
        #expect(table.out.contains("SKIP    0.3.1    check.after-add") && table.out.contains("CHECK exists from 0.4.0"))
        #expect(table.out.contains(#"SPEC.md "`DEL`: Remove container from network, or un-apply modifications""#))
        let counts = validJUnit(dir + "/junit.xml")
        #expect(counts?.failures == 0 && (counts?.tests ?? 0) > 20, "\(String(describing: counts))")
        expectNoNamespacesLeft()
        // Versions and --only narrow the run.
        let only = run("--conf \(conf) --versions 0.4.0 --only '^del\\.'")
        #expect(only.code == 0)
        let rules = Set((only.report["results"]?.array ?? []).compactMap { $0["rule"]?.string })
        #expect(rules == ["del.cleans", "del.twice", "del.without-add", "del.netns-gone", "del.no-prevresult"], "\(rules)")
        #expect(only.report["versions"] == ["0.4.0"])
    }

    /// Each fault plugin breaks exactly one rule, and the FAIL names the section and a replayable exec.
    @Test(arguments: [
        ("pr-fault-leak-veth", "del.cleans", "DEL"),
        ("pr-fault-del-twice", "del.twice", "DEL"),
        ("pr-fault-drop-prev", "chain.prevresult", "ADD"),
        ("pr-fault-panic", "input.malformed-config", "ADD"),
        ("pr-fault-hang", "input.malformed-config", "ADD"),
        ("pr-fault-nonjson", "version.reply", "VERSION"),
    ])
    func faultPluginBreaksExactlyItsRule(plugin: String, rule: String, command: String) throws {
        let bin = dir + "/bin"
        try Files.makeDirectories(bin, mode: 0o755)
        _ = sh("cp \(CNIConformanceTests.faults)/\(plugin) \(bin)/")
        let conf: String
        if plugin == "pr-fault-drop-prev" {
            conf = write("f.json", #"{"cniVersion":"1.0.0","name":"ctfault","type":"\#(plugin)"}"#)
        } else {
            conf = write("f.json", CNIConformanceTests.bridgeConf.replacingOccurrences("\"type\":\"bridge\"", "\"type\":\"\(plugin)\""))
        }
        // --keep: the node netns stays, so the failed exec can be replayed where it ran.
        let r = run("--conf \(conf) --cni-bin-dir \(bin):/usr/lib/cni --versions 0.4.0,1.0.0 --timeout 3 --junit \(dir)/junit.xml --keep")
        defer { removeKeptNamespaces() }
        #expect(r.code == 1, "\(r.err)")
        #expect(failedRules(r.report) == [rule], "\(plugin): \(results(r.report, "FAIL").map(\.compact))")
        // The JUnit file has exactly those failures, each naming its rule, section and trace.
        let counts = validJUnit(dir + "/junit.xml")
        #expect(counts?.failures == results(r.report, "FAIL").count, "\(String(describing: counts))")
        let junit = (try? Files.readString(dir + "/junit.xml")) ?? ""
        #expect(junit.contains("name=\"\(rule)\"><failure message=") && junit.contains("--replay N)") && junit.contains("SPEC.md"), "\(junit.prefix(400))")
        let fail = try #require(results(r.report, "FAIL").first)
        let refs = fail["reference"]?.array ?? []
        #expect(refs.count > 0, "no reference: \(fail.compact)")
        let n = try #require(fail["trace"]?[0]?.int, "no trace number: \(fail.compact)")
        let replay = sh("\(TestBinaries.podrig) trace \(dir)/trace.jsonl --replay \(n)")
        #expect(replay.code == 0 && replay.out.contains("'CNI_COMMAND=\(command)'") && replay.out.contains(plugin), "\(replay)")
        #expect(replay.out.contains("nsenter --net="), "the replay runs in the node netns")
        // Rerun it: the same exit status (or the same hang) and the same stdout as recorded.
        let recorded = try #require(try JSONParser.parse(sh("\(TestBinaries.podrig) trace \(dir)/trace.jsonl -o json").out)[n - 1])
        try Files.writeAtomic(dir + "/replay.sh", replay.out, mode: 0o755, sync: false)
        // In a PID namespace of its own, so a hanging plugin dies with it when the timeout strikes.
        let again = sh("timeout 5 unshare --pid --fork --kill-child \(dir)/replay.sh", timeout: 30)
        if recorded["timedOut"]?.bool == true {
            #expect(again.code == 124, "\(plugin): the replay should hang again: \(again)")
        } else {
            #expect(Int(again.code) == recorded["exitCode"]?.int, "\(plugin): replay exit \(again.code), recorded \(recorded["exitCode"]?.compact ?? "?")")
            #expect(again.out == recorded["stdout"]?.string, "\(plugin): replay printed \(again.out)")
        }
    }

    /// What --keep kept (the node netns and the run's scratch dir), removed by name; then nothing may be left.
    func removeKeptNamespaces(sourceLocation: SourceLocation = #_sourceLocation) {
        let mine = ((try? Files.list("/run/netns")) ?? []).filter { $0.hasPrefix("pr-ct") }
        for ns in mine.sorted().reversed() { sh("ip netns del \(ns)") }
        for run in Set(mine.map { String($0.dropFirst(5).prefix(6)) }) { try? Files.removeTree("/run/podrig-cni-test/" + run) }
        expectNoNamespacesLeft(sourceLocation: sourceLocation)
    }

    @Test func replayWithKeepRerunsTheFailedExec() throws {
        let bin = dir + "/bin"
        try Files.makeDirectories(bin, mode: 0o755)
        _ = sh("cp \(CNIConformanceTests.faults)/pr-fault-del-twice \(bin)/")
        let conf = write("f.json", CNIConformanceTests.bridgeConf.replacingOccurrences("\"type\":\"bridge\"", "\"type\":\"pr-fault-del-twice\""))
        let r = run("--conf \(conf) --cni-bin-dir \(bin):/usr/lib/cni --versions 1.0.0 --only '^del\\.twice' --keep")
        let n = try #require(results(r.report, "FAIL").first?["trace"]?[0]?.int, "\(r.err)")
        let script = sh("\(TestBinaries.podrig) trace \(dir)/trace.jsonl --replay \(n)").out
        let again = sh(script)
        #expect(again.code == 1 && again.out.contains("attachment already deleted"), "\(again)")
        // --keep left the namespaces for the replay; remove them by name.
        #expect(((try? Files.list("/run/netns")) ?? []).contains { $0.hasPrefix("pr-ct") })
        removeKeptNamespaces()
    }

    /// `podrig trace --diff` and `--redact` on a real trace: add.twice's two ADDs of one attachment.
    @Test func traceDiffsTwoExecsAndRedactsWhatItIsTold() throws {
        let conf = write("bridge.json", CNIConformanceTests.bridgeConf)
        let r = run("--conf \(conf) --versions 1.0.0 --only '^add\\.twice'")
        #expect(r.code == 0, "\(r.err)")
        let trace = dir + "/trace.jsonl"
        let all = try JSONParser.parse(sh("\(TestBinaries.podrig) trace \(trace) -o json").out)
        let adds = (all.array ?? []).enumerated().filter { $0.element["command"] == "ADD" }.map { $0.offset + 1 }
        try #require(adds.count >= 2, "\(all.compact.prefix(300))")
        let (first, second) = (adds[0], adds[1])
        // Readable: the exit status and the result changed; the environment did not.
        let text = sh("\(TestBinaries.podrig) trace \(trace) --diff \(first) \(second)")
        #expect(text.code == 0, "\(text.err)")
        #expect(text.out.hasPrefix("--- #\(first) ") && text.out.contains("\n+++ #\(second) "), "\(text.out)")
        #expect(text.out.contains("exec:\n  ~ exitCode: 0 → 1") && text.out.contains("result:\n"), "\(text.out)")
        #expect(!text.out.contains("env:"), "the same attachment: no env change\n\(text.out)")
        let json = try JSONParser.parse(sh("\(TestBinaries.podrig) trace \(trace) --diff \(first) \(second) -o json").out)
        #expect(json["a"]?.int == first && json["b"]?.int == second && json["identical"] == false)
        let changes = json["changes"]?.array ?? []
        #expect(changes.contains { $0["section"] == "exec" && $0["path"] == "exitCode" && $0["before"] == 0 && $0["after"] == 1 }, "\(json.compact)")
        #expect(changes.contains { $0["section"] == "result" && $0["path"] == "code" && $0["before"] == nil }, "\(json.compact)")
        // Two ADDs of different attachments differ in their env; the diff names the variable.
        let ids = sh("\(TestBinaries.podrig) trace \(trace) --diff 1 \(first) -o json").out
        #expect(ids.contains("\"CNI_CONTAINERID\""), "\(ids)")
        // Redaction: the container ID (env) and the subnet (a JSON key of stdin) are nowhere in any output.
        let id = try #require((all[first - 1]?["env"]?.array ?? []).compactMap(\.string).first { $0.hasPrefix("CNI_CONTAINERID=") }?.dropFirst(16))
        let redact = "--redact CNI_CONTAINERID --redact subnet"
        for args in ["", "-o json", "--diff \(first) \(second)", "--replay \(first)"] {
            let out = sh("\(TestBinaries.podrig) trace \(trace) \(args) \(redact)")
            #expect(out.code == 0, "\(args): \(out.err)")
            #expect(!out.out.contains(String(id)) && !out.out.contains("10.235.0.0/24"), "\(args) leaks: \(out.out.prefix(600))")
            #expect(out.out.contains("REDACTED") || args.hasPrefix("--diff"), "\(args): \(out.out.prefix(300))")
        }
        #expect(sh("\(TestBinaries.podrig) trace \(trace) --replay \(first) \(redact)").out.contains("\n# redacted: CNI_CONTAINERID, subnet"))
        // Usage errors are one line, exit 2.
        let bad = sh("\(TestBinaries.podrig) trace \(trace) --diff 1")
        #expect(bad.code == 2 && bad.err.contains("--diff takes two exec numbers"), "\(bad)")
        let far = sh("\(TestBinaries.podrig) trace \(trace) --diff 1 9999")
        #expect(far.code != 0 && far.err.contains("there are"), "\(far)")
        expectNoNamespacesLeft()
    }

    /// docs/cni-conformance.md is what `hack/cni-conformance` makes on this machine, byte for byte:
    /// a change in podrig's runner (or in Debian's plugins) shows up here as a diff of the table.
    /// A FAIL that no suite entry explains would also fail here (it is not in the committed doc).
    @Test func referenceTableIsTheCommittedDoc() {
        let repo = Files.dirname(of: Files.dirname(of: Files.dirname(of: CNIConformanceTests.faults)))
        let r = sh("cd \(repo) && PODRIG=\(TestBinaries.podrig) bash hack/cni-conformance --check", timeout: 600)
        #expect(r.code == 0, "regenerate with hack/cni-conformance:\n\(r.err.suffix(4000))")
        expectNoNamespacesLeft()
    }

    @Test func badConfigAndMissingPluginAreOneLineErrors() {
        let conf = write("missing.json", #"{"cniVersion":"1.0.0","name":"ctx","type":"pr-no-such-plugin","ipam":{}}"#)
        let r = run("--conf \(conf)")
        #expect(r.code == 1)
        #expect(r.report["error"]?.string?.contains("pr-no-such-plugin") == true, "\(r.err)")
        let bad = sh("\(TestBinaries.podrig) cni test --conf \(write("bad.json", "{"))")
        #expect(bad.code == 1 && bad.err.contains("bad.json"))
        expectNoNamespacesLeft()
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
