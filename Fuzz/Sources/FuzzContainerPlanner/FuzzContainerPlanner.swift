#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import PodrigCore
import PodrigPod
import PodrigSandbox

/// The container planner (what `create` and `up` run before anything starts): any crictl
/// container config or Pod manifest — arbitrary uids, gids, groups, capabilities, mounts,
/// seccomp choices, user namespaces and their mappings — is a plan or a clean PodrigError, never a crash. Plans are written under a
/// scratch directory of this process; users and groups come from a fixed passwd/group so that
/// runs do not depend on the host.
let scratch = "/tmp/podrig-fuzz-planner-\(getpid())"
let users = UserDatabase(passwd: "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
                         group: "root:x:0:\napp:x:1000:\naudio:x:29:app,nobody\nnogroup:x:65534:\n")

func plan(_ manifest: PodManifest, sandbox: PodSandboxConfig) {
    let layout = PodLayout(directory: scratch + "/pod")
    var record = SandboxRecord(id: String(repeating: "f", count: 64), config: sandbox, createdAt: 0)
    record.podIPs = ["10.88.0.5"]
    var planner = PodPlanner(manifest: manifest, record: record, layout: layout, logDirectory: scratch + "/logs",
                             manifestDirectory: scratch, nodeIPs: ["192.0.2.1"], nodeName: "fuzz-node", finish: [])
    planner.users = users
    planner.node = NodeCapacity(cpus: 2, memoryBytes: 1 << 30, ephemeralStorageBytes: 1 << 34)
    _ = try? planner.prepare()
    PodVolumes.unmount(layout)  // a medium: Memory emptyDir is a tmpfs
    try? Files.removeTree(layout.directory)
}

@_cdecl("FuzzContainerPlanner_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        guard let docs = try? ConfigText.parseAll(String(decoding: bytes, as: UTF8.self), source: "fuzz") else { return }
        // The sandbox's namespace modes vary with the input, so every PID/IPC/network mix is planned.
        let h = bytes.reduce(0) { ($0 &* 31) &+ Int($1) }
        var sandbox = PodSandboxConfig(name: "fuzz", namespace: "fuzz", uid: "fuzz-uid",
                                       namespaceOptions: NamespaceOptions(network: h & 1 == 0 ? .pod : .node,
                                                                          pid: [.pod, .container, .node][abs(h / 2) % 3],
                                                                          ipc: h & 8 == 0 ? .pod : .node))
        // A pod user namespace (what hostUsers: false gets) for some inputs; a document that is a
        // PodSandboxConfig (userns_options with any mappings) is the sandbox of the ones after it.
        let picked = [IDMapping(containerID: 0, hostID: 65536, length: 65536)]
        if h & 16 != 0 { sandbox.userNamespace = UserNamespaceConfig(uids: picked, gids: picked) }
        for doc in docs.prefix(4) {
            if let s = try? PodSandboxConfig.parse(doc) { sandbox = s; continue }
            if let c = try? CRIContainerConfig.parse(doc), (try? CRIContainers.checkUserNamespace(c, sandbox: sandbox)) != nil {
                plan(CRIContainers.manifest(c, sandbox: sandbox), sandbox: sandbox)
            }
            if let m = try? PodManifestParser.parse(doc) {
                var s = sandbox
                if !m.spec.hostUsers { s.userNamespace = UserNamespaceConfig(uids: picked, gids: picked) }
                plan(m, sandbox: s)
            }
        }
    }
}
