#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore

/// One plugin exec as a check sees it: the runner's outcome plus what the trace recorded
/// (exit status, stderr, duration) and the trace number to replay it by.
public struct CTExec: Sendable {
    public var plugin: String
    public var command: String
    public var stdout: [UInt8]
    public var failure: String?
    public var pluginError: CNIPluginError?
    public var trace: Int = 0
    public var stderr = ""
    public var exitCode: Int?
    public var signal: Int?
    public var timedOut = false
    public var duration: Double = 0

    public var ok: Bool { failure == nil }

    /// A crash, a hang or a Go panic: what a plugin must never do, whatever its input.
    public var misbehaviour: String? {
        if timedOut { return "hung (killed after the timeout)" }
        if let signal { return "died of signal \(signal)" }
        if stderr.contains("panic:") || stderr.contains("goroutine ") { return "panicked: " + String(stderr.trimmed.prefix(160)) }
        return nil
    }

    /// "exit 1, code 7 (msg)" for the detail column.
    public var summary: String {
        if let m = misbehaviour { return m }
        if ok { return "succeeded" }
        var s = exitCode.map { "exit \($0)" } ?? "failed"
        if let e = pluginError {
            s += ", code \(e.code.map(String.init) ?? "none"): \(CTExec.clip(e.msg))"
        } else {
            let out = String(decoding: stdout, as: UTF8.self).trimmed
            s += out.isEmpty ? ", no error JSON on stdout" : ", stdout is not an error JSON: \(CTExec.clip(out))"
        }
        return s
    }

    static func clip(_ s: String, _ n: Int = 120) -> String { s.count <= n ? s : String(s.prefix(n)) + "…" }
}

/// Runs plugins through podrig's one exec path (CNIPluginRunner, which traces every exec) and
/// reads back each exec's trace record.
final class CTInvoker: @unchecked Sendable {
    let runner: CNIPluginRunner
    let tracePath: String
    private var records: [JSON] = []
    private var offset = 0
    private let lock = Mutex()

    init(runner: CNIPluginRunner, tracePath: String) {
        self.runner = runner
        self.tracePath = tracePath
    }

    /// Runs one exec. `readTrace: false` in parallel sections (call `traceNumber` afterwards).
    func exec(network: String, type: String, command: String, stdin: [UInt8], rt: CNIRuntimeConf?, readTrace: Bool = true) -> CTExec {
        var e = CTExec(plugin: type, command: command, stdout: [])
        do {
            let o = try runner.execute(network: network, type: type, command: command, stdinBytes: stdin, rt: rt)
            e.stdout = o.stdout
            if let f = o.failure {
                e.failure = f.message
                e.pluginError = f.pluginError
            }
        } catch {
            e.failure = error.description
        }
        if readTrace { fill(&e, lastFor: rt?.containerID ?? "", command: command) }
        return e
    }

    /// Copies what the trace knows about the newest exec of `command` for `containerID`.
    func fill(_ e: inout CTExec, lastFor containerID: String, command: String) {
        let (n, r) = lock.locked { () -> (Int, JSON?) in
            refresh()
            for i in records.indices.reversed() {
                let env = records[i]["env"]?.array ?? []
                if records[i]["command"]?.string == command, env.contains(.string("CNI_CONTAINERID=" + containerID)) { return (i + 1, records[i]) }
            }
            return (0, nil)
        }
        guard let r else { return }
        e.trace = n
        e.stderr = r["stderr"]?.string ?? ""
        e.exitCode = r["exitCode"]?.int
        e.signal = r["signal"]?.int
        e.timedOut = r["timedOut"]?.bool ?? false
        e.duration = (r["durationMs"]?.double ?? 0) / 1000
    }

    /// Durations of every traced exec of `types` running `command`.
    func durations(types: Set<String>, command: String) -> [Double] {
        lock.locked {
            refresh()
            return records.filter { $0["command"]?.string == command && types.contains($0["plugin"]?.string ?? "") }
                .compactMap { $0["durationMs"]?.double }
        }
    }

    private func refresh() {
        let fd = open(tracePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, Int(st.st_size) > offset else { return }
        var buf = [UInt8](repeating: 0, count: Int(st.st_size) - offset)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n > 0 else { return }
        // Only whole lines: a record being appended right now is read next time.
        guard let lastNewline = buf[0..<n].lastIndex(of: 0x0A) else { return }
        for line in buf[0..<lastNewline].split(separator: 0x0A) where !line.isEmpty {
            records.append((try? JSONParser.parse(bytes: Array(line))) ?? .null)
        }
        offset += lastNewline + 1
    }
}

/// The plugins one check drives, in order, with the spec version under test: the subject alone,
/// podrig's bridge + host-local before a chained subject, or a whole conflist.
struct CTChain: Sendable {
    var name: String
    var version: String
    var plugins: [JSONObject]
    /// Indexes of the plugins under test (the provider of a chained subject is not).
    var subject: [Int]

    func type(_ i: Int) -> String { plugins[i]["type"]?.string ?? "?" }
    var cniVersion: CNIVersion { CNIVersion(version) ?? .v010 }
}

/// One attachment: container ID, netns and interface.
struct CTAttachment: Sendable {
    var containerID: String
    var netnsName: String
    var netnsPath: String
    var ifName: String
    var index: Int
    var args: [(String, String)] = []
    var caps = JSONObject()

    var rt: CNIRuntimeConf {
        CNIRuntimeConf(containerID: containerID, netns: netnsPath, ifName: ifName, args: args, capabilityArgs: caps)
    }
}

/// What an ADD through the chain gave.
struct CTAdd: Sendable {
    var execs: [CTExec] = []
    /// The last plugin's raw output and its parsed form.
    var raw: JSON?
    var result: CNIResult?
    /// The result the subject got as prevResult (chained subjects).
    var injected: CNIResult?
    var failedAt: Int?
    var problem: String?

    var ok: Bool { failedAt == nil && result != nil }
    var lastTrace: Int { execs.last?.trace ?? 0 }
}

extension CTInvoker {
    func stdin(_ chain: CTChain, _ i: Int, prev: CNIResult?, _ a: CTAttachment) -> [UInt8] {
        let prevJSON = prev.flatMap { try? $0.json(as: chain.version) }
        let o = CNIPluginConfig.build(chain.plugins[i], name: chain.name, cniVersion: chain.version, prevResult: prevJSON, capabilityArgs: a.caps)
        return Array(o.compact.utf8)
    }

    /// ADD through the chain, each plugin getting the previous one's result (libcni's order).
    func add(_ chain: CTChain, _ a: CTAttachment, readTrace: Bool = true) -> CTAdd {
        var out = CTAdd()
        var prev: CNIResult?
        for i in chain.plugins.indices {
            if chain.subject.first == i { out.injected = prev }
            let e = exec(network: chain.name, type: chain.type(i), command: "ADD", stdin: stdin(chain, i, prev: prev, a), rt: a.rt, readTrace: readTrace)
            out.execs.append(e)
            guard e.ok else {
                out.failedAt = i
                out.problem = "\(chain.type(i)) ADD \(e.summary)"
                return out
            }
            do {
                let json = try JSONParser.parse(bytes: e.stdout)
                out.raw = json
                prev = try CNIResult.parse(json, configVersion: chain.version)
            } catch {
                out.failedAt = i
                out.problem = "\(chain.type(i)) ADD printed an unusable result: \(error)"
                return out
            }
        }
        out.result = prev
        return out
    }

    /// DEL through the chain in reverse; prevResult only from 0.4.0 on (as libcni sends it).
    func del(_ chain: CTChain, _ a: CTAttachment, prev: CNIResult?, readTrace: Bool = true) -> [CTExec] {
        let p = chain.cniVersion >= .v040 ? prev : nil
        return chain.plugins.indices.reversed().map {
            exec(network: chain.name, type: chain.type($0), command: "DEL", stdin: stdin(chain, $0, prev: p, a), rt: a.rt, readTrace: readTrace)
        }
    }

    /// CHECK through the chain, stopping at the first failure (the spec allows it).
    /// A chained subject's provider (podrig's bridge) is not under test and is not CHECKed: a
    /// subject that drops prevResult would fail it, and that is chain.prevresult's finding.
    func check(_ chain: CTChain, _ a: CTAttachment, prev: CNIResult?, subjectOnly: Bool = false) -> [CTExec] {
        var out: [CTExec] = []
        for i in chain.plugins.indices where !subjectOnly || chain.subject.contains(i) {
            let e = exec(network: chain.name, type: chain.type(i), command: "CHECK", stdin: stdin(chain, i, prev: prev, a), rt: a.rt)
            out.append(e)
            if !e.ok { break }
        }
        return out
    }
}
