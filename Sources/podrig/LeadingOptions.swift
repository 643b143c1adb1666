import ArgumentParser

/// crictl and kubectl take their global options before the verb (`crictl --runtime-endpoint … pods`,
/// `kubectl -n kube-system get pods`); ArgumentParser only after it. This moves the options written
/// before the verb to just after the verb's full subcommand path (`get pods`, `cni add`), before any
/// argument, so they mean what they would mean written there. An option it does not know moves
/// along as a flag, so the verb's parser names it in its error (`podrig --bogus pods`).
enum LeadingOptions {
    /// The options of GlobalOptions, NetworkOptions and PodOptions that take a value
    /// (CLIHabitsTests checks this list against their definitions).
    static let valued: Set<String> = [
        "--root", "--pause-path", "--cgroups", "--cpu-weight-formula", "--pod-max-pids",
        "--node-ip", "--cni-conf-dir", "--cni-bin-dir", "--cni-cache-dir", "--network", "--cni-timeout", "--ip-family", "--cni-args",
        "-n", "--namespace", "--log-root",
    ]
    /// Their flags.
    static let flags: Set<String> = ["--debug", "-v", "--verbose", "--single-process-oom-kill"]

    static func normalize(_ args: [String]) -> [String] {
        var lead: [String] = []
        var i = 0
        while i < args.count, args[i].hasPrefix("-"), args[i] != "--" {
            let a = args[i]
            let name = a.hasPrefix("--") ? String(a.prefix { $0 != "=" }) : a
            if flags.contains(a) {
                lead.append(a)
                i += 1
            } else if valued.contains(name) {
                if name != a {
                    lead.append(a)  // --root=/r
                    i += 1
                } else {
                    guard i + 1 < args.count else { return args }
                    lead += [a, args[i + 1]]
                    i += 2
                }
            } else {
                lead.append(a)  // unknown (or --help): taken as a flag, for the verb to accept or report
                i += 1
            }
        }
        if lead.isEmpty || i == args.count { return args }
        var rest = Array(args[i...])
        var command: ParsableCommand.Type = Podrig.self
        var depth = 0
        while depth < rest.count, let sub = command.configuration.subcommands.first(where: {
            $0._commandName == rest[depth] || $0.configuration.aliases.contains(rest[depth])
        }) {
            command = sub
            depth += 1
        }
        rest.insert(contentsOf: lead, at: depth)
        return rest
    }
}
