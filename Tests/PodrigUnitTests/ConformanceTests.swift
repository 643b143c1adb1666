import PodrigConformance
import PodrigCore
import Testing

@Suite struct ConformanceSchemaTests {
    func problems(_ text: String, _ version: String) -> [String] {
        CTResultSchema.problems(try! JSONParser.parse(text), version: version)
    }

    @Test func validResultsOfEachLayoutPass() {
        #expect(problems(#"{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],"ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}"#, "1.0.0").isEmpty)
        #expect(problems(#"{"cniVersion":"0.4.0","ips":[{"version":"6","address":"fd00::2/64"}]}"#, "0.4.0").isEmpty)
        #expect(problems(#"{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24","gateway":"10.0.0.1","routes":[{"dst":"0.0.0.0/0"}]}}"#, "0.2.0").isEmpty)
    }

    @Test func eachBrokenFieldIsNamed() {
        let p = problems(#"{"cniVersion":"0.4.0","interfaces":[{}],"ips":[{"address":"10.0.0.2","gateway":"fd00::1","interface":3}],"routes":[{"dst":"x"}],"dns":{"nameservers":["nope"]}}"#, "1.0.0")
        for needle in ["cniVersion is \"0.4.0\"", "interfaces[0].name", "ips[0].address", "ips[0].interface 3 is out of range", "routes[0].dst", "dns.nameservers"] {
            #expect(p.contains { $0.contains(needle) }, "\(needle) missing from \(p)")
        }
        #expect(problems(#"{"cniVersion":"0.3.1","ips":[{"address":"10.0.0.2/24"}]}"#, "0.3.1").contains { $0.contains("version is missing") })
        #expect(problems(#"{"cniVersion":"0.3.1","ips":[{"version":"6","address":"10.0.0.2/24"}]}"#, "0.3.1").contains { $0.contains("but the address is IPv4") })
        #expect(problems(#"{"cniVersion":"0.2.0","ips":[]}"#, "0.2.0").contains { $0.contains("0.3.0 layout") })
        #expect(problems(#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1/24"}]}"#, "1.0.0").contains { $0.contains("gateway") })
        #expect(problems("[]", "1.0.0") == ["the result is an array, not an object"])
    }
}

@Suite struct ConformanceReportTests {
    func report() -> CTReport {
        var r = CTReport(name: "n<&>", mode: "standalone", plugins: [("bridge", "/usr/lib/cni/bridge")], versions: ["1.0.0"], tracePath: "/tmp/t")
        r.results = [
            CTResult(.addResult, version: "1.0.0", .pass, "ok"),
            CTResult(.delTwice, version: "1.0.0", .fail, "exit 1 \"bad\" <x>\u{1}", traces: [7]),
            CTResult(.checkAfterAdd, version: "1.0.0", .skip, "why"),
        ]
        return r
    }

    @Test func expectedFailuresBecomeXFailAndDoNotFail() {
        var r = report()
        #expect(r.failed)
        r.applyExpected(["del.twice@1.0.0": "plugin bug #1"])
        #expect(!r.failed && r.count(.xfail) == 1 && r.results[1].detail.contains("plugin bug #1"))
    }

    @Test func tableNamesRuleSectionAndTrace() {
        let t = CTRender.table(report())
        #expect(t.contains("FAIL    1.0.0    del.twice") && t.contains("#7") && t.contains("SPEC.md \"`DEL`: Remove container from network, or un-apply modifications\""))
        #expect(t.contains("podrig trace /tmp/t --replay N"))
    }

    @Test func junitEscapesEverything() {
        let x = CTRender.junit([report()])
        #expect(x.contains("name=\"n&lt;&amp;&gt;\"") && x.contains("&quot;bad&quot; &lt;x&gt;\u{FFFD}") && x.contains("failures=\"1\""))
        #expect(!x.contains("\u{1}"))
    }

    @Test func markdownCellsTakeTheWorstStatus() throws {
        let entry = try CTSuiteEntry.parse(Array(#"{"name":"n<&>","conf":{"cniVersion":"1.0.0","name":"x","type":"bridge"},"expected":{"del.twice@1.0.0":"known"}}"#.utf8), source: "t")
        var r = report()
        r.applyExpected(entry.expected)
        let md = CTRender.markdown([r], entries: [entry])
        #expect(md.contains("| n<&> | standalone | 1.0.0 | – | pass | – | skip | xfail |"))
        #expect(md.contains("| n<&> | `del.twice@1.0.0` | known |"))
    }

    @Test func aPluginThisMachineCannotRunIsNotApplicableEverywhere() throws {
        let entry = try CTSuiteEntry.parse(Array(#"{"name":"ipvlan","conf":{"cniVersion":"1.0.0","name":"x","type":"ipvlan"},"requires":["ip link add p type ipvlan"]}"#.utf8), source: "t")
        #expect(entry.requires == ["ip link add p type ipvlan"] && entry.options(CTOptions()).requires == entry.requires)
        var r = CTReport(name: "ipvlan", mode: "standalone", plugins: [], versions: [], tracePath: "/tmp/t")
        r.skipped = "not testable on this machine: `ip link add p type ipvlan` fails (Unknown device type)"
        #expect(!r.failed && r.json["skipped"]?.string == r.skipped)
        #expect(CTRender.table(r).contains("  skipped: not testable on this machine"))
        let x = CTRender.junit([r, report()])
        #expect(x.contains("<testsuites name=\"podrig cni test\" tests=\"4\" failures=\"1\""), "\(x)")
        #expect(x.contains("tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\"") && x.contains("name=\"requires\"><skipped message=\"not testable"))
        let md = CTRender.markdown([r], entries: [entry])
        #expect(md.contains("| ipvlan | standalone | – | n/a | n/a |"), "\(md)")
        #expect(md.contains("### Not run on this machine\n\n| plugin | why |\n|---|---|\n| ipvlan | not testable on this machine: `ip link add p type ipvlan` fails (Unknown device type) |"))
    }

    @Test func suiteEntriesAreValidated() {
        #expect(throws: PodrigError.self) { try CTSuiteEntry.parse(Array(#"{"conf":{}}"#.utf8), source: "t") }
        #expect(throws: PodrigError.self) { try CTSuiteEntry.parse(Array(#"{"name":"a","conf":{"cniVersion":"1.0.0","name":"x","type":"b"},"mode":"sideways"}"#.utf8), source: "t") }
    }
}
