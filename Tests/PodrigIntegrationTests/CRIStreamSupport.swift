#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox
import Testing

/// critest-style scenarios: runp + create + start through the CLI, then exec/attach into the
/// containers, as crictl would drive a CRI runtime. Sandboxes are removed and checked at the end.
final class CRIBed {
    let bed = PodBed()
    private(set) var sandboxes: [String] = []
    private var count = 0

    var root: TestRoot { bed.root }

    @discardableResult
    func cli(_ args: String, timeout: Double = 60) -> (code: Int32, out: String, err: String) { bed.cli(args, timeout: timeout) }

    /// runp of a PodSandboxConfig (JSON text; metadata added when missing); returns its ID.
    func runp(_ body: String = "", name: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        count += 1
        let n = name ?? "pr-cex-sb\(count)"
        let meta = #""metadata": {"name": "\#(n)", "namespace": "default", "uid": "cex-\#(count)"}"#
        let path = bed.manifest("{" + meta + (body.isEmpty ? "" : ", " + body) + "}", name: "sandbox\(count).json")
        let r = cli("runp \(path)")
        #expect(r.code == 0, "runp: \(r.err)", sourceLocation: sourceLocation)
        let id = r.out.trimmed
        if !id.isEmpty { sandboxes.append(id) }
        return id
    }

    /// create + start of a ContainerConfig (YAML text); returns the container ID.
    func start(_ sandbox: String, _ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        count += 1
        let path = bed.manifest(yaml, name: "container\(count).yaml")
        let c = cli("create \(sandbox) \(path)")
        #expect(c.code == 0, "create: \(c.err)", sourceLocation: sourceLocation)
        let id = c.out.trimmed
        let s = cli("start \(id)")
        #expect(s.code == 0, "start: \(s.err)", sourceLocation: sourceLocation)
        return id
    }

    /// `inspect` of a container once it is CONTAINER_EXITED (nil if it did not exit within `seconds`;
    /// `last` then holds what inspect said last, for the failure message).
    func exited(_ id: String, within seconds: Double, last: inout JSON?) -> JSON? {
        var inspect: JSON?
        let done = bed.wait(seconds) {
            inspect = try? JSONParser.parse(cli("inspect \(id)").out)
            return inspect?["status"]?["state"]?.string == "CONTAINER_EXITED"
        }
        last = inspect
        return done ? inspect : nil
    }

    /// A container running `sleep 1000` (critest's pause command), with extra config lines.
    func sleeper(_ sandbox: String, name: String = "sleeper", _ extra: String = "", sourceLocation: SourceLocation = #_sourceLocation) -> String {
        start(sandbox, "metadata: {name: \(name)}\nimage: {image: busybox}\ncommand: [sleep, '1000']\n" + extra, sourceLocation: sourceLocation)
    }

    /// `podrig exec TARGET -- COMMAND` (the command is shell words, as crictl's argv).
    func exec(_ target: String, _ command: String, flags: String = "", timeout: Double = 60) -> (code: Int32, out: String, err: String) {
        cli("exec \(flags) \(target) -- \(command)", timeout: timeout)
    }

    /// Removes every sandbox (its containers go with it) and checks nothing is left.
    func cleanup(sourceLocation: SourceLocation = #_sourceLocation) {
        let records = sandboxes.compactMap { try? root.manager.status($0) }
        for id in sandboxes {
            let r = cli("rmp -f \(id)")
            #expect(r.code == 0, "rmp: \(r.err)", sourceLocation: sourceLocation)
        }
        for r in records { LeakCheck.sandboxGone(r, root: root, sourceLocation: sourceLocation) }
        #expect(!sh("ps -eo args").out.contains(root.path), "a supervisor survived its sandbox", sourceLocation: sourceLocation)
        LeakCheck.rootEmpty(root, sourceLocation: sourceLocation)
        LeakCheck.doctorClean(root: root, ids: sandboxes, sourceLocation: sourceLocation)
        sandboxes = []
    }
}

/// The terminal side of a pty session (python3's pty module): runs `command` on a new pty of the
/// given size as its controlling terminal, then plays `steps` — ["expect", text], ["send", text],
/// ["winsize", rows, cols] — and returns everything the terminal showed and the exit status.
enum PtyDriver {
    static let script = #"""
        import fcntl, json, os, pty, select, struct, sys, termios, time
        cmd, rows, cols, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
        master, slave = pty.openpty()
        def size(r, c): fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
        size(rows, cols)
        pid = os.fork()
        if pid == 0:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2): os.dup2(slave, fd)
            os.execv("/bin/sh", ["sh", "-c", cmd])
        os.close(slave)
        out = b""
        def pump(t):
            global out
            r, _, _ = select.select([master], [], [], t)
            if not r: return None
            try: data = os.read(master, 65536)
            except OSError: return False
            if not data: return False
            out += data
            return True
        failed = None
        for st in steps:
            if st[0] == "expect":
                end = time.time() + 20
                while st[1].encode() not in out and time.time() < end:
                    if pump(0.1) is False: break
                if st[1].encode() not in out: failed = "never saw " + repr(st[1]); break
            elif st[0] == "send": os.write(master, st[1].encode())
            elif st[0] == "winsize": size(st[1], st[2])
        if failed: os.kill(pid, 9)
        end, status = time.time() + 20, None
        while status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done: status = st
            elif time.time() > end: os.kill(pid, 9); failed = failed or "did not exit"
            else: pump(0.1)
        while pump(0.05): pass
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"out": out.decode("utf-8", "replace"), "code": code, "failed": failed}))
        """#

    static func run(_ command: String, rows: Int = 24, cols: Int = 80, steps: JSON, in root: TestRoot) -> (out: String, code: Int, failed: String?) {
        let path = root.path + "/ptydriver.py"
        if !Files.exists(path) { try? Files.writeAtomic(path, script) }
        func quote(_ s: String) -> String { "'" + s.replacing("'", with: "'\\''") + "'" }
        let r = sh("/usr/bin/python3 \(path) \(quote(command)) \(rows) \(cols) \(quote(steps.compact))", timeout: 90)
        guard let j = try? JSONParser.parse(r.out) else { return ("driver failed: \(r.err)", -1, "driver") }
        return (j["out"]?.string ?? "", j["code"]?.int ?? -1, j["failed"]?.string)
    }
}
