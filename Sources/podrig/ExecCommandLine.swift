/// crictl's `exec CONTAINER COMMAND [ARG…]` (and kubectl's older form without `--`): everything
/// after the container is the command, options included, as urfave/cli stops at the first
/// positional. ArgumentParser needs a `--` there; this inserts it when none was written, so both
/// `podrig exec -it c sh -c 'ls -l'` and `podrig exec c -- sh` work.
enum ExecCommandLine {
    /// exec's own options that take a value (CLIHabitsTests checks them against PodExec).
    static let valued: Set<String> = ["-c", "--container", "--timeout"]

    /// `args` after LeadingOptions.normalize (the verb first). A `--` already there is kept when
    /// only exec's options stand between the container and it (`exec POD -c web -- sh`); one that
    /// belongs to the command (`exec c git log -- file`) gets a `--` of podrig's before the command.
    static func insertTerminator(_ args: [String]) -> [String] {
        guard args.first == "exec" else { return args }
        var i = 1
        var container: Int?
        while i < args.count {
            let a = args[i]
            if a == "--" { return args }  // before or right after exec's options: already ArgumentParser's form
            guard isOption(a) else {
                if container == nil { container = i; i += 1; continue }
                // The command's first word: everything from here on is the command's.
                var out = args
                out.insert("--", at: container! + 1)
                return out
            }
            i += takesValue(a) ? 2 : 1
        }
        return args
    }

    static func isOption(_ a: String) -> Bool { a.hasPrefix("-") && a != "-" }

    /// A valued option written apart from its value (`-c web`, not `--container=web`).
    static func takesValue(_ a: String) -> Bool {
        guard !a.contains("=") else { return false }
        return valued.contains(a) || LeadingOptions.valued.contains(a)
    }
}
