#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import Testing

/// `podrig attach` (the supervisor keeps stdin/pty and serves the attach socket) and the
/// supervisor's log rotation and reopen, on CRI containers and pod containers.
@Suite(.serialized) struct CRIAttachTests {
    /// critest "runtime should support attach": a shell with stdin and stdin_once; what is written
    /// to the attach's stdin runs, its output comes back, and the shell ends with that stdin.
    @Test(.enabled(if: isRoot)) func attachStdinOnceShell() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let c = b.start(sb, "metadata: {name: shell}\nimage: {image: busybox}\ncommand: [/bin/sh]\nstdin: true\nstdin_once: true\n")
        let opts = "--root \(b.root.path)"
        let r = sh("(printf 'echo hello\\n'; sleep 0.5) | timeout 20 \(TestBinaries.podrig) attach -i \(opts) \(c)")
        #expect(r.code == 0 && r.out == "hello\n" && r.err.isEmpty, "\(r)")
        #expect(b.bed.wait(5) { b.cli("inspect \(c)").out.contains("CONTAINER_EXITED") }, "stdinOnce: its stdin closed after the first attach, so sh ended")
        let again = sh("echo true | timeout 20 \(TestBinaries.podrig) attach -i \(opts) \(c)")
        #expect(again.code != 0 && again.err.contains("is not running"), "\(again)")
    }

    /// Output-only attach to any running container; -i and -t refused where the container has
    /// no stdin or tty; attach --help is attach's own help.
    @Test(.enabled(if: isRoot)) func attachOutputAndRefusals() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let c = b.start(sb, "metadata: {name: ticker}\nimage: {image: busybox}\ncommand: [sh, -c, 'i=0; while :; do echo tick-$i; echo tock-$i >&2; i=$((i+1)); sleep 0.1; done']\n")
        let opts = "--root \(b.root.path)"
        let out = sh("timeout 1.5 \(TestBinaries.podrig) attach \(opts) \(c)")
        #expect(out.code == 124, "ends only when stopped: \(out.code)")
        #expect(out.out.contains("tick-") && !out.out.contains("tock-") && out.err.contains("tock-"), "stdout and stderr apart: \(out)")
        let noStdin = sh("\(TestBinaries.podrig) attach -i \(opts) \(c) < /dev/null")
        #expect(noStdin.code == 2 && noStdin.err.contains("was not created with stdin"), "\(noStdin)")
        let noTTY = sh("\(TestBinaries.podrig) attach -t \(opts) \(c) < /dev/null")
        #expect(noTTY.code == 2 && noTTY.err.contains("was not created with a tty"), "\(noTTY)")
        let help = sh("\(TestBinaries.podrig) attach --help")
        #expect(help.code == 0 && help.out.contains("USAGE: podrig attach") && help.out.contains("--stdin"), "\(help)")
    }

    /// A tty container through a real terminal: raw mode, the window size on attach and on SIGWINCH,
    /// what is typed reaching the container's pty; the pod form (manifest stdin/tty) too.
    @Test(.enabled(if: isRoot)) func attachTTYThroughAPty() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let c = b.start(sb, "metadata: {name: term}\nimage: {image: busybox}\ncommand: [sh, -i]\nstdin: true\ntty: true\n")
        let attach = "\(TestBinaries.podrig) attach -it --root \(b.root.path) \(c)"
        let r = PtyDriver.run(attach, rows: 30, cols: 90, steps: [["send", "stty size\n"], ["expect", "30 90\r\n"], ["winsize", 40, 100],
                                                                    ["send", "stty size; tty\n"], ["expect", "40 100\r\n"], ["send", "exit 3\n"]], in: b.root)
        #expect(r.failed == nil, "\(r)")
        #expect(r.out.contains("/dev/pts/"), "\(r.out)")
        #expect(b.bed.wait(5) { b.cli("inspect \(c)").out.contains("\"exitCode\" : 3") || b.cli("inspect \(c)").out.contains("\"exitCode\": 3") },
                "the shell exited 3: \(b.cli("inspect \(c)").out)")
        let log = try Files.readString(b.cli("inspect \(c)").out.split(separator: "\"").drop { $0 != "logPath" }.dropFirst(2).first.map(String.init) ?? "")
        #expect(log.contains(" stdout F ") && log.contains("40 100"), "a tty's output is logged as stdout: \(log)")

        let pod = b.bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-cex-tty}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: shell, image: busybox, command: [sh, -i], stdin: true, tty: true}
            """)
        #expect(b.cli("up -d \(pod)").code == 0)
        let pr = PtyDriver.run("\(TestBinaries.podrig) attach -it --root \(b.root.path) pr-cex-tty -c shell", steps: [["send", "echo pod-$((40+2))\n"], ["expect", "pod-42"], ["send", "exit\n"]], in: b.root)
        #expect(pr.failed == nil, "\(pr)")
        #expect(b.cli("down pr-cex-tty").code == 0)
    }

    /// `up -it` (kubectl run -it --rm): the terminal attached to the manifest's tty container, raw,
    /// window size on start and on SIGWINCH; the session's end takes the pod down and is up's exit.
    @Test(.enabled(if: isRoot)) func upInteractiveThroughAPty() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-up-it}
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - {name: logger, image: busybox, command: [sleep, "60"]}
              - {name: shell, image: busybox, command: [sh, -i], stdin: true, tty: true}
            """)
        let up = "\(TestBinaries.podrig) up -it --root \(bed.root.path) --pause-path \(TestBinaries.pause) \(file)"
        let r = PtyDriver.run("PODRIG_NETWORK=none " + up, rows: 33, cols: 101, steps: [
            ["expect", "try pressing enter"], ["send", "stty size; tty\n"], ["expect", "33 101\r\n"], ["winsize", 44, 120],
            ["send", "stty size\n"], ["expect", "44 120\r\n"], ["send", "echo up-$((40+2)); exit 3\n"], ["expect", "up-42"],
        ], in: bed.root)
        #expect(r.failed == nil && r.code == 3, "\(r)")
        #expect(r.out.contains("/dev/pts/"), "\(r.out)")
        LeakCheck.rootEmpty(bed.root)
        #expect(!sh("ps -eo args").out.contains(bed.root.path), "a supervisor or container survived up -it")
        // Checked before anything starts: a file without such a container, and -d.
        let plain = bed.manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: plain}\nspec:\n  containers: [{name: c, image: x, command: [sleep, '1']}]\n", name: "plain.yaml")
        let none = bed.cli("up -it \(plain)")
        #expect(none.code == 1 && none.err.contains("no Pod in the file has a container with stdin: true and tty: true"), "\(none)")
        let detached = bed.cli("up -d -it \(file)")
        #expect(detached.code != 0 && detached.err.contains("cannot be combined with -d"), "\(detached)")
        LeakCheck.rootEmpty(bed.root)
    }

    /// kubelet's rotation in the supervisor: at containerLogMaxSize the file is renamed
    /// <path>.<timestamp> and a new one opened; containerLogMaxFiles files are kept; `logs` reads
    /// across them. `logs --reopen` (ReopenContainerLog) makes the supervisor reopen the path.
    @Test(.enabled(if: isRoot)) func logRotationAndReopen() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let path = b.bed.manifest("metadata: {name: talker}\nimage: {image: busybox}\nlog_path: talker.log\n"
                                  + "command: [sh, -c, 'i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done; exec sleep 1000']\n", name: "talker.yaml")
        let created = b.cli("create \(sb) \(path) --container-log-max-size 2Ki --container-log-max-files 3")
        #expect(created.code == 0, "\(created.err)")
        let c = created.out.trimmed
        #expect(b.cli("start \(c)").code == 0)
        let logPath = try #require(b.cli("inspect \(c)").out.split(separator: "\"").drop { $0 != "logPath" }.dropFirst(2).first.map(String.init))
        #expect(b.bed.wait(5) { b.cli("logs \(c)").out.hasSuffix("line-299\n") })
        let dir = Files.dirname(of: logPath), base = Files.basename(of: logPath)
        let rotated = try Files.list(dir).filter { $0.hasPrefix(base + ".") }
        #expect(rotated.count == 2, "3 files kept, the current one included: \(rotated)")
        for f in rotated + [base] {
            let size = (try? Files.read(dir + "/" + f).count) ?? 0
            #expect(size <= 2048 + 64, "\(f) is \(size) bytes")
        }
        let lines = b.cli("logs \(c)").out.split(separator: "\n")
        let first = Int(lines.first?.dropFirst(5) ?? "") ?? -1
        #expect(first > 0 && lines.map(String.init) == (first..<300).map { "line-\($0)" }, "the newest lines, in order, across files")

        // Reopen: the file is moved away (as kubelet does), the supervisor reopens the path.
        let ticker = b.start(sb, "metadata: {name: ticker}\nimage: {image: busybox}\nlog_path: ticker.log\ncommand: [sh, -c, 'while :; do echo tick; sleep 0.1; done']\n")
        let tickLog = try #require(b.cli("inspect \(ticker)").out.split(separator: "\"").drop { $0 != "logPath" }.dropFirst(2).first.map(String.init))
        #expect(b.bed.wait(5) { ((try? Files.readString(tickLog)) ?? "").contains("tick") })
        #expect(rename(tickLog, tickLog + ".moved") == 0)
        let reopen = b.cli("logs --reopen \(ticker)")
        #expect(reopen.code == 0 && reopen.out.isEmpty, "\(reopen)")
        #expect(b.bed.wait(5) { ((try? Files.readString(tickLog)) ?? "").contains("tick") }, "new lines go to a new file at the path")
        let movedSize = (try? Files.read(tickLog + ".moved").count) ?? 0
        usleep(300_000)
        #expect((try? Files.read(tickLog + ".moved").count) == movedSize, "nothing more goes to the moved file")
        #expect(b.cli("stop -t 0 \(ticker)").code == 0)
        let stopped = b.cli("logs --reopen \(ticker)")
        #expect(stopped.code == 1 && stopped.err.contains("is not running"), "\(stopped)")
        let bad = b.cli("create \(sb) \(path) --container-log-max-files 1")
        #expect(bad.code == 2 && bad.err.contains("--container-log-max-files"), "\(bad)")
    }

    /// Pod containers rotate too (<logDir>/<name>/<n>.log.<timestamp>), and `logs POD` reads across.
    @Test(.enabled(if: isRoot)) func podLogRotation() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let pod = b.bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pr-cex-logs}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: talk, image: busybox, command: [sh, -c, 'i=0; while [ $i -lt 300 ]; do echo pod-line-$i; i=$((i+1)); done; exec sleep 1000']}
            """)
        #expect(b.cli("up -d --container-log-max-size 2Ki --container-log-max-files 4 \(pod)").code == 0)
        #expect(b.bed.wait(5) { b.cli("logs pr-cex-logs").out.hasSuffix("pod-line-299\n") })
        let p = try #require(b.bed.pod("pr-cex-logs"))
        let files = try Files.list(p.logDirectory + "/talk")
        #expect(files.filter { $0.hasPrefix("0.log.") }.count == 3 && files.contains("0.log"), "\(files)")
        #expect(b.cli("down pr-cex-logs").code == 0)
    }
}
