/// crictl's `exec CONTAINER COMMAND [ARG…]` (and kubectl's older form without `--`): everything
/// after the container is the command, options included, as urfave/cli stops at the first
/// positional. ArgumentParser needs a `--` there; this inserts it when none was written, so both
/// `podrig exec -it c sh -c 'ls -l'` and `podrig exec c -- sh` work.
enum ExecCommandLine {
    /// exec's own options that take a value (CLIHabitsTests checks them against PodExec).
    static let valued: Set<String> = ["-c", "--container", "--timeout"]

    /// `args` after LeadingOptions.normalize (the verb first).
    static func insertTerminator(_ args: [String]) -> [String] {
        guard args.first == "exec", !args.contains("--") else { return args }
        var i = 1
        while i < args.count {
            let a = args[i]
            guard a.hasPrefix("-"), a != "-" else {
                // The container: a command after it gets its `--`.
                guard i + 1 < args.count else { return args }
                var out = args
                out.insert("--", at: i + 1)
                return out
            }
            let name = a.hasPrefix("--") ? String(a.prefix { $0 != "=" }) : a
            i += (name == a && (valued.contains(name) || LeadingOptions.valued.contains(name))) ? 2 : 1
        }
        return args
    }
}
