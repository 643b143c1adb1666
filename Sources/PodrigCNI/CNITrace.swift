#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// One plugin exec as the trace records it.
public struct CNITraceRecord: Sendable {
    public var time: Int64
    public var network: String
    public var plugin: String
    public var path: String
    public var command: String
    public var environment: [String]
    public var stdin: String
    public var stdout: String
    public var stderr: String
    public var status: ExitStatus?
    public var timedOut: Bool
    public var duration: Double
    /// Set when the exec itself failed (not found, ETXTBSY …).
    public var error: String?
    /// The network namespace the plugin ran in, when not podrig's own.
    public var netns: String?

    public var json: JSON {
        var o = JSONObject()
        o["time"] = .string(Time.rfc3339Nano(time))
        o["network"] = .string(network)
        o["plugin"] = .string(plugin)
        o["path"] = .string(path)
        o["command"] = .string(command)
        o["env"] = .array(environment.map { .string($0) })
        o["stdin"] = .string(stdin)
        o["stdout"] = .string(stdout)
        o["stderr"] = .string(stderr)
        switch status {
        case .exited(let c)?: o["exitCode"] = .int(c)
        case .signaled(let s)?: o["signal"] = .int(s)
        case nil: break
        }
        if timedOut { o["timedOut"] = true }
        o["durationMs"] = .double((duration * 1_000_000).rounded() / 1000)
        if let error { o["error"] = .string(error) }
        if let netns { o["netns"] = .string(netns) }
        return .object(o)
    }
}

/// Appends trace records as JSON lines (O_APPEND: one write per line, no lock needed).
public struct CNITrace: Sendable {
    public static let fileName = "cni-trace.jsonl"
    public var path: String

    public init(path: String) { self.path = path }

    public func append(_ record: CNITraceRecord) {
        let line = record.json.compact + "\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }  // tracing never fails an exec
        var text = line
        text.withUTF8 { buf in _ = write(fd, buf.baseAddress, buf.count) }
        close(fd)
    }

    /// Every record in the file, oldest first.
    public static func read(_ path: String) throws(PodrigError) -> [JSON] {
        let text = try Files.readString(path)
        var out: [JSON] = []
        for (i, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
            do { out.append(try JSONParser.parse(String(line))) } catch { throw error.context("\(path) line \(i + 1)") }
        }
        return out
    }

    /// A shell script that reruns exactly one traced exec: same binary, environment and stdin.
    public static func replayScript(_ r: JSON, number: Int) -> String {
        func q(_ s: String) -> String { "'" + s.replacingAll("'", with: "'\\''") + "'" }
        let env = (r["env"]?.array ?? []).compactMap(\.string)
        var s = "#!/bin/sh\n"
        s += "# podrig trace replay #\(number): \(r["command"]?.string ?? "?") of plugin \(r["plugin"]?.string ?? "?")"
        s += " in network \(r["network"]?.string ?? "?") (\(r["time"]?.string ?? ""))\n"
        if let code = r["exitCode"]?.int { s += "# recorded exit status: \(code)\n" }
        var prefix = ""
        if let ns = r["netns"]?.string {
            // The exec ran in a node netns (a simulated node, `podrig cni test`'s); it must still exist.
            s += "[ -e \(q(ns)) ] || { echo \(q("netns " + ns + " is gone (podrig cni test: rerun with --keep)")) >&2; exit 1; }\n"
            prefix = "nsenter --net=\(q(ns)) "
        }
        s += "printf '%s' \(q(r["stdin"]?.string ?? "")) |\n"
        s += "  \(prefix)env -i \\\n"
        for e in env { s += "    \(q(e)) \\\n" }
        s += "    \(q(r["path"]?.string ?? ""))\n"
        return s
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
