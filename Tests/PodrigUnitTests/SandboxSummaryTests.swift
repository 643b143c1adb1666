#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
@testable import PodrigSandbox
import Testing

/// `podrig pods` reads records through SandboxSummary (a partial parse): it must accept, refuse
/// and read every record exactly as the whole SandboxRecord parse does.
@Suite struct SandboxSummaryTests {
    static let id = String(repeating: "ab", count: 32)
    /// A record with every field set, the shape SandboxRecord.json writes.
    static let full = #"{"id":"\#(id)","config":{"name":"web-0","namespace":"prod","uid":"u-1","attempt":3,"hostname":"web-0","#
        + #""logDirectory":"/var/log/pods/x","dns":{"servers":["10.0.0.10"],"searches":["svc.cluster.local"],"options":["ndots:5"]},"#
        + #""portMappings":[{"protocol":"TCP","containerPort":80,"hostPort":8080,"hostIP":""}],"labels":{"app":"web","tier":"fr\u00e9"},"#
        + #""annotations":{"a":"b \"q\" \\ é"},"cgroupParent":"/kubepods","sysctls":{"net.ipv4.ip_forward":"1"},"#
        + #""namespaceOptions":{"network":0,"pid":1,"ipc":0},"resources":{"cpu_shares":204,"memory_limit_in_bytes":67108864}},"#
        + #""state":"ready","createdAt":1796329287500172864,"pause":{"pid":19386,"startTime":2286252},"netnsPath":"/run/netns/x","#
        + #""podIPs":["10.88.0.5","fd00::5"],"network":{"attachments":[{"ifName":"eth0","result":{"ips":[1.5e3,null,true]}}]},"#
        + #""networkAttached":true,"node":{"cluster":"c","name":"n1","netnsPath":"/run/netns/n1","confDir":"/etc/cni","hostIPs":["10.1.0.2"]}}"#

    /// The whole parse's answer as a summary: nil where it refuses the bytes.
    static func whole(_ bytes: [UInt8]) -> SandboxSummary? {
        (try? SandboxRecord(json: JSONParser.parse(bytes: bytes))).map(SandboxSummary.init)
    }

    static func same(_ bytes: [UInt8], _ what: String) {
        let quick = SandboxSummary(recordBytes: bytes)
        #expect(quick == whole(bytes), "\(what): \(String(decoding: bytes, as: UTF8.self))")
    }

    @Test func readsWhatTheWholeRecordSays() throws {
        let bytes = Array(Self.full.utf8)
        let s = try #require(SandboxSummary(recordBytes: bytes))
        #expect(s == Self.whole(bytes))
        #expect(s.id == Self.id && s.name == "web-0" && s.namespace == "prod" && s.attempt == 3 && s.state == .ready)
        #expect(s.createdAt == 1796329287500172864 && s.pause == ProcessIdentity(pid: 19386, startTime: 2286252))
        #expect(s.podIPs == ["10.88.0.5", "fd00::5"])
    }

    @Test func everyTruncationAndDamageAsTheWholeParse() {
        let bytes = Array(Self.full.utf8)
        for n in 0...bytes.count { Self.same(Array(bytes[..<n]), "cut at \(n)") }
        // One byte replaced, at every position, by a few that break strings, numbers and structure.
        for i in bytes.indices {
            for b: UInt8 in [0x22, 0x7D, 0x5D, 0x2C, 0x3A, 0x5C, 0x78, 0x30, 0x2D, 0x20, 0x0A, 0x01, 0x80, 0xFF] where bytes[i] != b {
                var d = bytes
                d[i] = b
                Self.same(d, "byte \(i) = \(b)")
            }
        }
    }

    @Test(arguments: [
        // Defaults and odd types where the whole parse falls back to defaults.
        #"{"id":"x","config":{"name":"n"},"state":"ready"}"#,
        #"{"id":"x","config":{"name":"n","namespace":7,"attempt":"2"},"state":"notReady","createdAt":"5"}"#,
        #"{"id":"x","config":{"name":"n","attempt":2.0},"state":"creating","createdAt":1.5e3}"#,
        #"{"id":"x","config":{"name":"n","attempt":1e400},"state":"ready","createdAt":-3}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","pause":{"pid":5}}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","pause":{"pid":5,"startTime":-1}}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","pause":{"pid":"5","startTime":9}}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","pause":null,"podIPs":["a",1,null,"b"]}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","podIPs":{"a":"b"}}"#,
        // Repeated keys: the last one wins, in both.
        #"{"id":"x","config":{"name":"n","name":"m"},"state":"ready","state":"notReady","id":"y"}"#,
        #"{"id":"x","config":{"name":"n"},"config":{"namespace":"s"},"state":"ready"}"#,
        // Refused by both: a pid outside pid_t (it trapped), or not a pid at all.
        #"{"id":"x","config":{"name":"n"},"state":"ready","pause":{"pid":99999999999,"startTime":9}}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","pause":{"pid":-1,"startTime":9}}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","pause":{"pid":0,"startTime":9}}"#,
        #"{"config":{"name":"n"},"state":"ready"}"#,
        #"{"id":"x","state":"ready"}"#,
        #"{"id":"x","config":"n","state":"ready"}"#,
        #"{"id":"x","config":{"name":null},"state":"ready"}"#,
        #"{"id":"x","config":{"name":"n"},"state":"READY"}"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready"} x"#,
        #"{"id":"x","config":{"name":"n"},"state":"ready","labels":{"a":"\ud800"}}"#,
        #"{"id":"x","config":{"name":"n","labels":{"a":"\x"}},"state":"ready"}"#,
        #"{"id":"x","config":{"name":"n","dns":[01]},"state":"ready"}"#,
        #"[]"#, #"null"#, "",
    ])
    func oddFieldsAsTheWholeParse(_ text: String) {
        Self.same(Array(text.utf8), "case")
    }

    @Test func invalidUTF8InASkippedStringIsRefusedToo() {
        var bytes = Array(#"{"id":"x","config":{"name":"n","uid":"AB"},"state":"ready"}"#.utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "A"))!
        bytes[at] = 0xC3; bytes[at + 1] = 0x28  // a lead byte and no continuation
        #expect(SandboxSummary(recordBytes: bytes) == nil && Self.whole(bytes) == nil)
    }

    /// The picking parse refuses what the whole one refuses, with the same message.
    @Test(arguments: [#"{"a":[1,2,}"#, #"{"a":01}"#, #"{"b":{"c":tru}}"#, #"{"a":"x\"#, "{\"b\":\"\u{1}\"}", #"{"b":[[[]]"#, #"{"a":1}}"#])
    func pickedParseFailsAlike(_ text: String) {
        let pick = JSONPick.keys([("a", .all)])
        var whole = "", picked = ""
        do { _ = try JSONParser.parse(bytes: Array(text.utf8)) } catch { whole = error.description }
        do { _ = try JSONParser.parse(bytes: Array(text.utf8), pick: pick) } catch { picked = error.description }
        #expect(!whole.isEmpty && whole == picked, "\(text)")
    }

    @Test func pickedParseBuildsOnlyThePickedKeys() throws {
        let doc = try JSONParser.parse(bytes: Array(#"{"a":{"x":1,"y":[2]},"b":"s","c":[{"x":3,"z":4}]}"#.utf8),
                                       pick: .keys([("a", .keys([("y", .all)])), ("c", .keys([("x", .all)]))]))
        #expect(doc == ["a": ["y": [2]], "c": [["x": 3]]])
    }

    /// SandboxStore.summaries gives the records `list` gives, in the same order, with the same
    /// errors for an empty, a corrupt, a half-valid and a missing record.
    @Test func storeSummariesMatchList() throws {
        let root = "/tmp/podrig-unit-summary-\((try Identifiers.newID()).prefix(8))"
        defer { try? Files.removeTree(root) }
        let store = SandboxStore(root: root)
        try store.prepare()
        func put(_ id: String, _ text: String?) throws {
            try Files.makeDirectories(store.directory(id))
            if let text { try Files.writeAtomic(store.recordPath(id), text, sync: false) }
        }
        let ids = (0..<6).map { String(repeating: "\($0)", count: 64) }
        try put(ids[0], Self.full.replacing(Self.id, with: ids[0]))
        try put(ids[1], "")
        try put(ids[2], #"{"id":"\#(ids[2])","config":{"name":"n"#)
        try put(ids[3], #"{"id":"\#(ids[3])","config":{"namespace":"s"},"state":"ready"}"#)
        try put(ids[4], nil)
        try put(ids[5], #"{"id":"\#(ids[5])","config":{"name":"n"},"state":"ready","pause":{"pid":2147483000,"startTime":1}}"#)
        var listErrors: [String] = [], summaryErrors: [String] = []
        let records = try store.list(effectiveState: true) { id, e in listErrors.append("\(id): \(e)") }
        let summaries = try store.summaries(effectiveState: true) { id, e in summaryErrors.append("\(id): \(e)") }
        #expect(summaries == records.map(SandboxSummary.init))
        #expect(summaries.map(\.id) == [ids[0], ids[5]])
        // The pause of ids[5] is no live process: NOTREADY.
        #expect(summaries.last?.state == .notReady)
        #expect(summaryErrors == listErrors && summaryErrors.count == 4, "\(summaryErrors)")
    }
}
