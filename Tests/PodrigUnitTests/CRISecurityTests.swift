import PodrigCore
import PodrigPod
import Testing

/// The host's passwd/group files read without NSS, and CRI security contexts as containerd
/// checks them at CreateContainer.
@Suite struct UserDatabaseTests {
    let db = UserDatabase(passwd: """
        root:x:0:0:root:/root:/bin/bash
        # a comment
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
        app:x:1000:1000::/home/app:/bin/sh
        broken:x:notanumber:1:::
        huge:x:4294967295:0:::
        short
        +nisuser
        """, group: """
        root:x:0:
        app:x:1000:
        audio:x:29:app,other
        video:x:44:other
        bad:x:-3:app
        """)

    @Test func lookups() {
        #expect(db.user(uid: 0)?.name == "root")
        #expect(db.user(uid: 1001) == nil)  // no entry: the normal case for images
        #expect(db.user(uid: 65532) == nil)
        #expect(db.user(named: "nobody")?.uid == 65534)
        #expect(db.user(named: "nosuch") == nil)
        #expect(db.user(named: "broken") == nil && db.user(named: "huge") == nil && db.user(named: "short") == nil)
        #expect(db.memberGroups(of: "app") == [29])
        #expect(db.memberGroups(of: "nobody") == [])
    }

    @Test func hostFilesNeverCrash() {
        let host = UserDatabase.host()
        for uid in [0, 1, 1001, 65532, 65534, 2_147_483_647, 4_294_967_294] { _ = host.user(uid: uid) }
        #expect(UserDatabase.host(passwd: "/nonexistent/passwd", group: "/nonexistent/group").users.isEmpty)
    }

    @Test(arguments: [-1, 4_294_967_295, Int.max, Int.min])
    func linuxIDRange(_ v: Int) {
        #expect(!Validate.isLinuxID(v))
        #expect(throws: PodrigError.self) { _ = try Validate.linuxID(v, what: "x") }
    }
}

@Suite struct CRISecurityContextTests {
    func parse(_ sc: String) throws(PodrigError) -> CRIContainerConfig {
        try CRIContainerConfig.parse(try ConfigText.parse(#"{"metadata": {"name": "c"}, "command": ["true"], "linux": {"security_context": \#(sc)}}"#, source: "c.json"))
    }

    @Test func usersAndGroups() throws {
        let c = try parse(#"{"run_as_user": {"value": 1001}, "run_as_group": {"value": "1002"}, "supplemental_groups": [1234, 5678], "supplemental_groups_policy": 1}"#)
        #expect(c.container.securityContext.runAsUser == 1001 && c.container.securityContext.runAsGroup == 1002)
        #expect(c.supplementalGroups == [1234, 5678] && c.supplementalGroupsPolicy == "Strict")
        #expect(try parse(#"{"run_as_user": {}}"#).container.securityContext.runAsUser == 0)  // proto3 omits a zero value
        #expect(try parse(#"{"run_as_username": "nobody", "run_as_group": {"value": 5}}"#).container.securityContext.runAsUsername == "nobody")
    }

    @Test(arguments: [
        (#"{"run_as_group": {"value": 1002}}"#, "requires run_as_user"),
        (#"{"run_as_user": {"value": -1}}"#, "run_as_user.value"),
        (#"{"run_as_user": {"value": 4294967295}}"#, "run_as_user.value"),
        (#"{"run_as_user": {"value": 99999999999999999999}}"#, "run_as_user.value"),
        (#"{"supplemental_groups": [-4]}"#, "supplemental_groups[0]"),
        (#"{"supplemental_groups": ["x"]}"#, "supplemental_groups[0]"),
        (#"{"supplemental_groups_policy": 7}"#, "supplemental_groups_policy"),
        (#"{"seccomp": {"profile_type": 2}}"#, "localhost_ref"),
        (#"{"seccomp": {"profile_type": 9}}"#, "profile_type"),
        (#"{"seccomp_profile_path": "/abs/profile.json"}"#, "seccomp_profile_path"),
        (#"{"namespace_options": {"userns_options": {"mode": 0}}}"#, "userns_options"),
        (#"{"run_as_usr": {"value": 1}}"#, "unknown field"),
    ])
    func refused(_ sc: String, _ message: String) {
        #expect { _ = try parse(sc) } throws: { ($0 as? PodrigError)?.description.contains(message) == true }
    }

    /// CRI: no profile is Unconfined, an empty one RuntimeDefault (critest's "nil profile" and "default" cases).
    @Test func seccompDefaults() throws {
        let bare = try CRIContainerConfig.parse(try ConfigText.parse(#"{"metadata": {"name": "c"}, "command": ["true"]}"#, source: "c"))
        #expect(bare.container.securityContext.seccompProfile == .unconfined)
        #expect(try parse("{}").container.securityContext.seccompProfile == .unconfined)
        #expect(try parse(#"{"seccomp": {}}"#).container.securityContext.seccompProfile == .runtimeDefault)
        #expect(try parse(#"{"seccomp": {"profile_type": "Localhost", "localhost_ref": "/p.json"}}"#).container.securityContext.seccompProfile == .localhost("/p.json"))
        #expect(try parse(#"{"seccomp_profile_path": "localhost//p.json"}"#).container.securityContext.seccompProfile == .localhost("/p.json"))
        #expect(try parse(#"{"seccomp_profile_path": "runtime/default"}"#).container.securityContext.seccompProfile == .runtimeDefault)
    }
}

@Suite struct IdempotenceRuleTests {
    let ids = ["aaaa1111", "aaaa2222", "bbbb3333"]

    @Test func goneIsNil() throws {
        #expect(try Identifiers.resolveIfPresent("cccc", among: ids, kind: "x") == nil)
        #expect(try Identifiers.resolveIfPresent("0b6ad7c4-0dde-4a25-9c35-23f2a8d1a5b0", among: ids, kind: "x") == nil)
        #expect(try Identifiers.resolveIfPresent(String(repeating: "e", count: 64), among: ids, kind: "x") == nil)
        #expect(try Identifiers.resolveIfPresent("bb", among: ids, kind: "x") == "bbbb3333")
    }

    @Test func ambiguousAndEmptyStillFail() {
        #expect(throws: PodrigError.self) { _ = try Identifiers.resolveIfPresent("aaaa", among: ids, kind: "x") }
        #expect(throws: PodrigError.self) { _ = try Identifiers.resolveIfPresent("", among: ids, kind: "x") }
    }
}
