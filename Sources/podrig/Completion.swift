import ArgumentParser

/// `podrig completion bash|zsh|fish`, kubectl's verb: ArgumentParser writes the script from the
/// command tree, so it knows every verb and option.
struct Completion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print a shell completion script: bash, zsh or fish.",
        discussion: "bash: `source <(podrig completion bash)`; zsh: `podrig completion zsh > \"${fpath[1]}/_podrig\"`; fish: `podrig completion fish | source`."
    )

    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish
    }

    @Argument(help: "bash, zsh or fish.")
    var shell: Shell

    func run() {
        let kind: CompletionShell = switch shell {
        case .bash: .bash
        case .zsh: .zsh
        case .fish: .fish
        }
        print(Podrig.completionScript(for: kind), terminator: "")
    }
}
