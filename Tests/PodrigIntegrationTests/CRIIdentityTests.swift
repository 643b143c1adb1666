#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// Every uid/gid works with or without a passwd/group entry (issue 9: uid 1001 segfaulted the
/// static build, where getpwuid dlopens NSS). The security-context matrix, CRI and manifest,
/// with uids no passwd lists (1001, 65532) and one it does (nobody).
@Suite(.serialized) struct CRIIdentityTests {
    /// podrig never calls into NSS: the static build would crash in it.
    @Test(.enabled(if: isRoot)) func noNSSLookups() {
        let r = sh("nm -D --undefined-only \(TestBinaries.podrig)")
        #expect(r.code == 0, "\(r.err)")
        for sym in ["getpwuid", "getpwnam", "getgrgid", "getgrnam", "getgrouplist", "initgroups", "getpwent", "getgrent"] {
            #expect(!r.out.split(separator: "\n").contains { $0.hasSuffix(" " + sym) || $0.contains(" \(sym)@") }, "podrig imports \(sym)")
        }
    }

    static func status(_ pid: Int32) -> [String: String] {
        var out: [String: String] = [:]
        for line in ((try? Files.readString("/proc/\(pid)/status")) ?? "").split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmed
        }
        return out
    }

    struct Case {
        var name: String
        var security: String
        /// Expected Uid, Gid and Groups (sorted) fields; NoNewPrivs and Seccomp.
        var gid: Int
        var groups: [Int]
        var noNewPrivs = "0"
        var seccomp = "0"
    }

    static func criCases(uid: Int) -> [Case] {
        [
            Case(name: "plain", security: "run_as_user: {value: \(uid)}", gid: 0, groups: [0]),
            Case(name: "group", security: "run_as_user: {value: \(uid)}, run_as_group: {value: 1002}", gid: 1002, groups: [1002]),
            Case(name: "suppl", security: "run_as_user: {value: \(uid)}, supplemental_groups: [1234, 5678]", gid: 0, groups: [0, 1234, 5678]),
            Case(name: "strict", security: "run_as_user: {value: \(uid)}, run_as_group: {value: 65532}, supplemental_groups: [1234], supplemental_groups_policy: 1",
                 gid: 65532, groups: [1234, 65532]),
            Case(name: "nnp", security: "run_as_user: {value: \(uid)}, no_new_privs: true, seccomp: {profile_type: 0}", gid: 0, groups: [0], noNewPrivs: "1", seccomp: "2"),
            Case(name: "caps", security: "run_as_user: {value: \(uid)}, capabilities: {add_capabilities: [NET_ADMIN], drop_capabilities: [ALL]}, readonly_rootfs: true",
                 gid: 0, groups: [0]),
            Case(name: "priv", security: "run_as_user: {value: \(uid)}, run_as_group: {value: \(uid)}, privileged: true", gid: uid, groups: [uid]),
        ]
    }

    @Test(.enabled(if: isRoot), arguments: [1001, 65532])
    func criMatrix(uid: Int) throws {
        let bed = PodBed()
        let sb = bed.manifest("""
            {"metadata": {"name": "create-PodSandbox-for-container-crc-\(uid)", "namespace": "crc", "uid": "crc-\(uid)"}}
            """, name: "sandbox.json")
        let run = bed.cli("runp \(sb)")
        try #require(run.code == 0, "\(run.err)")
        let sandbox = run.out.trimmed
        for c in Self.criCases(uid: uid) {
            let file = bed.manifest("""
                metadata: {name: \(c.name)}
                command: [sleep, "60"]
                linux: {security_context: {\(c.security)}}
                """, name: "\(c.name).yaml")
            let created = bed.cli("create \(sandbox) \(file)")
            #expect(created.code == 0, "\(c.name): \(created.err)")
            let id = created.out.trimmed
            let started = bed.cli("start \(id)")
            #expect(started.code == 0, "\(c.name): \(started.err)")
            let info = try JSONParser.parse(bed.cli("inspect \(id)").out)
            let pid = Int32(info["info"]?["pid"]?.int ?? 0)
            try #require(pid > 0, "\(c.name): not running: \(info.compact)")
            let st = Self.status(pid)
            #expect(st["Uid"] == "\(uid)\t\(uid)\t\(uid)\t\(uid)", "\(c.name)")
            #expect(st["Gid"] == "\(c.gid)\t\(c.gid)\t\(c.gid)\t\(c.gid)", "\(c.name)")
            let groups = (st["Groups"] ?? "").split(separator: " ").compactMap { Int($0) }.sorted()
            #expect(groups == c.groups, "\(c.name)")
            #expect(st["NoNewPrivs"] == c.noNewPrivs, "\(c.name)")
            #expect(st["Seccomp"] == c.seccomp, "\(c.name)")
            if c.name == "caps" { #expect(st["CapBnd"] == "0000000000001000", "\(c.name): only NET_ADMIN") }
        }
        let record = try bed.root.manager.status(sandbox)
        #expect(bed.cli("rmp -f \(sandbox)").code == 0)
        LeakCheck.sandboxGone(record, root: bed.root)
        LeakCheck.doctorClean(root: bed.root, ids: [sandbox])
    }

    /// run_as_username resolves through the host's /etc/passwd; an unknown name fails cleanly.
    @Test(.enabled(if: isRoot)) func criUsername() throws {
        let bed = PodBed()
        let sb = bed.manifest(#"{"metadata": {"name": "crc-username", "namespace": "crc"}}"#, name: "sandbox.json")
        let sandbox = bed.cli("runp \(sb)").out.trimmed
        let nobody = UserDatabase.host().user(named: "nobody")
        let known = bed.manifest("""
            metadata: {name: named}
            command: [sleep, "60"]
            linux: {security_context: {run_as_username: nobody}}
            """, name: "named.yaml")
        if let nobody {
            let id = bed.cli("create \(sandbox) \(known)").out.trimmed
            #expect(bed.cli("start \(id)").code == 0)
            let pid = Int32(try JSONParser.parse(bed.cli("inspect \(id)").out)["info"]?["pid"]?.int ?? 0)
            #expect(Self.status(pid)["Uid"]?.hasPrefix("\(nobody.uid)\t") == true)
            #expect(Self.status(pid)["Gid"]?.hasPrefix("\(nobody.gid)\t") == true)
        }
        let unknown = bed.manifest("""
            metadata: {name: unknown}
            command: [sleep, "60"]
            linux: {security_context: {run_as_username: no-such-user-crc}}
            """, name: "unknown.yaml")
        let r = bed.cli("create \(sandbox) \(unknown)")
        #expect(r.code == 1 && r.err.contains("run_as_username \"no-such-user-crc\"") && r.err.split(separator: "\n").count == 1, "\(r)")
        #expect(!bed.cli("ps -a").out.contains("unknown"), "a refused create leaves nothing")
        let noUser = bed.manifest("""
            metadata: {name: nouser}
            command: [sleep, "60"]
            linux: {security_context: {run_as_group: {value: 1002}}}
            """, name: "nouser.yaml")
        let g = bed.cli("create \(sandbox) \(noUser)")
        #expect(g.code == 1 && g.err.contains("run_as_group"), "\(g)")
        #expect(bed.cli("rmp -f \(sandbox)").code == 0)
        LeakCheck.rootEmpty(bed.root)
    }

    /// The same identities through `up`: pod- and container-level, fsGroup, Strict, privileged.
    @Test(.enabled(if: isRoot), arguments: [1001, 65532])
    func manifestMatrix(uid: Int) throws {
        let bed = PodBed()
        bed.namespace = "crc"
        let show = #"sh, -c, 'echo $(id -u) $(id -g) $(id -G) $(grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status)'"#
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: crc-ids-\(uid), namespace: crc}
            spec:
              restartPolicy: Never
              securityContext: {runAsUser: \(uid), supplementalGroups: [3456], fsGroup: 2000}
              volumes: [{name: scratch, emptyDir: {}}]
              containers:
              - name: pod
                command: [\(show)]
              - name: own
                command: [\(show)]
                securityContext: {runAsUser: \(uid + 1), runAsGroup: 1002, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
                volumeMounts: [{name: scratch, mountPath: /scratch}]
              - name: priv
                command: [\(show)]
                securityContext: {privileged: true, runAsGroup: \(uid)}
              - name: caps
                command: [\(show)]
                securityContext: {capabilities: {add: [NET_ADMIN], drop: [ALL]}, seccompProfile: {type: Unconfined}}
            """)
        let r = bed.cli("up \(file)")
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        func line(_ c: String) -> String? {
            r.out.split(separator: "\n").first { $0.hasPrefix(c + " | ") }.map { String($0.dropFirst(c.count + 3)).trimmed }
        }
        #expect(line("pod") == "\(uid) 0 0 2000 3456 NoNewPrivs: 0 Seccomp: 2", "\(r.out)")
        #expect(line("own") == "\(uid + 1) 1002 1002 2000 3456 NoNewPrivs: 1 Seccomp: 2", "\(r.out)")
        #expect(line("priv") == "\(uid) \(uid) \(uid) 2000 3456 NoNewPrivs: 0 Seccomp: 0", "\(r.out)")
        #expect(line("caps") == "\(uid) 0 0 2000 3456 NoNewPrivs: 0 Seccomp: 0", "\(r.out)")
        bed.downAndCheck("crc-ids-\(uid)")
    }
}
