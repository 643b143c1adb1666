#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

/// Fault plugins (small scripts) and old/new spec versions: every failure is one clear message
/// and leaves nothing behind.
@Suite(.enabled(if: isRoot)) struct CNIFaultTests {
    /// A fake plugin that misbehaves on ADD only (DEL succeeds quietly) and logs the container ID.
    func faulty(_ env: CNITestEnv, _ name: String, _ addAction: String) {
        env.plugin(name, """
            cat > /dev/null
            echo "$CNI_COMMAND $CNI_CONTAINERID" >> \(env.dir)/\(name).log
            if [ "$CNI_COMMAND" = ADD ]; then
            \(addAction)
            fi
            exit 0
            """)
    }

    /// runp fails with a message holding every fragment, and the machine is as it was.
    func expectFailure(_ env: CNITestEnv, plugin: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let m = env.manager()
        do {
            let r = try m.run(cniPod("fault"))
            Issue.record("runp succeeded: \(r.id)", sourceLocation: sourceLocation)
            try? m.remove(r.id, force: true)
        } catch {
            for f in fragments { #expect(error.description.contains(f), "\(error) lacks \(f)", sourceLocation: sourceLocation) }
        }
        let log = (try? Files.readString(env.dir + "/\(plugin).log")) ?? ""
        for line in log.split(separator: "\n") {
            let id = String(line.split(separator: " ").last ?? "")
            #expect(!Files.exists("/run/netns/" + NetnsPin.name(for: id)), "pin of \(id) leaked", sourceLocation: sourceLocation)
        }
        #expect(log.contains("DEL"), "rollback DEL did not reach \(plugin)", sourceLocation: sourceLocation)
        env.expectClean(sourceLocation: sourceLocation)
    }

    @Test func errorJSONAndStderrReachTheUser() {
        let env = CNITestEnv(33)
        faulty(env, "pr-cerr", #"echo '{"cniVersion":"1.0.0","code":7,"msg":"bad config","details":"field bogus"}'; echo "plugin says no" >&2; exit 1"#)
        env.conflist([#"{"type":"loopback"}"#, #"{"type":"pr-cerr"}"#])
        expectFailure(env, plugin: "pr-cerr", ["CNI network \"pr-c33\"", "plugin \"pr-cerr\" ADD failed", "bad config: field bogus",
                                               "CNI error 7: invalid network config", "stderr: plugin says no"])
    }

    @Test func garbageStdoutIsAnInvalidResult() {
        let env = CNITestEnv(34)
        faulty(env, "pr-cjunk", "echo 'this is not json'; exit 0")
        env.conflist([#"{"type":"pr-cjunk"}"#])
        expectFailure(env, plugin: "pr-cjunk", ["plugin \"pr-cjunk\" ADD returned an invalid result", "invalid JSON"])
    }

    @Test func garbageOnFailureIsShown() {
        let env = CNITestEnv(35)
        faulty(env, "pr-cjunk2", "echo 'panic: boom'; exit 2")
        env.conflist([#"{"type":"pr-cjunk2"}"#])
        expectFailure(env, plugin: "pr-cjunk2", ["ADD failed: exit status 2", "not CNI error JSON: panic: boom"])
    }

    @Test func crashIsReported() {
        let env = CNITestEnv(36)
        faulty(env, "pr-ccrash", "kill -SEGV $$")
        env.conflist([#"{"type":"pr-ccrash"}"#])
        expectFailure(env, plugin: "pr-ccrash", ["plugin \"pr-ccrash\" ADD failed: killed by signal 11"])
    }

    @Test func hangIsKilledAtTheTimeout() {
        let env = CNITestEnv(37)
        env.timeout = 1
        faulty(env, "pr-chang", "echo $$ > \(env.dir)/hang.pid; exec sleep 60")
        env.conflist([#"{"type":"pr-chang"}"#])
        let start = Clock.now()
        expectFailure(env, plugin: "pr-chang", ["plugin \"pr-chang\" ADD timed out after 1 s (killed)"])
        #expect(Clock.now() - start < 10)
        let pid = Int32(((try? Files.readString(env.dir + "/hang.pid")) ?? "").trimmed) ?? 0
        #expect(pid > 0 && kill(pid, 0) != 0, "hung plugin \(pid) still running")
    }

    @Test func failureMidChainRollsBackEverything() {
        let env = CNITestEnv(20)
        faulty(env, "pr-cmid", #"echo '{"code":11,"msg":"try later"}'; exit 1"#)
        env.conflist([#"{"type":"loopback"}"#, env.bridgePlugin(), #"{"type":"pr-cmid"}"#])
        expectFailure(env, plugin: "pr-cmid", ["plugin \"pr-cmid\" ADD failed: try later (CNI error 11: try again later)"])
    }

    @Test func missingPluginIsNamed() throws {
        let env = CNITestEnv(38)
        env.conflist([#"{"type":"pr-cnothere"}"#])
        #expect(throws: PodrigError.self) { try env.manager().run(cniPod("missing")) }
        do { _ = try env.manager().run(cniPod("missing")) } catch {
            #expect(error.description.contains("CNI plugin \"pr-cnothere\" not found in \(env.binDir):/usr/lib/cni"))
        }
        env.expectClean()
    }

    @Test func invalidConfigFilesAreSkippedWithAWarning() {
        let env = CNITestEnv(39)
        env.write("01-bad.conflist", #"{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"a/b"}]}"#)
        env.conflist([#"{"type":"loopback"}"#])
        let pod = writePod(env, "warned")
        let r = env.cli("runp \(pod)")
        #expect(r.code == 0 && r.err.contains("01-bad.conflist skipped") && r.err.contains("no '/'"), "\(r)")
        env.sandboxIDs.append(r.out.trimmed)
        #expect(env.cli("rmp -f \(r.out.trimmed)").code == 0)
        env.write("02-bad.conf", "{")
        try? Files.remove(env.confDir + "/10-\(env.name).conflist")
        let none = env.cli("runp \(pod)")
        #expect(none.code == 1 && none.err.contains("no valid CNI network config") && none.err.contains("02-bad.conf"), "\(none)")
        env.expectClean()
    }

    // MARK: versions

    @Test func legacyResultIsConvertedForTheNextPluginAndCache() throws {
        let env = CNITestEnv(27)
        env.plugin("pr-c020", """
            cat > /dev/null
            [ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.2.0","ip4":{"ip":"10.88.27.9/24","gateway":"10.88.27.1"},"dns":{}}'
            exit 0
            """)
        env.plugin("pr-cecho", """
            cat > \(env.dir)/echo-$CNI_COMMAND.json
            [ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.88.27.9/24"}]}'
            exit 0
            """)
        env.conflist([#"{"type":"pr-c020"}"#, #"{"type":"pr-cecho","keep":{"order":[3,1.0]}}"#], version: "0.4.0")
        let m = env.manager()
        let r = try m.run(cniPod("old"))
        #expect(r.podIPs == ["10.88.27.9"])
        let seen = try JSONParser.parse(bytes: try Files.read(env.dir + "/echo-ADD.json"))
        #expect(seen["prevResult"]?["cniVersion"] == "0.4.0")
        #expect(seen["prevResult"]?["ips"]?[0]?["version"] == "4" && seen["prevResult"]?["ips"]?[0]?["address"] == "10.88.27.9/24")
        #expect(seen["keep"]?.compact == #"{"order":[3,1.0]}"#)  // plugin keys untouched
        #expect(seen["name"]?.string == env.name && seen["cniVersion"] == "0.4.0")
        try m.stop(r.id)
        let del = try JSONParser.parse(bytes: try Files.read(env.dir + "/echo-DEL.json"))
        #expect(del["prevResult"]?["ips"]?[0]?["address"] == "10.88.27.9/24")
        try m.remove(r.id, force: false)
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test func pluginSupportingOnly031() throws {
        let env = CNITestEnv(40)
        env.plugin("pr-c031", """
            input=$(cat)
            case "$CNI_COMMAND" in
            VERSION) echo '{"cniVersion":"0.3.1","supportedVersions":["0.3.0","0.3.1"]}'; exit 0;;
            ADD) case "$input" in *'"cniVersion":"0.3.1"'*) ;; *) echo '{"code":1,"msg":"incompatible CNI versions"}'; exit 1;; esac
                 echo '{"cniVersion":"0.3.1","interfaces":[{"name":"eth0","sandbox":"'"$CNI_NETNS"'"}],"ips":[{"version":"4","interface":0,"address":"10.88.40.5/24"}]}';;
            esac
            exit 0
            """)
        env.conflist([#"{"type":"pr-c031"}"#], version: "0.3.1")
        let m = env.manager()
        let r = try m.run(cniPod("v031"))
        #expect(r.podIPs == ["10.88.40.5"])
        let v = env.cli("cni version")
        #expect(v.code == 0 && v.out.contains("0.3.0,0.3.1") && v.out.contains("0.3.1 (ok)"), "\(v)")
        #expect(env.cli("inspectp --check \(r.id)").out.contains("needs 0.4.0"))
        // Every cni verb takes the sandbox as TARGET; CHECK below 0.4.0 fails as in libcni and cnitool.
        let tv = env.cli("cni version \(r.id)")
        #expect(tv.code == 0 && tv.out.contains("0.3.1 (ok)"), "\(tv)")
        #expect(env.cli("cni status \(r.id)").code == 0)
        let check = env.cli("cni check \(r.id)")
        #expect(check.code == 1 && check.err.contains("configuration version \"0.3.1\" does not support the CHECK command"), "\(check)")
        try m.remove(r.id, force: true)
        // The same plugin under a 1.0.0 config: the version error is explained.
        env.conflist([#"{"type":"pr-c031"}"#], version: "1.0.0")
        do { _ = try m.run(cniPod("v100")); Issue.record("expected a failure") } catch {
            #expect(error.description.contains("incompatible CNI versions (CNI error 1: incompatible CNI version)"))
        }
        #expect(env.cli("cni version").out.contains("1.0.0 (NOT SUPPORTED)"))
        // libcni's ValidateNetworkList refuses it, and so does `cni status`.
        let st = env.cli("cni status")
        #expect(st.code == 1 && st.out.contains("NotReady") && st.out.contains("plugin \"pr-c031\" does not support config version \"1.0.0\""), "\(st)")
        LeakCheck.cniSandboxGone(r, env: env)
    }

    @Test func statusOfA11NetworkGatesRunpAndGCGetsValidAttachments() throws {
        let env = CNITestEnv(28)
        env.plugin("pr-c11", """
            cat > \(env.dir)/last-$CNI_COMMAND.json
            echo "$CNI_COMMAND" >> \(env.dir)/commands.log
            case "$CNI_COMMAND" in
            VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}';;
            STATUS) [ -e \(env.dir)/notready ] && { echo '{"cniVersion":"1.1.0","code":50,"msg":"no uplink"}'; exit 1; };;
            ADD) echo '{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"'"$CNI_NETNS"'"}],"ips":[{"interface":0,"address":"10.88.28.2/24"}]}';;
            esac
            exit 0
            """)
        env.conflist([#"{"type":"pr-c11"}"#], version: "1.1.0")
        try Files.writeAtomic(env.dir + "/notready", "", sync: false)
        let m = env.manager()
        do { _ = try m.run(cniPod("gated")); Issue.record("runp should refuse") } catch {
            #expect(error.code == .notReady)
            #expect(error.description.contains("CNI network \"pr-c28\" is not ready") && error.description.contains("no uplink (CNI error 50"))
        }
        #expect(!((try? Files.readString(env.dir + "/commands.log")) ?? "").contains("ADD"))
        let st = env.cli("cni status")
        #expect(st.code == 1 && st.out.contains("NotReady"), "\(st)")
        try Files.remove(env.dir + "/notready")
        #expect(env.cli("cni status").code == 0)
        let r = try m.run(cniPod("ready"))
        #expect(r.podIPs == ["10.88.28.2"])
        #expect(env.cli("gc").code == 0)
        let gc = try JSONParser.parse(bytes: try Files.read(env.dir + "/last-GC.json"))
        #expect(gc["cni.dev/valid-attachments"] == [["containerID": .string(r.id), "ifname": "eth0"]])
        try m.remove(r.id, force: true)
        LeakCheck.cniSandboxGone(r, env: env)
    }
}
