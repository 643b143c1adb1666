/// iproute2's `ip`, the one way podrig runs it (cluster networks, gc's scratch netns, the
/// conformance world): found on the standard PATH, a batch on stdin for many changes in one exec,
/// optionally run from inside a netns, and an error that names the step and ip's own message.
public enum IPRoute {
    static let environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// Runs `ip <args>` (plus `-batch -` when `batch` is given) and returns its stdout.
    /// `step` says what for in the error (default: the command line itself).
    @discardableResult
    public static func run(_ args: [String], batch: [String] = [], step: String? = nil, join netns: String? = nil,
                           timeout: Double = 30) throws(PodrigError) -> [UInt8] {
        let command = "ip " + args.joined(separator: " ")
        guard let ip = Spawner.lookPath("ip", path: nil) else {
            throw PodrigError(.notFound, "\(step ?? command): `ip` (iproute2) not found")
        }
        var o = SpawnOptions(path: ip, arguments: ["ip"] + args + (batch.isEmpty ? [] : ["-batch", "-"]))
        o.environment = environment
        if let netns { o.join = [(.net, netns)] }
        let r = try ProcessRunner.run(o, input: Array(batch.map { $0 + "\n" }.joined().utf8), timeout: timeout)
        guard r.status.success else {
            let message = String(decoding: r.stderr, as: UTF8.self).trimmed
            if let step { throw PodrigError(.system, step, cause: "\(command): \(message)") }
            throw PodrigError(.system, "\(command): \(message)")
        }
        return r.stdout
    }

    /// `run`, stdout as text.
    @discardableResult
    public static func text(_ args: [String], batch: [String] = [], step: String? = nil, join netns: String? = nil) throws(PodrigError) -> String {
        String(decoding: try run(args, batch: batch, step: step, join: netns), as: UTF8.self)
    }
}
