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

    let dir = "/tmp/podrig-ct-test-" + String((try! Identifiers.newID()).prefix(6))

    init() { try! Files.makeDirectories(dir, mode: 0o755) }

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

    func expectNoNamespacesLeft(sourceLocation: SourceLocation = #_sourceLocation) {
        let left = ((try? Files.list("/run/netns")) ?? []).filter { $0.hasPrefix("pr-ct") }
        #expect(left.isEmpty, "namespaces left: \(left)", sourceLocation: sourceLocation)
    }

    static let bridgeConf = #"{"cniVersion":"1.0.0","name":"ctbridge","type":"bridge","bridge":"pr-ctb0","isGateway":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.235.0.0/24"}],[{"subnet":"fd00:235::/64"}]],"routes":[{"dst":"0.0.0.0/0"}]}}"#

    @Test func debianBridgeHostLocalPassesEveryVersionAndJUnitIsValid() throws {
        let conf = write("bridge.json", CNIConformanceTests.bridgeConf)
        let table = sh("\(TestBinaries.podrig) cni test --conf \(conf) --junit \(dir)/junit.xml --trace \(dir)/t.jsonl", timeout: 300)
        #expect(table.code == 0, "\(table.out)\(table.err)")
        #expect(table.out.contains("RESULT  VERSION  RULE") && table.out.contains("PASS    1.0.0    del.cleans"))
        #expect(table.out.contains("SKIP    0.3.1    check.after-add") && table.out.contains("CHECK exists from 0.4.0"))
        #expect(table.out.contains(#"SPEC.md "`DEL`: Remove container from network, or un-apply modifications""#))
        // JUnit that a CI system's parser reads: testsuites > testsuite > testcase, counts matching.
        let py = """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag == 'testsuites', root.tag
            suite = root.find('testsuite')
            cases = suite.findall('testcase')
            assert int(suite.get('tests')) == len(cases) > 20, (suite.get('tests'), len(cases))
            assert int(suite.get('failures')) == 0
            assert int(suite.get('skipped')) == len([c for c in cases if c.find('skipped') is not None])
            print(len(cases))
            """
        let x = sh("python3 -c \"$(cat <<'PY'\n\(py)\nPY\n)\" \(dir)/junit.xml")
        #expect(x.code == 0, "\(x.err)")
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
        let r = run("--conf \(conf) --cni-bin-dir \(bin):/usr/lib/cni --versions 0.4.0,1.0.0 --timeout 3")
        #expect(r.code == 1, "\(r.err)")
        #expect(failedRules(r.report) == [rule], "\(plugin): \(results(r.report, "FAIL").map(\.compact))")
        let fail = try #require(results(r.report, "FAIL").first)
        let refs = fail["reference"]?.array ?? []
        #expect(refs.count > 0, "no reference: \(fail.compact)")
        let n = try #require(fail["trace"]?[0]?.int, "no trace number: \(fail.compact)")
        let replay = sh("\(TestBinaries.podrig) trace \(dir)/trace.jsonl --replay \(n)")
        #expect(replay.code == 0 && replay.out.contains("'CNI_COMMAND=\(command)'") && replay.out.contains(plugin), "\(replay)")
        #expect(replay.out.contains("nsenter --net="), "the replay runs in the node netns")
        expectNoNamespacesLeft()
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
        let mine = ((try? Files.list("/run/netns")) ?? []).filter { $0.hasPrefix("pr-ct") }
        #expect(!mine.isEmpty)
        for ns in mine.sorted().reversed() { sh("ip netns del \(ns)") }
        expectNoNamespacesLeft()
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
