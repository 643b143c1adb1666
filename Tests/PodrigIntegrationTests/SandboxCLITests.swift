#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox
import Testing

@Suite(.serialized, .enabled(if: isRoot, "needs root"))
struct SandboxCLITests {
    func writeConfig(_ root: TestRoot, _ name: String, _ text: String) -> String {
        let path = root.path + "/" + name
        try! Files.writeAtomic(path, text)
        return path
    }

    /// The acceptance run: 50 sandboxes, each checked, then stopped and removed; nothing left.
    @Test func fiftySandboxes() throws {
        let root = TestRoot()
        var ids: [String] = []
        for i in 0..<50 {
            let cfg = writeConfig(root, "p\(i).yaml", """
                metadata: {name: pod-\(i), namespace: bulk, uid: uid-\(i)}
                hostname: host-\(i)
                """)
            let r = podrig("runp \(cfg)", root: root)
            #expect(r.code == 0, "\(r.err)")
            let id = r.out.trimmed
            #expect(Identifiers.isHexID(id))
            ids.append(id)
        }
        let netns = sh("ip netns list").out
        let store = SandboxStore(root: root.path)
        var records: [SandboxRecord] = []
        for (i, id) in ids.enumerated() {
            let rec = try store.load(id)
            records.append(rec)
            #expect(netns.contains(NetnsPin.name(for: id)))
            #expect(rec.pause?.isAlive == true)
            #expect(sh("nsenter --uts=/proc/\(rec.pause!.pid)/ns/uts hostname").out.trimmed == "host-\(i)")
        }
        let listed = podrig("pods -q", root: root).out.split(separator: "\n").map(String.init)
        #expect(Set(listed) == Set(ids))
        #expect(podrig("stopp \(ids.joined(separator: " "))", root: root).code == 0)
        #expect(podrig("rmp \(ids.joined(separator: " "))", root: root).code == 0)
        for r in records { LeakCheck.sandboxGone(r, root: root) }
        LeakCheck.rootEmpty(root)
    }

    @Test func inspectAndListShapes() throws {
        let root = TestRoot()
        let cfg = writeConfig(root, "p.json", #"{"metadata":{"name":"shape","namespace":"ns1","uid":"u-1","attempt":2},"labels":{"app":"x"},"linux":{"security_context":{"namespace_options":{"network":2}}}}"#)
        let id = podrig("runp --node-ip 192.0.2.7 \(cfg)", root: root).out.trimmed
        let inspect = try JSONParser.parse(podrig("inspectp \(id.prefix(8))", root: root).out)
        #expect(inspect["status"]?["id"]?.string == id)
        #expect(inspect["status"]?["state"] == "SANDBOX_READY")
        #expect(inspect["status"]?["metadata"]?["attempt"] == 2)
        #expect(inspect["status"]?["network"]?["ip"] == "192.0.2.7")
        #expect(inspect["status"]?["linux"]?["namespaces"]?["options"]?["network"] == "NODE")
        #expect(inspect["info"]?["pid"]?.int ?? 0 > 0)
        let yaml = podrig("inspectp -o yaml \(id)", root: root)
        #expect(yaml.out.contains("state: SANDBOX_READY"))
        let table = podrig("pods", root: root).out
        #expect(table.contains("POD ID") && table.contains("shape") && table.contains("192.0.2.7"))
        let json = try JSONParser.parse(podrig("pods -o json --name sha --state ready", root: root).out)
        #expect(json["items"]?.array?.count == 1)
        #expect(podrig("pods -q --state notready", root: root).out.trimmed.isEmpty)
        // crictl pods' other filters, with a second, newer sandbox beside it.
        let cfg2 = writeConfig(root, "p2.json", #"{"metadata":{"name":"other","namespace":"ns2","uid":"u-2"},"labels":{"app":"y"},"linux":{"security_context":{"namespace_options":{"network":2}}}}"#)
        let id2 = podrig("runp --node-ip 192.0.2.7 \(cfg2)", root: root).out.trimmed
        for (args, ids) in [("--label app=x", [id]), ("--label app=x --label app=y", []), ("-l", [id2]), ("--last 2", [id2, id]),
                            ("--id \(id.prefix(6))", [id]), ("-s ready --namespace ^ns2$", [id2]), ("--name sha -o json", [id])] {
            let r = podrig("pods -q \(args)", root: root)
            #expect(r.code == 0 && r.out.split(separator: "\n").map(String.init) == ids, "pods \(args): \(r.out) \(r.err)")
        }
        for args in ["--label app", "--name '('", "--namespace '('", "--last -1"] {
            let r = podrig("pods \(args)", root: root)
            #expect(r.code == 2 && r.err.hasPrefix("Error: "), "pods \(args): \(r.code) \(r.err)")
        }
        // inspectp with several IDs, as crictl's: a document each; one unknown ID is an error line.
        let both = try ConfigText.parseAll(podrig("inspectp -o yaml \(id2) \(id.prefix(8))", root: root).out, source: "inspectp")
        #expect(both.map { $0["status"]?["id"]?.string } == [id2, id])
        let partly = podrig("inspectp \(id) nosuchid", root: root)
        #expect(partly.code == 1 && (try? JSONParser.parse(partly.out))?["status"]?["id"]?.string == id
                && partly.err == "podrig: error: sandbox \"nosuchid\" not found\n", "\(partly)")
        #expect(podrig("rmp -f \(id2)", root: root).code == 0)
        #expect(podrig("rmp \(id)", root: root).code == 1)  // ready: needs -f
        #expect(podrig("rmp -f \(id)", root: root).code == 0)
        #expect(podrig("rmp \(id)", root: root).code == 0)  // already gone
        LeakCheck.rootEmpty(root)
    }

    @Test(arguments: [
        ("malformed", "{\"metadata\": {\"name\": \"x\"", "invalid JSON"),
        ("badmode", "metadata: {name: x}\nlinux: {security_context: {namespace_options: {pid: 9}}}", "unknown namespace mode"),
        ("badname", "metadata: {name: 'a;b'}", "cannot be passed in CNI_ARGS"),
        ("unknown", "metadata: {name: x}\nhostnme: y", "unknown field hostnme"),
    ])
    func badConfigsFailCleanly(_ file: String, _ text: String, _ expected: String) {
        let root = TestRoot()
        let cfg = writeConfig(root, file + ".yaml", text)
        let r = podrig("runp \(cfg)", root: root)
        #expect(r.code == 1)
        #expect(r.out.isEmpty)
        let lines = r.err.split(separator: "\n")
        #expect(lines.count == 1, "\(r.err)")
        #expect(r.err.contains(expected), "\(r.err)")
        #expect(r.err.contains(cfg), "error should name the file: \(r.err)")
        LeakCheck.rootEmpty(root)
        LeakCheck.doctorClean(root: root, ids: [])
    }

    @Test func missingConfigFile() {
        let root = TestRoot()
        let r = podrig("runp /nonexistent/pod.yaml", root: root)
        #expect(r.code == 1)
        #expect(r.err.contains("/nonexistent/pod.yaml") && r.err.contains("no such file"), "\(r.err)")
        LeakCheck.rootEmpty(root)
    }

    @Test func usageErrorsExitTwo() {
        let root = TestRoot()
        #expect(podrig("runp", root: root).code == 2)
        #expect(podrig("pods --state sleepy", root: root).code == 2)
    }

    /// Stop and remove of an unknown ID succeed (CRI idempotence); a query of one is an error.
    @Test func unknownIDIsGoneForStopButNotFoundForQueries() {
        let root = TestRoot()
        #expect(podrig("stopp deadbeef", root: root).code == 0)
        let r = podrig("inspectp deadbeef", root: root)
        #expect(r.code == 1)
        #expect(r.err.contains("not found"))
    }
}
