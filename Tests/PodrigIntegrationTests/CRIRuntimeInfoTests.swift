#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// critest runtime_info.go (Version, Status conditions), crictl's ps/inspect shapes, userns
/// refusals (security_context_linux.go UserNamespaces), and rmp --force past a failing DEL.
@Suite(.serialized) struct CRIRuntimeInfoTests {
    @Test(.enabled(if: isRoot)) func versionAndConditions() throws {
        let bed = PodBed()
        let text = bed.cli("version")
        #expect(text.code == 0 && text.out.contains("RuntimeName:  podrig") && text.out.contains("RuntimeApiVersion:  v1"), "\(text)")
        let v = try JSONParser.parse(bed.cli("version -o json").out)
        for k in ["version", "runtimeName", "runtimeVersion", "runtimeApiVersion"] {
            let value = v[k]?.string ?? ""
            #expect(value.count > 0, "version -o json lacks \(k): \(v.compact)")
        }
        #expect(bed.cli("version -o yaml").out.contains("runtimeName: podrig"))
        // --network none: both conditions true (critest counts them).
        let info = try JSONParser.parse(bed.cli("info --network none").out)
        let conds = info["status"]?["conditions"]?.array ?? []
        #expect(conds.filter { $0["status"]?.bool == true }.map { $0["type"]?.string ?? "" }.sorted() == ["NetworkReady", "RuntimeReady"], "\(info.compact)")
        // A conf dir whose only config is broken: NetworkReady false with reason and message.
        let conf = bed.root.path + "/net.d"
        try Files.makeDirectories(conf, mode: 0o755)
        try Files.writeAtomic(conf + "/10-broken.conflist", "{not json", mode: 0o644)
        let bad = try JSONParser.parse(bed.cli("info --network '' --cni-conf-dir \(conf)").out)
        let net = bad["status"]?["conditions"]?.array?.first { $0["type"]?.string == "NetworkReady" }
        #expect(net?["status"]?.bool == false && net?["reason"]?.string == "NetworkPluginNotReady" && !(net?["message"]?.string ?? "").isEmpty, "\(bad.compact)")
    }

    @Test(.enabled(if: isRoot)) func psAndInspectShapes() throws {
        let bed = PodBed()
        let sb = bed.manifest(#"{"metadata": {"name": "crc-shapes", "namespace": "crc"}}"#, name: "sandbox.json")
        let sandbox = bed.cli("runp \(sb)").out.trimmed
        let cc = bed.manifest("metadata: {name: shape}\nlabels: {a: b}\ncommand: [sleep, \"60\"]\nlinux: {security_context: {run_as_user: {value: 1001}, supplemental_groups: [1234]}}\n", name: "c.yaml")
        let id = bed.cli("create \(sandbox) \(cc)").out.trimmed
        #expect(bed.cli("start \(id)").code == 0)
        let ps = try JSONParser.parse(bed.cli("ps -o json").out)
        let c = ps["containers"]?.array?.first { $0["id"]?.string == id }
        #expect(c?["podSandboxId"]?.string == sandbox && c?["metadata"]?["name"]?.string == "shape" && c?["state"]?.string == "CONTAINER_RUNNING", "\(ps.compact)")
        #expect(c?["labels"]?["a"]?.string == "b" && Int64(c?["createdAt"]?.string ?? "") != nil && c?["status"] == nil, "flat CRI Container objects")
        let inspect = try JSONParser.parse(bed.cli("inspect -o json \(id)").out)
        #expect(inspect["status"]?["id"]?.string == id && inspect["info"]?["pid"]?.int ?? 0 > 0)
        #expect(inspect["status"]?["user"]?["linux"]?["uid"]?.int == 1001)
        #expect(inspect["status"]?["user"]?["linux"]?["supplementalGroups"]?.array?.compactMap(\.int) == [0, 1234])
        #expect(bed.cli("rmp -f \(sandbox)").code == 0)
        LeakCheck.rootEmpty(bed.root)
    }

    /// userns_options: NODE is the host's (accepted); CONTAINER, TARGET and bad mappings are
    /// refused at runp in one line, never dropped (POD itself: UserNamespaceTests).
    @Test(.enabled(if: isRoot), arguments: [
        (#"{"mode": 1}"#, "CONTAINER is not a valid user namespace mode"),
        (#"{"mode": 3}"#, "TARGET is not a valid user namespace mode"),
        (#"{"mode": 0, "uids": [{"container_id": 0, "host_id": 1000, "length": 100000}, {"container_id": 0, "host_id": 200000, "length": 100000}], "gids": [{"container_id": 0, "host_id": 1000, "length": 100000}]}"#, "container IDs overlap"),
        (#"{"mode": 0, "uids": [{"container_id": 1, "host_id": 1000, "length": 100000}], "gids": [{"container_id": 1, "host_id": 1000, "length": 100000}]}"#, "ID 0 must be mapped"),
        (#"{"mode": 2, "uids": [{"container_id": 0, "host_id": 1000, "length": 100000}], "gids": [{"container_id": 0, "host_id": 1000, "length": 100000}]}"#, "NODE takes no uids/gids mappings"),
    ])
    func usernsRefused(_ userns: String, _ message: String) {
        let bed = PodBed()
        let sb = bed.manifest(#"{"metadata": {"name": "user-namespaces-pod-crc"}, "linux": {"security_context": {"namespace_options": {"userns_options": \#(userns)}}}}"#, name: "sandbox.json")
        let r = bed.cli("runp \(sb)")
        #expect(r.code == 1 && r.err.contains(message) && r.err.split(separator: "\n").count == 1, "\(r)")
        LeakCheck.rootEmpty(bed.root)
    }

    @Test(.enabled(if: isRoot)) func usernsNodeIsTheHosts() throws {
        let bed = PodBed()
        let sb = bed.manifest(#"{"metadata": {"name": "crc-userns-node"}, "linux": {"security_context": {"namespace_options": {"userns_options": {"mode": 2}}}}}"#, name: "sandbox.json")
        let r = bed.cli("runp \(sb)")
        #expect(r.code == 0, "\(r)")
        #expect(bed.cli("rmp -f \(r.out.trimmed)").code == 0)
        LeakCheck.rootEmpty(bed.root)
    }

    /// A DEL that keeps failing (issue 9 item 8): rmp -f reports it and removes the sandbox.
    @Test(.enabled(if: isRoot)) func forcedRemovalPastFailingDEL() throws {
        let env = CNITestEnv(86)
        env.plugin("pr-cdelfail", """
            cat > /dev/null
            if [ "$CNI_COMMAND" = DEL ]; then echo '{"cniVersion":"1.0.0","code":999,"msg":"Chain CNI-x does not exist"}'; exit 1; fi
            [ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"10.88.86.9/24"}]}'
            exit 0
            """)
        env.conflist([#"{"type":"pr-cdelfail"}"#])
        let m = env.manager()
        let record = try m.run(cniPod("delfail"))
        #expect(throws: PodrigError.self) { try m.stop(record.id) }
        let r = env.cli("rmp -f \(record.id)")
        #expect(r.code == 0 && r.out.contains("Removed sandbox"), "\(r)")
        #expect(r.err.contains("Chain CNI-x does not exist") && r.err.contains("may be left"), "\(r.err)")
        LeakCheck.sandboxGone(record, root: env.root)
        try? Files.removeTree(env.cacheDir)
    }
}
