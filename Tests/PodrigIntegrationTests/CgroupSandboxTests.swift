#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import PodrigSandbox
import Testing

/// The pod cgroup made with the sandbox, pause in it (kubelet makes it before the sandbox,
/// containerd starts pause in linux.cgroup_parent): runp and up; stopp, rmp and down remove it;
/// a runp failing after it was made removes it; --cgroups disabled and hostNetwork still work.
@Suite(.serialized) struct CgroupSandboxTests {
    static let hierarchy = CgroupHierarchy.detect()
    static var usable: Bool { isRoot && (hierarchy?.isWritable ?? false) }

    /// /proc/<pid>/cgroup's path in each tree podrig uses (v1: by controller; v2: the one line).
    func cgroups(of pid: Int32) -> [String: String] {
        var out: [String: String] = [:]
        for line in ((try? Files.readString("/proc/\(pid)/cgroup")) ?? "").split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            for c in f[1].split(separator: ",") { out[String(c)] = String(f[2]) }
            if f[1].isEmpty { out[""] = String(f[2]) }
        }
        return out
    }

    func expectPauseIn(_ pid: Int32, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let cg = cgroups(of: pid)
        let names = Self.hierarchy?.version == .v2 ? [""] : ["memory", "cpu", "pids", "cpuset"]
        for n in names where Self.hierarchy?.directory(n, path) != nil {
            #expect(cg[n] == "/" + path, "pause's \(n) cgroup: \(cg)", sourceLocation: sourceLocation)
        }
    }

    func exists(_ path: String) -> Bool { Self.hierarchy?.directories(path).contains(where: Files.isDirectory) ?? false }

    func limits(_ rel: String) -> [String: String] {
        guard let h = Self.hierarchy else { return [:] }
        return Dictionary(CgroupTree(hierarchy: h).limits(rel).map { ($0.file, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test(.enabled(if: usable)) func runpPutsPauseInItsPodCgroup() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let mi = 1 << 20
        let uid = "pr-cgsb-" + (try Identifiers.newID()).prefix(8)
        let sb = b.runp(#""linux": {"cgroup_parent": "/kubepods/burstable/pod\#(uid)", "resources": {"cpu_shares": 512, "cpu_quota": 50000, "cpu_period": 100000, "memory_limit_in_bytes": \#(64 * mi)}}"#)
        let path = "podrig/kubepods/burstable/pod" + uid
        #expect((try? Files.readString(b.root.path + "/sandboxes/\(sb)/cgroup"))?.trimmed == path)
        let pause = try #require(try b.root.manager.status(sb).pause)
        expectPauseIn(pause.pid, path)
        let l = limits(path)
        switch Self.hierarchy?.version {
        case .v1: #expect(l["cpu.shares"] == "512" && l["cpu.cfs_quota_us"] == "50000" && l["memory.limit_in_bytes"] == String(64 * mi), "\(l)")
        default: #expect(l["cpu.max"] == "50000 100000" && l["memory.max"] == String(64 * mi), "\(l)")
        }
        // inspectp shows it before any container exists.
        let inspect = try JSONParser.parse(b.cli("inspectp \(sb)").out)
        #expect(inspect["info"]?["cgroup"]?["path"]?.string == path)
        #expect(inspect["info"]?["cgroup"]?["files"]?["memory.limit_in_bytes"]?.string == (Self.hierarchy?.version == .v1 ? String(64 * mi) : nil))
        // A container goes below it; stopp removes it all (pause and the container are gone).
        let c = b.sleeper(sb)
        #expect(exists(path + "/" + c))
        #expect(b.cli("stopp \(sb)").code == 0)
        #expect(!exists(path), "stopp removes the pod cgroup")
        #expect(!pause.isAlive)
        let again = try JSONParser.parse(b.cli("inspectp \(sb)").out)
        #expect(again["info"]?["cgroup"] == nil)
    }

    /// Without linux.cgroup_parent and resources (crictl's habit): podrig/kubepods/pod<sandbox ID>
    /// with BestEffort's 2 shares until a container comes; --pod-max-pids counts pause.
    @Test(.enabled(if: usable)) func runpWithoutParentAndPidsLimit() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let path = b.bed.manifest(#"{"metadata": {"name": "pr-cgsb-pids", "uid": "pr-cgsb-pids"}}"#, name: "sb.json")
        let r = b.cli("runp --pod-max-pids 64 \(path)")
        #expect(r.code == 0, "\(r.err)")
        let sb = r.out.trimmed
        let rel = "podrig/kubepods/pod" + sb
        let pause = try #require(try b.root.manager.status(sb).pause)
        expectPauseIn(pause.pid, rel)
        if Self.hierarchy?.version == .v1 {
            #expect(limits(rel)["cpu.shares"] == "2")
            if let pids = Self.hierarchy?.directory("pids", rel) {
                #expect((try? Files.readString(pids + "/pids.max"))?.trimmed == "64")
                #expect((try? Files.readString(pids + "/pids.current"))?.trimmed == "1", "pause counts as one process")
            }
        }
        #expect(b.cli("rmp -f \(sb)").code == 0)
        #expect(!exists(rel), "rmp removes the pod cgroup")
    }

    /// A network `name` of one fake plugin (a fault to inject): `body(dir)` is its shell for ADD
    /// and DEL; VERSION and everything else succeed. Returns the scratch dir and runp's CNI flags.
    static func fakeNetwork(_ name: String, _ body: (String) -> String) throws -> (dir: ScratchDir, flags: String) {
        let dir = ScratchDir("podrig-" + name)
        try Files.makeDirectories(dir.path + "/conf", mode: 0o755)
        try Files.makeDirectories(dir.path + "/bin", mode: 0o755)
        try Files.writeAtomic(dir.path + "/conf/10-\(name).conflist",
                              #"{"cniVersion": "1.0.0", "name": "\#(name)", "plugins": [{"type": "\#(name)"}]}"#)
        try Files.writeAtomic(dir.path + "/bin/" + name, """
            #!/bin/sh
            \(body(dir.path))
            if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion": "1.0.0", "supportedVersions": ["1.0.0"]}'; fi
            exit 0
            """)
        chmod(dir.path + "/bin/" + name, 0o755)
        return (dir, "--network \(name) --cni-conf-dir \(dir.path)/conf --cni-bin-dir \(dir.path)/bin --cni-cache-dir \(dir.path)/cache")
    }

    /// The plugin chain fails after pause was started in the pod cgroup (overlapped runp), and a
    /// sysctl fails after pause (the ordered runp): either way the cgroup goes with the rest.
    @Test(.enabled(if: usable)) func failedRunpRemovesThePodCgroup() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        // ADD fails (after a little while, so pause's side is done first); DEL succeeds.
        let (dir, cni) = try Self.fakeNetwork("pr-cgfail") { _ in
            #"if [ "$CNI_COMMAND" = ADD ]; then sleep 0.2; echo '{"cniVersion": "1.0.0", "code": 11, "msg": "pr-cgfail refuses"}'; exit 1; fi"#
        }
        var uids: [String] = []
        for (name, body, flags) in [("pr-cgfail-cni", "", cni), ("pr-cgfail-sysctl", #", "sysctls": {"net.ipv4.pr_cgfail_nonexistent": "1"}"#, "")] {
            let uid = name + "-" + (try Identifiers.newID()).prefix(8)
            uids.append("pod" + uid)
            let path = b.bed.manifest(#"{"metadata": {"name": "\#(name)", "uid": "\#(uid)"}, "linux": {"cgroup_parent": "/kubepods/pod\#(uid)"\#(body)}}"#, name: name + ".json")
            let r = b.cli("runp \(flags) \(path)")
            #expect(r.code != 0 && r.err.contains(name == "pr-cgfail-cni" ? "pr-cgfail refuses" : "pr_cgfail_nonexistent"), "\(name): \(r)")
            #expect(((try? Files.list(b.root.path + "/sandboxes")) ?? []).isEmpty, "\(name): no sandbox left")
        }
        LeakCheck.cgroupsGone([], pods: uids)
        #expect(!SandboxProcesses.scan().contains { $0.sandboxDirectory?.hasPrefix(b.root.path + "/") ?? false }, "no pause left")
        withExtendedLifetime(dir) {}  // the plugin's dir lives until here
    }

    /// stopp whose DEL fails: pause and the pod cgroup go all the same (their removal runs beside
    /// the DEL), the record keeps the network for the retry, which finishes once DEL works.
    @Test(.enabled(if: usable)) func failedDelStillRemovesThePodCgroup() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        // ADD succeeds with nothing made; DEL fails while <dir>/fail exists.
        let (dir, cni) = try Self.fakeNetwork("pr-cgdel") { dir in
            """
            if [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion": "1.0.0", "interfaces": [], "ips": []}'; fi
            if [ "$CNI_COMMAND" = DEL ] && [ -e \(dir)/fail ]; then echo '{"cniVersion": "1.0.0", "code": 11, "msg": "pr-cgdel refuses"}'; exit 1; fi
            """
        }
        let uid = "pr-cgdel-" + (try Identifiers.newID()).prefix(8)
        let path = b.bed.manifest(#"{"metadata": {"name": "pr-cgdel", "uid": "\#(uid)"}, "linux": {"cgroup_parent": "/kubepods/pod\#(uid)"}}"#, name: "cgdel.json")
        let r = b.cli("runp \(cni) \(path)")
        #expect(r.code == 0, "\(r)")
        let sb = r.out.trimmed
        let rel = "podrig/kubepods/pod" + uid
        let pause = try #require(try b.root.manager.status(sb).pause)
        expectPauseIn(pause.pid, rel)
        try Files.writeAtomic(dir.path + "/fail", "")
        let stop = b.cli("stopp \(cni) \(sb)")
        #expect(stop.code != 0 && stop.err.contains("pr-cgdel refuses"), "\(stop)")
        #expect(!pause.isAlive)
        #expect(!exists(rel), "a failed DEL still leaves the pod cgroup removed")
        let record = try b.root.manager.status(sb)
        #expect(record.state == .ready && record.networkAttached, "the retry still DELs")
        try Files.remove(dir.path + "/fail")
        #expect(b.cli("stopp \(cni) \(sb)").code == 0)
        #expect(try b.root.manager.status(sb).state == .notReady)
        #expect(b.cli("rmp \(cni) \(sb)").code == 0)
        LeakCheck.cgroupsGone([], pods: ["pod" + uid])
        #expect(!Files.exists(b.root.path + "/sandboxes/" + sb))
        withExtendedLifetime(dir) {}
    }

    /// `up`: the pod cgroup is made with the sandbox, pause in it; `down` removes it.
    @Test(.enabled(if: usable)) func upPutsPauseInThePodCgroup() throws {
        let bed = PodBed()
        let path = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-cgsb-up}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: a, command: [sleep, "1000"], resources: {limits: {cpu: 100m, memory: 32Mi}}}]
            """)
        let up = bed.cli("up -d \(path)")
        #expect(up.code == 0, "\(up.err)")
        let pod = try #require(bed.pod("pr-cgsb-up"))
        let rel = try #require(CgroupRecord.read(bed.root.path + "/sandboxes/" + pod.record.id))
        #expect(rel == "podrig/kubepods/pod" + pod.manifest.uid, "Guaranteed: directly under kubepods")
        let pause = try #require(pod.record.pause)
        expectPauseIn(pause.pid, rel)
        if Self.hierarchy?.version == .v1 { #expect(limits(rel)["memory.limit_in_bytes"] == String(32 << 20)) }
        #expect(bed.cli("down pr-cgsb-up").code == 0)
        #expect(!exists(rel), "down removes the pod cgroup")
        LeakCheck.sandboxGone(pod.record, root: bed.root)
        LeakCheck.rootEmpty(bed.root)
    }

    /// --cgroups disabled makes none; a hostNetwork sandbox gets one like any other.
    @Test(.enabled(if: isRoot)) func disabledAndHostNetwork() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let p1 = b.bed.manifest(#"{"metadata": {"name": "pr-cgsb-off", "uid": "pr-cgsb-off"}}"#, name: "off.json")
        let off = b.cli("runp --cgroups disabled \(p1)")
        #expect(off.code == 0, "\(off.err)")
        let sb = off.out.trimmed
        #expect(!Files.exists(b.root.path + "/sandboxes/\(sb)/cgroup"))
        #expect(!exists("podrig/kubepods/pod" + sb))
        #expect(b.cli("rmp -f \(sb)").code == 0)
        guard Self.usable else { return }
        let host = b.runp(#""linux": {"security_context": {"namespace_options": {"network": 2}}}"#, name: "pr-cgsb-host")
        let rel = "podrig/kubepods/pod" + host
        let pause = try #require(try b.root.manager.status(host).pause)
        expectPauseIn(pause.pid, rel)
        #expect(b.cli("rmp -f \(host)").code == 0)
        #expect(!exists(rel))
    }
}
