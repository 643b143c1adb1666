#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

@Suite struct WorkloadTests {
    /// This test's manifests, removed with the suite instance (one per test).
    final class Scratch {
        let path = "/tmp/podrig-wl-unit-\((try! Identifiers.newID()).prefix(8))"
        init() { try! Files.makeDirectories(path, mode: 0o755) }
        deinit { try? Files.removeTree(path) }
    }

    let scratch = Scratch()

    func file(_ yaml: String) -> String {
        let p = scratch.path + "/m-\(try! Identifiers.newID().prefix(8)).yaml"
        try! Files.writeAtomic(p, yaml, sync: false)
        return p
    }

    func load(_ yaml: String, strict: Bool = false) throws(PodrigError) -> ManifestSet {
        try ManifestSet.load(path: file(yaml), strict: strict)
    }

    func error(_ yaml: String, strict: Bool = false) -> String {
        do { _ = try load(yaml, strict: strict); return "" } catch { return error.description }
    }

    let pod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers: [{name: c, command: [sh]}]
        """

    @Test func base64AsGoDecodesIt() {
        #expect(StrictBase64.decode("bXktYXBw") == Array("my-app".utf8))
        #expect(StrictBase64.decode("YQ==") == Array("a".utf8))
        #expect(StrictBase64.decode("YWI=") == Array("ab".utf8))
        #expect(StrictBase64.decode("YW\nJj") == Array("abc".utf8))
        #expect(StrictBase64.decode("") == [])
        for bad in ["YQ", "YQ=", "Y===", "!!!!", "YQ==YQ==", "a", "YWJj-A=="] { #expect(StrictBase64.decode(bad) == nil, "\(bad)") }
    }

    @Test func configMapsAndSecrets() throws {
        let s = try load("""
            apiVersion: v1
            kind: Secret
            metadata: {name: s, namespace: ns1}
            data: {a: YQ==, b: YQ==}
            stringData: {b: plain}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c}
            data: {k: v}
            binaryData: {bin: AAE=}
            """)
        let sec = try #require(s.configData.find(.secret, "ns1", "s"))
        #expect(sec.data["a"] == Array("a".utf8) && sec.data["b"] == Array("plain".utf8))
        #expect(s.configData.find(.configMap, "default", "c")?.data["bin"] == [0, 1])
        #expect(error("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {'a b': v}\n").contains("data: \"a b\" is not a valid key"))
        #expect(error("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: 'x'}\n").contains("data.k: not valid base64"))
    }

    @Test func badInputNamesDocumentAndPath() {
        let ref = pod.replacing("command: [sh]}", with: "command: [sh], env: [{name: X, valueFrom: {secretKeyRef: {name: s, key: k}}}]}")
        #expect(error(ref).contains("pod default/p: spec.containers[0].env[0].valueFrom.secretKeyRef: Secret default/s not found (not optional)"))
        let opt = ref.replacing("key: k}", with: "key: k, optional: true}")
        #expect(error(opt).isEmpty)
        let vol = pod + "\n  volumes: [{name: v, configMap: {name: cm, items: [{key: x, path: x}]}}]"
        #expect(error("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {y: z}\n---\n" + vol)
            .contains("(document 2): pod default/p: spec.volumes[0].configMap.items[0]: key \"x\" is not in ConfigMap default/cm"))
        #expect(error(pod + "\n  volumes: [{name: v, configMap: {name: cm, items: [{key: x, path: ../x}]}}]").contains("must be a relative path"))
        #expect(error(pod + "\n  volumes: [{name: v, secret: {secretName: s, defaultMode: 1000}}]").contains("defaultMode: must be a file mode"))
        #expect(error("apiVersion: v1\nkind: Gizmo\nmetadata: {name: g}\n").contains("kind Gizmo is not supported"))
        #expect(error("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: g}\n").contains("CronJob"))
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n" + pod
        #expect(error(svc, strict: true).contains("(document 1): kind Service (web) cannot run here"))
        #expect((try? load(svc))?.ignored.first?.hasPrefix("Service/web: ") == true)
    }

    @Test func downwardAPIMapFormat() {
        #expect(ConfigResolution.formatMap(["b": "2", "a": "x\"y\n"]) == "a=\"x\\\"y\\n\"\nb=\"2\"")
        #expect(ConfigResolution.formatMap([:]) == "")
    }

    @Test func atomicWriterLayout() throws {
        let dir = scratch.path + "/vol-\(try Identifiers.newID().prefix(6))"
        defer { try? Files.removeTree(dir) }
        try AtomicVolumeWriter.write(dir, [.init(path: "a", data: Array("1".utf8), mode: 0o600), .init(path: "d/b", data: [], mode: 0o644)], group: nil)
        let names = try Files.list(dir).sorted()
        #expect(names.count == 4 && names.contains("..data") && names.contains("a") && names.contains("d"))
        let ts = names.first { $0.hasPrefix("..2") } ?? ""
        #expect(ts.count == "..2026_12_02_15_26_25.123456789".count, "\(ts)")
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink(dir + "/a", &buf, 255)
        #expect(n > 0 && String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "..data/a")
        #expect(try Files.readString(dir + "/d/b") == "")
        var st = stat()
        stat(dir + "/a", &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: c, command: [sleep, "60"]}]
        """

    @Test func workloadsParse() throws {
        let s = try load(deployment + "\n---\n" + """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db}
            spec:
              serviceName: db
              replicas: 2
              podManagementPolicy: Parallel
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec: {containers: [{name: c, command: [sleep, "60"]}]}
              volumeClaimTemplates: [{metadata: {name: data}}]
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: j}
            spec:
              completions: 3
              parallelism: 2
              backoffLimit: 1
              template:
                spec: {restartPolicy: Never, containers: [{name: c, command: ["true"]}]}
            """)
        #expect(s.workloads.map(\.kind) == [.deployment, .statefulSet, .job])
        #expect(s.workloads[0].replicas == 3 && s.workloads[0].selector == ["app": "web"])
        #expect(s.workloads[1].parallel && s.workloads[1].serviceName == "db" && s.workloads[1].claimNames == ["data"])
        #expect(s.workloads[2].completions == 3 && s.workloads[2].parallelism == 2 && s.workloads[2].backoffLimit == 1)
        #expect(error(deployment.replacing("matchLabels: {app: web}", with: "matchLabels: {app: other}")).contains("selector` does not match template `labels`"))
        #expect(error(deployment.replacing("command: [sleep, \"60\"]", with: "command: [sleep], bogus: 1")).contains("spec.template: unknown field spec.containers[0].bogus"))
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec: {containers: [{name: c, command: [x]}]}\n"
        #expect(error(job).contains("a Job's pods need Never or OnFailure"))
    }

    @Test func controllerNames() {
        let h = WorkloadNames.templateHash(["spec": ["a": 1, "b": 2]])
        #expect(h == WorkloadNames.templateHash(["spec": ["b": 2, "a": 1]]), "keys sorted")
        #expect(h != WorkloadNames.templateHash(["spec": ["a": 2, "b": 2]]))
        let alphabet = Set("bcdfghjklmnpqrstvwxz2456789")
        #expect(!h.isEmpty && h.allSatisfy { alphabet.contains($0) })
        // rand.SafeEncodeString maps each byte: "0" (48) → alphanums[48 % 27] = "4".
        #expect(WorkloadNames.safeEncode("0") == "4")
        let name = WorkloadNames.generate("web-abc-")
        #expect(name.count == 13 && name.hasPrefix("web-abc-") && name.dropFirst(8).allSatisfy { alphabet.contains($0) })
        #expect(WorkloadNames.generate(String(repeating: "x", count: 70)).count == 63)
    }

    @Test func labelAndFieldSelectors() throws {
        let l = ["app": "web", "tier": "frontend"]
        func m(_ s: String) throws -> Bool { try LabelSelector.parse(s).matches(l) }
        #expect(try m("app=web") && m("app==web") && m("app!=db") && m("tier in (frontend, backend)") && m("app,!gone"))
        #expect(try !m("app=db") && !m("tier notin (frontend)") && !m("gone") && !m("!app") && !m("app=web,tier=backend"))
        #expect(try m("gone notin (x)") && m(""))
        #expect(throws: PodrigError.self) { try LabelSelector.parse("a b c") }
        let f = try FieldSelector.parse("spec.nodeName=node-1,status.phase!=Failed")
        #expect(f.matches { $0 == "spec.nodeName" ? "node-1" : "Running" })
        #expect(!f.matches { $0 == "spec.nodeName" ? "node-2" : "Running" })
        #expect(throws: PodrigError.self) { try FieldSelector.parse("spec.bogus=1") }
        #expect(throws: PodrigError.self) { try FieldSelector.parse("metadata.name") }
    }
}
