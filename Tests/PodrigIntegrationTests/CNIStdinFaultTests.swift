#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

/// Plugins that do not read their stdin (libcni's skel never reads it for VERSION; many plugins
/// fail before reading their config): podrig must never die of SIGPIPE, must report the plugin's
/// own verdict in one line, and leave nothing behind. Each case runs many times: it is a race
/// for small configs and deterministic for 2 MB ones (bigger than any pipe buffer).
@Suite(.enabled(if: isRoot), .serialized) struct CNIStdinFaultTests {
    static let padding = String(repeating: "p", count: 2 << 20)
    static let versions = #"{"cniVersion":"1.1.0","supportedVersions":["0.3.1","0.4.0","1.0.0","1.1.0"]}"#

    /// A plugin that runs `before` (how it treats stdin), then answers every command.
    /// `fail` makes ADD print an error JSON and exit 1.
    func stdinPlugin(_ env: CNITestEnv, _ name: String, before: String, fail: Bool) {
        let add = fail ? #"echo '{"cniVersion":"1.1.0","code":7,"msg":"refused"}'; exit 1"#
                       : #"echo '{"cniVersion":"1.1.0","ips":[{"address":"10.88.\#(env.x).5/24"}]}'"#
        env.plugin(name, """
            \(before)
            case "$CNI_COMMAND" in
            VERSION) echo '\(Self.versions)';;
            ADD) \(add);;
            esac
            exit 0
            """)
    }

    /// A 2 MB config for the plugin (unknown keys pass through to it), or a small one.
    func bigConflist(_ env: CNITestEnv, _ type: String, big: Bool = true) {
        env.conflist([big ? #"{"type":"\#(type)","padding":"\#(Self.padding)"}"# : #"{"type":"\#(type)"}"#], version: "1.1.0")
    }

    /// Small configs race the plugin's exit (many runs); 2 MB ones always hit EPIPE (a few runs,
    /// each ~0.5 s in a debug build).
    static let sizes: [(big: Bool, runs: Int)] = [(false, 40), (true, 4)]

    /// Runs the CLI `count` times; every run exits by itself (no signal) with `code`, a failure is
    /// exactly one line naming `plugin`.
    func loop(_ env: CNITestEnv, _ count: Int, _ args: String, code: Int32, plugin: String, contains: String? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) {
        var bad: [String] = []
        for i in 0..<count {
            let r = env.cli(args)
            var ok = r.code == code && r.code < 128
            if r.code != 0 {
                let lines = r.err.split(separator: "\n")
                ok = ok && lines.count == 1 && lines[0].hasPrefix("podrig: error: ") && lines[0].contains("plugin \"\(plugin)\"")
            }
            if let contains { ok = ok && (r.out + r.err).contains(contains) }
            if !ok { bad.append("run \(i): \(r)") }
            if bad.count > 3 { break }
        }
        #expect(bad.isEmpty, "\(args): \(bad)", sourceLocation: sourceLocation)
    }

    /// A netns of the test's own for `cni add|del` on a path.
    func withNetns(_ name: String, _ body: (String) -> Void) {
        sh("ip netns del \(name) 2>/dev/null; ip netns add \(name)")
        defer { sh("ip netns del \(name)") }
        body("/run/netns/" + name)
    }

    @Test func versionWithAPluginThatNeverReads() {
        let env = CNITestEnv(81)
        stdinPlugin(env, "pr-cnoread", before: "", fail: false)
        env.conflist([#"{"type":"pr-cnoread"}"#], version: "1.1.0")
        loop(env, 200, "cni version", code: 0, plugin: "pr-cnoread", contains: "1.1.0 (ok)")
        bigConflist(env, "pr-cnoread")
        loop(env, 5, "cni version", code: 0, plugin: "pr-cnoread", contains: "1.1.0 (ok)")
        loop(env, 5, "cni status", code: 0, plugin: "pr-cnoread", contains: "Ready")
    }

    @Test func addDelAndGCWithTwoMegabyteConfigs() {
        let env = CNITestEnv(82)
        stdinPlugin(env, "pr-cnoread", before: "", fail: false)
        stdinPlugin(env, "pr-cnoreadx", before: "", fail: true)
        stdinPlugin(env, "pr-chalf", before: "head -c 1000000 > /dev/null", fail: true)
        stdinPlugin(env, "pr-cclose", before: "exec 0<&-; sleep 0.05", fail: true)
        withNetns("pr-cin82") { netns in
            for size in Self.sizes {
                bigConflist(env, "pr-cnoread", big: size.big)
                for _ in 0..<size.runs {
                    loop(env, 1, "cni add \(netns)", code: 0, plugin: "pr-cnoread", contains: "10.88.82.5/24")
                    loop(env, 1, "cni del \(netns)", code: 0, plugin: "pr-cnoread")
                }
            }
            // An attachment left for GC: DEL and GC with the 2 MB config.
            loop(env, 1, "cni add \(netns)", code: 0, plugin: "pr-cnoread")
            #expect(env.cacheEntries().count == 1)
            loop(env, 1, "cni gc", code: 0, plugin: "pr-cnoread", contains: "Deleted CNI attachment")
            env.expectClean()
            for plugin in ["pr-cnoreadx", "pr-chalf", "pr-cclose"] {
                bigConflist(env, plugin)
                for _ in 0..<4 {
                    loop(env, 1, "cni add \(netns)", code: 1, plugin: plugin, contains: "ADD failed: refused (CNI error 7")
                    loop(env, 1, "cni del \(netns)", code: 0, plugin: plugin)
                }
                env.expectClean()
            }
            bigConflist(env, "pr-cnoreadx", big: false)
            for _ in 0..<40 {
                loop(env, 1, "cni add \(netns)", code: 1, plugin: "pr-cnoreadx", contains: "ADD failed: refused (CNI error 7")
                loop(env, 1, "cni del \(netns)", code: 0, plugin: "pr-cnoreadx")
            }
            env.expectClean()
        }
    }

    @Test func runpRmpAndTraceWithPluginsThatStopReading() {
        let env = CNITestEnv(83)
        stdinPlugin(env, "pr-cnoread", before: "", fail: false)
        stdinPlugin(env, "pr-cnoreadx", before: "", fail: true)
        let pod = writePod(env, "stdin")
        for size in [(big: false, runs: 25), (big: true, runs: 3)] {
            bigConflist(env, "pr-cnoread", big: size.big)
            for _ in 0..<size.runs {
                let r = env.cli("runp \(pod)")
                #expect(r.code == 0, "\(r)")
                guard r.code == 0 else { break }
                let id = r.out.trimmed
                env.sandboxIDs.append(id)
                // The trace holds the stdin; a reader that stops early is no death either.
                let t = sh("{ \(TestBinaries.podrig) trace \(id) -o json --root \(env.root.path); echo $? > \(env.dir)/trace.rc; } | head -c 100 > /dev/null")
                #expect(t.code == 0 && ((try? Files.readString(env.dir + "/trace.rc")) ?? "").trimmed == "0", "trace: \(t)")
                #expect(env.cli("rmp -f \(id)").code == 0)
            }
        }
        env.expectClean()
        for size in [(big: false, runs: 25), (big: true, runs: 3)] {
            bigConflist(env, "pr-cnoreadx", big: size.big)
            loop(env, size.runs, "runp \(pod)", code: 1, plugin: "pr-cnoreadx", contains: "ADD failed: refused (CNI error 7")
        }
        #expect(env.cli("gc").code == 0)
        env.expectClean()
        LeakCheck.doctorClean(root: env.root, ids: env.sandboxIDs, extra: "--cni-cache-dir \(env.cacheDir)")
    }

    /// A plugin that closes stdin and then hangs is killed at the timeout, as any hang.
    @Test func closedStdinThenHangIsKilled() {
        let env = CNITestEnv(84)
        env.timeout = 1
        stdinPlugin(env, "pr-chang2", before: #"[ "$CNI_COMMAND" = ADD ] && { exec 0<&-; exec sleep 30; }"#, fail: false)
        bigConflist(env, "pr-chang2")
        withNetns("pr-cin84") { netns in
            for _ in 0..<3 {
                loop(env, 1, "cni add \(netns)", code: 1, plugin: "pr-chang2", contains: "ADD timed out after 1 s (killed)")
                loop(env, 1, "cni del \(netns)", code: 0, plugin: "pr-chang2")
            }
        }
        env.expectClean()
    }

    /// The library in a process that keeps SIGPIPE's default (this test runner): no death either.
    @Test func libraryNeverRaisesSIGPIPE() throws {
        let env = CNITestEnv(85)
        stdinPlugin(env, "pr-cnoread", before: "", fail: false)
        stdinPlugin(env, "pr-cnoreadx", before: "", fail: true)
        let m = env.manager()
        bigConflist(env, "pr-cnoread")
        for i in 0..<5 {
            let r = try m.run(cniPod("lib\(i)"))
            #expect(r.podIPs == ["10.88.85.5"])
            try m.remove(r.id, force: true)
        }
        bigConflist(env, "pr-cnoreadx")
        for i in 0..<5 {
            #expect(throws: PodrigError.self) { _ = try m.run(cniPod("libx\(i)")) }
        }
        env.expectClean()
    }
}
