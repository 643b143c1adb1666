import ArgumentParser
import PodrigCore
import PodrigPod

struct PodDown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Terminate pods gracefully and remove them.",
        discussion: "preStop hooks, SIGTERM, the grace period, SIGKILL; then the sandbox (pause, CNI DEL, netns), state and logs go."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Argument(help: ArgumentHelp("Pod names or sandbox ID prefixes.", valueName: "pod"))
    var pods: [String]

    @Option(name: .customLong("grace-period"), help: ArgumentHelp("Seconds each pod gets to terminate, instead of its terminationGracePeriodSeconds (kubectl delete --grace-period; 0: SIGKILL right after SIGTERM).", valueName: "seconds"))
    var gracePeriod: Int?

    @Flag(help: "Shorthand for --grace-period 1 (kubectl delete --now).")
    var now = false

    func validate() throws {
        if pods.isEmpty { throw ValidationError("give at least one pod name") }
        if let g = gracePeriod, g < 0 { throw ValidationError("--grace-period must be ≥ 0") }
        if now && gracePeriod != nil { throw ValidationError("--now and --grace-period cannot be combined") }
    }

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        var failures = 0
        for name in pods {
            do {
                let p = try manager.find(name, namespace: pod.namespace)
                try manager.down(p, gracePeriod: now ? 1 : gracePeriod)
                print("pod \"\(p.manifest.name)\" deleted")
            } catch {
                Log.write("podrig: error: down \"\(name)\": \(error.asPodrigError)\n")
                failures += 1
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
