import PodrigCNI
import PodrigCore
import Testing

/// `podrig trace --diff` and `--redact` on hand-made trace records (CNITraceRecord.json's keys).
@Suite struct CNITraceToolsTests {
    func record(command: String = "ADD", env: [String], stdin: String, stdout: String, stderr: String = "", exit: Int = 0) -> JSON {
        ["time": "2026-12-03T10:00:00.000000001Z", "network": "net", "plugin": "bridge", "path": "/usr/lib/cni/bridge",
         "command": .string(command), "env": .array(env.map { .string($0) }), "stdin": .string(stdin), "stdout": .string(stdout),
         "stderr": .string(stderr), "exitCode": .int(exit), "durationMs": .double(12.5)]
    }

    var pair: (JSON, JSON) {
        let x = record(env: ["PATH=/bin", "CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web"],
                       stdin: #"{"cniVersion":"1.0.0","name":"net","ipam":{"ranges":[[{"subnet":"10.0.0.0/24"}]]},"cni.dev/x":1}"#,
                       stdout: "{\n  \"ips\": [{\"address\": \"10.0.0.2/24\"}]\n}")
        var y = record(env: ["PATH=/bin", "CNI_COMMAND=ADD", "CNI_CONTAINERID=c2", "CNI_NEW=1"],
                       stdin: #"{"cniVersion":"1.0.0","name":"net","ipam":{"ranges":[[{"subnet":"10.0.1.0/24"}],[{"subnet":"fd00::/64"}]]}}"#,
                       stdout: #"{"code":7,"msg":"bad"}"#, stderr: "boom", exit: 1)
        y["durationMs"] = .double(3)
        y["time"] = "2026-12-03T10:00:01Z"
        return (x, y)
    }

    @Test func diffNamesEachChangedFieldAndNothingElse() {
        let (x, y) = pair
        let d = CNITraceDiff.between(x, y)
        func change(_ section: String, _ path: String) -> CNITraceDiff.Change? { d.changes.first { $0.section == section && $0.path == path } }
        #expect(change("exec", "exitCode")?.before == 0 && change("exec", "exitCode")?.after == 1)
        #expect(change("env", "CNI_CONTAINERID")?.before == "c1" && change("env", "CNI_CONTAINERID")?.after == "c2")
        #expect(change("env", "CNI_ARGS") != nil && change("env", "CNI_ARGS")?.after == nil)
        #expect(change("env", "CNI_NEW") != nil && change("env", "CNI_NEW")?.before == nil)
        #expect(change("stdin", "ipam.ranges[0][0].subnet")?.after == "10.0.1.0/24")
        #expect(change("stdin", "ipam.ranges[1]") != nil && change("stdin", "ipam.ranges[1]")?.before == nil)
        #expect(change("stdin", #"["cni.dev/x"]"#)?.before == 1)
        #expect(change("result", "ips") != nil && change("result", "ips")?.after == nil && change("result", "code")?.after == 7)
        #expect(change("stderr", "")?.after == "boom")
        // Neither time nor duration, nor what is equal.
        #expect(!d.changes.contains { $0.path == "time" || $0.path == "durationMs" || $0.path == "PATH" || $0.path == "name" })
        let text = d.text
        #expect(text.contains("env:\n  ~ CNI_CONTAINERID: \"c1\" → \"c2\""), "\(text)")
        #expect(text.contains("  + CNI_NEW: \"1\"") && text.contains("  - CNI_ARGS:"))
        #expect(text.contains("stdin:\n") && text.contains("  + ipam.ranges[1]: [{\"subnet\":\"fd00::/64\"}]"))
        #expect(d.json.array?.count == d.changes.count)
        #expect(d.json[0]?["section"] == "exec")
    }

    @Test func identicalExecsDiffEmpty() {
        let (x, _) = pair
        var later = x
        later["time"] = "2026-12-03T11:00:00Z"
        later["durationMs"] = .double(99)
        let d = CNITraceDiff.between(x, later)
        #expect(d.identical && d.text.hasPrefix("no difference"))
    }

    @Test func nonJSONOutputIsComparedWhole() {
        let x = record(env: [], stdin: "{", stdout: "not json")
        let y = record(env: [], stdin: "{", stdout: "still not")
        let d = CNITraceDiff.between(x, y)
        #expect(d.changes == [CNITraceDiff.Change(section: "result", path: "", before: "not json", after: "still not")])
    }

    @Test func redactionHidesEnvArgsJSONKeysAndTheirEchoes() {
        let r = record(env: ["CNI_COMMAND=ADD", "TOKEN=s3cret-value", "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web-0;K8S_POD_UID=u"],
                       stdin: #"{"name":"net","auth":{"password":"hunter22"},"dataDir":"/var/lib/x"}"#,
                       stdout: "{\n  \"password\": \"hunter22\"\n}", stderr: "using s3cret-value and hunter22 for web-0")
        let red = CNITraceRedaction(keys: ["TOKEN", "password", "K8S_POD_NAME"]).apply(r)
        let env = red["env"]?.array?.compactMap(\.string) ?? []
        #expect(env == ["CNI_COMMAND=ADD", "TOKEN=REDACTED", "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=REDACTED;K8S_POD_UID=u"])
        #expect(red["stdin"]?.string == #"{"name":"net","auth":{"password":"REDACTED"},"dataDir":"/var/lib/x"}"#)
        #expect(red["stdout"]?.string?.contains("\"password\": \"REDACTED\"") == true, "pretty stays pretty")
        #expect(red["stderr"]?.string == "using REDACTED and REDACTED for REDACTED")
        let all = red.compact
        for secret in ["s3cret", "hunter22", "web-0"] { #expect(!all.contains(secret), "\(secret) in \(all)") }
        // A key naming a whole object hides all of it; short values are hidden only under their key.
        let obj = CNITraceRedaction(keys: ["auth", "CNI_COMMAND"]).apply(r)
        #expect(obj["stdin"]?.string == #"{"name":"net","auth":"REDACTED","dataDir":"/var/lib/x"}"#)
        #expect(obj["stderr"]?.string == "using s3cret-value and REDACTED for web-0")
        #expect(obj["env"]?[0] == "CNI_COMMAND=REDACTED" && obj["command"] == "ADD")
        #expect(CNITraceRedaction(keys: []).apply(r) == r)
    }
}
