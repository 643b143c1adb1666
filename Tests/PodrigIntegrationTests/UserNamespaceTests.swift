#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// A pod's own user namespace: CRI userns_options mode POD (critest security_context_linux.go
/// "UserNamespaces") and manifest `hostUsers: false`. Inside, uid 0 with the mapping in
/// /proc/self/uid_map; outside, the container's processes run as the mapped host IDs.
@Suite(.serialized) struct UserNamespaceTests {
    /// The Uid line of /proc/PID/status: real, effective, saved, fs.
    func hostUIDs(_ pid: Int) -> [Int] {
        let status = (try? Files.readString("/proc/\(pid)/status")) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().compactMap { Int($0) }
    }

    func pauseAlive(_ root: TestRoot) -> Bool {
        SandboxProcesses.scan().contains { $0.kind == .pause && $0.root == root.path }
    }

    static let mapping = #"{"mode": 0, "uids": [{"container_id": 0, "host_id": 3000000, "length": 65536}], "gids": [{"container_id": 0, "host_id": 3100000, "length": 65536}]}"#

    @Test(.enabled(if: isRoot)) func criPodModeMapsTheContainer() throws {
        let bed = PodBed()
        let sb = bed.manifest(#"{"metadata": {"name": "crc-userns-pod"}, "linux": {"security_context": {"namespace_options": {"userns_options": \#(Self.mapping)}}}}"#, name: "sandbox.json")
        let run = bed.cli("runp \(sb)")
        #expect(run.code == 0, "\(run)")
        let sandbox = run.out.trimmed
        let inspectp = try JSONParser.parse(bed.cli("inspectp \(sandbox) -o json").out)
        let opts = inspectp["status"]?["linux"]?["namespaces"]?["options"]?["usernsOptions"]
        #expect(opts?["mode"]?.string == "POD" && opts?["uids"]?.array?.first?["hostId"]?.int == 3_000_000, "\(inspectp.compact)")
        // kubelet repeats the pod's userns_options on each container: the same is accepted, another refused.
        let cc = bed.manifest(#"{"metadata": {"name": "mapped"}, "command": ["sleep", "60"], "linux": {"security_context": {"namespace_options": {"userns_options": \#(Self.mapping)}}}}"#, name: "c.json")
        let id = bed.cli("create \(sandbox) \(cc)").out.trimmed
        #expect(bed.cli("start \(id)").code == 0)
        let other = bed.manifest(#"{"metadata": {"name": "other"}, "command": ["sleep", "60"], "linux": {"security_context": {"namespace_options": {"userns_options": {"mode": 2}}}}}"#, name: "other.json")
        let refused = bed.cli("create \(sandbox) \(other)")
        #expect(refused.code == 1 && refused.err.contains("does not match the sandbox's") && refused.err.split(separator: "\n").count == 1, "\(refused)")

        let map = bed.cli("exec \(id) -- cat /proc/self/uid_map")
        #expect(map.code == 0 && map.out.split(whereSeparator: { $0 == " " || $0 == "\n" }) == ["0", "3000000", "65536"], "\(map)")
        let gmap = bed.cli("exec \(id) -- cat /proc/self/gid_map").out
        #expect(gmap.split(whereSeparator: { $0 == " " || $0 == "\n" }) == ["0", "3100000", "65536"], "\(gmap)")
        let ids = bed.cli("exec \(id) -- sh -c 'id -u; id -g; hostname'")
        #expect(ids.code == 0 && ids.out.split(separator: "\n") == ["0", "0", "crc-userns-pod"], "\(ids)")
        // The rootfs is the host's idmapped: root's files are the pod root's, written into the
        // overlay (never the host's); the pod's /etc/hosts is its root's too.
        let hostPasswd = try Files.readString("/etc/passwd")
        let writes = bed.cli("exec \(id) -- sh -c 'stat -c %u:%g / /etc/passwd; echo pr-userns:x:7:7::/:/bin/false >> /etc/passwd && echo 1.2.3.4 extra >> /etc/hosts && echo ok'")
        #expect(writes.out.split(separator: "\n") == ["0:0", "0:0", "ok"], "\(writes)")
        #expect(try Files.readString("/etc/passwd") == hostPasswd, "the container's write reached the host's /etc/passwd")
        let inspect = try JSONParser.parse(bed.cli("inspect -o json \(id)").out)
        let pid = inspect["info"]?["pid"]?.int ?? 0
        #expect(pid > 0 && hostUIDs(pid) == [3_000_000, 3_000_000, 3_000_000, 3_000_000], "host uids of \(pid): \(hostUIDs(pid))")
        #expect(bed.cli("rmp -f \(sandbox)").code == 0)
        #expect(!pauseAlive(bed.root))
        #expect(ProcessIdentity.of(Int32(pid)).map { !$0.isAlive } ?? true, "container pid \(pid) outlived rmp")
        LeakCheck.rootEmpty(bed.root)
        LeakCheck.doctorClean(root: bed.root, ids: [sandbox])
    }

    /// `hostUsers: false`: a 65536-ID range per pod, picked so two pods never share one; emptyDirs
    /// and fsGroup as the pod sees them; runAsUser is the ID inside.
    @Test(.enabled(if: isRoot)) func hostUsersFalsePicksDistinctRanges() throws {
        let bed = PodBed()
        func pod(_ name: String) -> String {
            bed.manifest("""
                apiVersion: v1
                kind: Pod
                metadata: {name: \(name)}
                spec:
                  hostUsers: false
                  terminationGracePeriodSeconds: 1
                  securityContext: {runAsUser: 65532, runAsGroup: 3000, fsGroup: 2000}
                  volumes: [{name: data, emptyDir: {}}]
                  containers:
                  - name: main
                    image: x
                    command: [sleep, "60"]
                    volumeMounts: [{name: data, mountPath: /data}]
                    readinessProbe: {exec: {command: [sh, -c, "grep -q '^ *0 ' /proc/self/uid_map"]}, periodSeconds: 1}
                    lifecycle: {postStart: {exec: {command: [sh, -c, "cat /proc/self/uid_map > /tmp/poststart"]}}}
                """, name: name + ".yaml")
        }
        #expect(bed.cli("up -d \(pod("userns-a"))").code == 0)
        #expect(bed.cli("up -d \(pod("userns-b"))").code == 0)
        var hosts: [Int] = []
        for name in ["userns-a", "userns-b"] {
            let map = bed.cli("exec \(name) -- cat /proc/self/uid_map").out.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
            #expect(map.count == 3 && map[0] == 0 && map[2] == 65536 && map[1] % 65536 == 0 && map[1] >= 65536, "\(name): \(map)")
            hosts.append(map.count == 3 ? map[1] : -1)
            let r = bed.cli("exec \(name) -- sh -c 'id -u; id -G; echo hi > /data/f && stat -c \"%u %g\" /data /data/f'")
            #expect(r.out.split(separator: "\n") == ["65532", "3000 2000", "0 2000", "65532 2000"], "\(name): \(r)")
            // Hooks and exec probes run in the pod's user namespace too.
            #expect(bed.wait { bed.get(name)?.condition("Ready") == "True" }, "\(name): the exec readiness probe never passed")
            #expect(bed.cli("exec \(name) -- cat /tmp/poststart").out.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) } == map, "\(name): postStart")
            let pid = bed.pod(name)?.status?.containers.first?.pid ?? 0
            #expect(hostUIDs(Int(pid)).first == (map.count == 3 ? map[1] + 65532 : -1), "\(name): host uids \(hostUIDs(Int(pid)))")
        }
        #expect(hosts[0] != hosts[1], "two pods share the host range \(hosts[0])")
        let pods = ["userns-a", "userns-b"].compactMap { bed.pod($0) }
        #expect(bed.cli("down userns-a userns-b").code == 0)
        for p in pods { bed.checkGone(p, containerPids: (p.status?.containers ?? []).map(\.pid).filter { $0 > 0 }) }
        #expect(!pauseAlive(bed.root))
    }

    /// One line each, at runp/up/create, nothing left behind.
    @Test(.enabled(if: isRoot), arguments: [
        (#"{"metadata": {"name": "u"}, "linux": {"security_context": {"namespace_options": {"network": 2, "userns_options": \#(mapping)}}}}"#, "cannot be combined with network NODE"),
        (#"{"metadata": {"name": "u"}, "linux": {"security_context": {"namespace_options": {"userns_options": {"mode": 0, "uids": [{"container_id": 0, "host_id": 3000000, "length": 65536}]}}}}}"#, "needs uid and gid mappings"),
        (#"{"metadata": {"name": "u"}, "linux": {"security_context": {"namespace_options": {"userns_options": {"mode": 0, "uids": [{"container_id": 0, "host_id": 3000000, "length": 0}], "gids": [{"container_id": 0, "host_id": 3000000, "length": 1}]}}}}}"#, "length: must be at least 1"),
    ])
    func refusedAtRunp(_ config: String, _ message: String) {
        let bed = PodBed()
        let r = bed.cli("runp \(bed.manifest(config, name: "sandbox.json"))")
        #expect(r.code == 1 && r.err.contains(message) && r.err.split(separator: "\n").count == 1, "\(r)")
        LeakCheck.rootEmpty(bed.root)
        #expect(!pauseAlive(bed.root))
    }

    @Test(.enabled(if: isRoot), arguments: [
        ("hostNetwork: true", "", "spec.hostNetwork: Forbidden when spec.hostUsers is false"),
        ("", "securityContext: {runAsUser: 70000}", "uid 70000 is not mapped in the pod's user namespace"),
        ("", "securityContext: {privileged: true}", "privileged cannot be combined with the pod's user namespace"),
    ])
    func refusedAtUp(_ podField: String, _ containerField: String, _ message: String) {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: refused}
            spec:
              hostUsers: false
              \(podField)
              containers:
              - name: main
                image: x
                command: [sleep, "60"]
                \(containerField)
            """)
        let r = bed.cli("up -d \(file)")
        let errors = r.err.split(separator: "\n").filter { !$0.hasPrefix("note:") }
        #expect(r.code == 1 && r.err.contains(message) && errors.count == 1, "\(r)")
        LeakCheck.rootEmpty(bed.root)
        #expect(!pauseAlive(bed.root))
    }
}
