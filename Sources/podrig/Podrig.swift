import ArgumentParser
import PodrigCore
import CPodrig
#if canImport(Glibc)
import Glibc
#endif

@main
struct Podrig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podrig",
        abstract: "Run Kubernetes-style pod sandboxes on this machine: namespaces, CNI, containers, no daemon.",
        discussion: """
            Sandbox verbs follow crictl (runp, stopp, rmp, pods, inspectp) and read crictl's config files. State lives under --root (default /run/podrig); run as root.
            """,
        version: PodrigVersion.current,
        subcommands: [
            RunPodSandbox.self,
            StopPodSandbox.self,
            RemovePodSandbox.self,
            ListPods.self,
            InspectPodSandbox.self,
            PodUp.self,
            PodDown.self,
            PodGet.self,
            PodWait.self,
            PodDescribe.self,
            PodLogs.self,
            PodExec.self,
            PodAttach.self,
            CreateContainer.self,
            RunContainer.self,
            StartContainer.self,
            StopContainer.self,
            RemoveContainer.self,
            ListContainers.self,
            InspectContainer.self,
            Stats.self,
            StatsPods.self,
            Top.self,
            VersionCommand.self,
            InfoCommand.self,
            CNICommand.self,
            NetCommand.self,
            IPAMCommand.self,
            GarbageCollect.self,
            TraceCommand.self,
            Doctor.self,
            Completion.self,
            ClusterCommand.self,
            NodeCommand.self,
        ]
    )

    /// Runs the command; podrig's own errors print as one line and exit 1 (2 for usage).
    static func main() {
        Checkpoint.mark("main")
        // A plugin that exits without reading its stdin (or `podrig … | head`) must not kill us:
        // writes report EPIPE instead. pr_spawn restores SIG_DFL in every child before exec.
        _ = pr_ignore_sigpipe()
        do {
            let raw = Array(CommandLine.arguments.dropFirst())
            // `--version` alone skips normalize, whose option sets cost more than the answer.
            let arguments = raw == ["--version"] ? raw : ExecCommandLine.insertTerminator(LeadingOptions.normalize(raw))
            if let quick = QuickVerbs.parse(arguments) {
                try QuickVerbs.run(quick)
                QuickVerbs.exit(0)
            }
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let error as PodrigError {
            Log.write("podrig: error: \(error)\n")
            Glibc.exit(error.exitCode)
        } catch {
            // ArgumentParser says 64 (EX_USAGE) for usage errors; podrig promises 2.
            let code = exitCode(for: error)
            if code == .validationFailure {
                Log.write(fullMessage(for: error) + "\n")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
