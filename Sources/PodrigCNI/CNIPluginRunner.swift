#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// A plugin's error output ({cniVersion, code, msg, details}).
public struct CNIPluginError: Sendable {
    public var code: Int?
    public var msg: String
    public var details: String

    /// Well-known codes from the spec, for the message.
    public static func describe(code: Int) -> String? {
        switch code {
        case 1: "incompatible CNI version"
        case 2: "unsupported field in network configuration"
        case 3: "container unknown or does not exist"
        case 4: "invalid necessary environment variables"
        case 5: "I/O failure"
        case 6: "failed to decode content"
        case 7: "invalid network config"
        case 11: "try again later"
        case 50: "the plugin is not available"
        case 51: "the plugin is not available: existing containers in the network may have limited connectivity"
        default: nil
        }
    }
}

/// Finds and runs plugins: the CNI environment, stdin, a timeout, ETXTBSY retries, error JSON and
/// stderr turned into one message, and a trace record per exec.
public final class CNIPluginRunner: @unchecked Sendable {
    public static let defaultBinDirs = ["/opt/cni/bin", "/usr/libexec/cni", "/usr/lib/cni"]

    public let binDirs: [String]
    public let timeout: Double
    public var trace: CNITrace?
    /// A network namespace the plugins run in (a simulated node's, or `podrig cni test`'s throwaway
    /// node: its bridge, routes and iptables are the node's); nil = podrig's own.
    public var netns: String?
    private var paths: [String: String] = [:]
    private let baseEnvironment: [String]

    public init(binDirs: [String] = CNIPluginRunner.defaultBinDirs, timeout: Double = 30, trace: CNITrace? = nil) {
        self.binDirs = binDirs
        self.timeout = timeout
        self.trace = trace
        // The runtime's own environment minus the CNI_* variables podrig sets itself.
        var env: [String] = []
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if !s.hasPrefix("CNI_") { env.append(s) }
            p += 1
        }
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.append("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") }
        baseEnvironment = env
    }

    /// The first regular executable named `type` in the bin dirs (libcni's FindInPath).
    public func find(_ type: String) throws(PodrigError) -> String {
        if let p = paths[type] { return p }
        if type.isEmpty || type.contains("/") || type == "." || type == ".." {
            throw PodrigError.invalid("plugin type \"\(type)\" must be a plain name (no '/')")
        }
        for dir in binDirs where !dir.isEmpty {
            let candidate = dir + "/" + type
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                paths[type] = candidate
                return candidate
            }
        }
        throw PodrigError(.notFound, "CNI plugin \"\(type)\" not found in \(binDirs.joined(separator: ":"))")
    }

    public struct Outcome {
        public var stdout: [UInt8]
        /// Set when the plugin failed; `message` already names the plugin and command.
        public var failure: (message: String, pluginError: CNIPluginError?)?
    }

    /// Runs one plugin command and reports success or a described failure (never throws for a
    /// plugin that ran and failed; throws when it could not be run at all).
    public func execute(network: String, type: String, command: String, stdin: JSON, rt: CNIRuntimeConf?) throws(PodrigError) -> Outcome {
        try execute(network: network, type: type, command: command, stdinBytes: Array(stdin.compact.utf8), rt: rt)
    }

    /// `execute` with stdin as given bytes (`podrig cni test` feeds plugins malformed configs).
    public func execute(network: String, type: String, command: String, stdinBytes input: [UInt8], rt: CNIRuntimeConf?) throws(PodrigError) -> Outcome {
        let what = "CNI network \"\(network)\": plugin \"\(type)\" \(command)"
        let path: String
        do { path = try find(type) } catch { throw error.context(what) }
        var env = baseEnvironment
        env.append("CNI_COMMAND=" + command)
        env.append("CNI_CONTAINERID=" + (rt?.containerID ?? ""))
        env.append("CNI_NETNS=" + (rt?.netns ?? ""))
        env.append("CNI_IFNAME=" + (rt?.ifName ?? ""))
        env.append("CNI_ARGS=" + (rt?.cniArgsString ?? ""))
        env.append("CNI_PATH=" + binDirs.joined(with: ":"))
        var options = SpawnOptions(path: path, arguments: [path])
        options.environment = env
        if let netns { options.join = [(.net, netns)] }
        let started = Time.nowNanos()
        var result: RunResult?
        var lastError: PodrigError?
        // libcni retries "text file busy" (a plugin being installed right now).
        for attempt in 0..<6 {
            do {
                result = try ProcessRunner.run(options, input: input, timeout: timeout, waiting: what)
                lastError = nil
                break
            } catch {
                lastError = error
                guard error.errno == ETXTBSY, attempt < 5 else { break }
                usleep(UInt32(100_000 * (attempt + 1)))
            }
        }
        var record = CNITraceRecord(time: started, network: network, plugin: type, path: path, command: command,
                                    environment: env, stdin: String(decoding: input, as: UTF8.self), stdout: "", stderr: "",
                                    status: nil, timedOut: false, duration: 0)
        record.netns = netns
        guard let r = result else {
            let e = lastError ?? PodrigError(.internalError, "exec failed")
            record.error = e.description
            trace?.append(record)
            throw e.context(what)
        }
        record.stdout = String(decoding: r.stdout, as: UTF8.self)
        record.stderr = String(decoding: r.stderr, as: UTF8.self)
        record.status = r.status
        record.timedOut = r.timedOut
        record.duration = r.duration
        trace?.append(record)
        Log.debug("\(what): \(r.status) in \(Int(r.duration * 1000)) ms")

        if r.timedOut {
            return Outcome(stdout: r.stdout, failure: ("\(what) timed out after \(CNIPluginRunner.seconds(timeout)) (killed)" + stderrNote(r.stderr), nil))
        }
        if r.status.success { return Outcome(stdout: r.stdout, failure: nil) }
        return Outcome(stdout: r.stdout, failure: describeFailure(what, r))
    }

    /// Like `execute`, but a failure throws.
    public func run(network: String, type: String, command: String, stdin: JSON, rt: CNIRuntimeConf?) throws(PodrigError) -> [UInt8] {
        let o = try execute(network: network, type: type, command: command, stdin: stdin, rt: rt)
        if let f = o.failure { throw PodrigError(.cni, f.message) }
        return o.stdout
    }

    func describeFailure(_ what: String, _ r: RunResult) -> (String, CNIPluginError?) {
        var perr: CNIPluginError?
        if let json = try? JSONParser.parse(bytes: r.stdout), let msg = json["msg"]?.string {
            perr = CNIPluginError(code: json["code"]?.int, msg: msg, details: json["details"]?.string ?? "")
        }
        var text = what + " failed: "
        if let perr {
            text += perr.msg.isEmpty ? "(no message)" : perr.msg
            if !perr.details.isEmpty { text += ": " + perr.details }
            if let code = perr.code {
                text += " (CNI error \(code)" + (CNIPluginError.describe(code: code).map { ": \($0)" } ?? "") + ")"
            }
        } else {
            text += r.status.description
            let out = String(decoding: r.stdout, as: UTF8.self).trimmed
            text += out.isEmpty ? " with no error output" : "; output is not CNI error JSON: \(CNIPluginRunner.clip(out))"
        }
        return (text + stderrNote(r.stderr), perr)
    }

    func stderrNote(_ bytes: [UInt8]) -> String {
        let s = String(decoding: bytes, as: UTF8.self).trimmed
        return s.isEmpty ? "" : "; stderr: " + CNIPluginRunner.clip(s)
    }

    static func clip(_ s: String, _ n: Int = 400) -> String {
        s.count <= n ? s : String(s.prefix(n)) + "…"
    }

    static func seconds(_ t: Double) -> String {
        t == t.rounded() && abs(t) < 1e15 ? "\(Int(t)) s" : "\(t) s"  // Int(1e20) traps
    }
}
