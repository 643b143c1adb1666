#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import Testing

/// `podrig exec` on CRI containers (runp + create + start) and pod containers, in every form
/// crictl and podrig users give it: critest's streaming exec, ExecSync timeouts, -i and -t.
@Suite(.serialized) struct CRIExecTests {
    @Test(.enabled(if: isRoot)) func execFormsOnCRIAndPodContainers() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let c = b.sleeper(sb)
        // critest "exec with tty=false and stdin=false": stdout exactly, nothing on stderr.
        let byID = b.exec(c, "echo hello")
        #expect(byID.code == 0 && byID.out == "hello\n" && byID.err.isEmpty, "\(byID)")
        #expect(b.exec(String(c.prefix(8)), "echo -n hello").out == "hello", "unique container ID prefix")
        #expect(b.exec(sb, "echo -n hello", flags: "-c sleeper").out == "hello", "sandbox ID + -c")
        #expect(b.exec(String(sb.prefix(10)), "echo -n hello").out == "hello", "sandbox prefix, its only container")
        #expect(b.exec(c, "sh -c 'exit 42'").code == 42, "the command's status is podrig's")
        let noCmd = b.exec(c, "no-such-command-pr")
        #expect(noCmd.code != 0 && noCmd.err.contains("executable file not found"), "\(noCmd)")
        let nosuch = b.exec(sb, "true", flags: "-c nosuch")
        #expect(nosuch.code == 1 && nosuch.err.contains("no container \"nosuch\"") && nosuch.err.split(separator: "\n").count == 1, "\(nosuch)")
        let unknown = b.exec("f00dfeedf00d", "true")
        #expect(unknown.code == 1 && unknown.err.contains("no container, sandbox or pod"), "\(unknown)")
        // A second container: the sandbox form needs -c now.
        let other = b.sleeper(sb, name: "other")
        let twoNames = b.exec(sb, "true")
        #expect(twoNames.code != 0 && twoNames.err.contains("choose one with -c"), "\(twoNames)")
        #expect(b.exec(sb, "true", flags: "-c other").code == 0)
        // A stopped container cannot be exec'd into.
        #expect(b.cli("stop -t 0 \(other)").code == 0)
        let stopped = b.exec(other, "true")
        #expect(stopped.code == 1 && stopped.err.contains("is not running"), "\(stopped)")

        // Pod form: `podrig up` pods by name, by sandbox ID and -c.
        let pod = b.bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-cex-pod}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sleep, '1000']}
              - {name: side, image: busybox, command: [sleep, '1000']}
            """)
        #expect(b.cli("up -d \(pod)").code == 0)
        #expect(b.exec("pr-cex-pod", "echo -n main").out == "main")
        let podID = try #require(b.bed.pod("pr-cex-pod")).record.id
        #expect(b.exec(String(podID.prefix(12)), "hostname", flags: "-c side").out == "pr-cex-pod\n")
        #expect(b.cli("down pr-cex-pod").code == 0)
    }

    /// critest "ExecSync with timeout": the call fails and the command is gone afterwards —
    /// here with a child in the background too (everything it started goes).
    @Test(.enabled(if: isRoot)) func execTimeoutKillsEverythingItStarted() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let c = b.sleeper(sb)
        let start = Clock.now()
        let r = b.exec(c, "sh -c 'sleep 4321 & (sleep 4323 &) ; sleep 4322'", flags: "--timeout 1")
        #expect(Clock.now() - start < 10)
        #expect(r.code == 124, "\(r)")
        #expect(r.err.hasPrefix("podrig: error: exec in container") && r.err.contains("timed out after 1s") && r.err.split(separator: "\n").count == 1, "\(r.err)")
        #expect(sh("pgrep -f 'sleep 432[123]'").out.isEmpty, "a timed-out command survived")
        #expect(b.exec(c, "pgrep -f 'sleep 432'").code == 1, "the container sees none either")
        #expect(b.exec(c, "true", flags: "--timeout 5").code == 0, "a command within its time is unaffected")
        #expect(b.exec(c, "true", flags: "--timeout 0").code == 2, "a zero timeout is a usage error")
    }

    /// -i passes stdin; without it the command reads /dev/null (crictl exec without -i).
    @Test(.enabled(if: isRoot)) func execStdin() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let c = b.sleeper(b.runp())
        let opts = "--root \(b.root.path) --pause-path \(TestBinaries.pause)"
        #expect(sh("echo piped | \(TestBinaries.podrig) exec -i \(opts) \(c) -- cat").out == "piped\n")
        #expect(sh("echo piped | \(TestBinaries.podrig) exec \(opts) \(c) -- cat").out == "")
        // critest "exec with tty=true and stdin=true": the pty turns \n into \r\n.
        let t = sh("\(TestBinaries.podrig) exec -it \(opts) \(c) -- echo hello < /dev/null")
        #expect(t.code == 0 && t.out == "hello\r\n", "\(t)")
    }

    /// -t on a real terminal: raw mode, the terminal's window size, SIGWINCH, ^C as a key.
    @Test(.enabled(if: isRoot)) func execTTYThroughAPty() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let c = b.sleeper(b.runp())
        let cmd = "\(TestBinaries.podrig) exec -it --root \(b.root.path) \(c) -- sh -c 'tty; stty size; trap \"stty size\" WINCH; echo ready; while :; do sleep 0.1; done'"
        let r = PtyDriver.run(cmd, rows: 33, cols: 101, steps: [["expect", "ready"], ["winsize", 44, 120], ["expect", "44 120"], ["send", "\u{03}"]], in: b.root)
        #expect(r.failed == nil, "\(r)")
        #expect(r.out.contains("/dev/pts/"), "the command has a terminal: \(r.out)")
        #expect(r.out.contains("33 101\r\n"), "the terminal's size reached the pty: \(r.out)")
        #expect(r.out.contains("44 120\r\n"), "SIGWINCH passed the new size on: \(r.out)")
        #expect(r.code == 130, "^C reached the command as SIGINT through raw mode: \(r)")
        // The local terminal came back out of raw mode: `stty` after podrig sees echo on.
        let after = PtyDriver.run("\(TestBinaries.podrig) exec -it --root \(b.root.path) \(c) -- true; stty -a | tr ' ' '\\n' | grep -x echo",
                                  steps: [], in: b.root)
        #expect(after.out.contains("echo"), "\(after)")
    }
}
