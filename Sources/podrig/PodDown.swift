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
    var pods: [String] = []

    @Option(name: [.short, .customLong("filename")], help: ArgumentHelp("Remove everything this manifest made: its pods, workloads (and their pods), ConfigMaps and Secrets (like podman kube down).", valueName: "file"))
    var file: String?

    @Option(name: .customLong("grace-period"), help: ArgumentHelp("Seconds each pod gets to terminate, instead of its terminationGracePeriodSeconds (kubectl delete --grace-period; 0: SIGKILL right after SIGTERM).", valueName: "seconds"))
    var gracePeriod: Int?

    @Flag(help: "Shorthand for --grace-period 1 (kubectl delete --now).")
    var now = false

    @Flag(help: "Every pod in the namespace (kubectl delete --all).")
    var all = false

    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("The pods whose labels match (kubectl's -l: app=web, tier!=db, env in (a,b)).", valueName: "selector"))
    var selector: String?

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "With --all or -l: in every namespace.")
    var allNamespaces = false

    func validate() throws {
        if allNamespaces && !all && selector == nil { throw ValidationError("-A needs --all or -l") }
        if pods.isEmpty && file == nil && !all && selector == nil { throw ValidationError("give at least one pod name, or -f FILE, --all or -l SELECTOR") }
        if !pods.isEmpty && (all || selector != nil) { throw ValidationError("pod names cannot be given with --all or -l (as kubectl delete)") }
        if all && selector != nil { throw ValidationError("--all and -l cannot be combined") }
        try SelectorOption.check(selector)
        if let g = gracePeriod, g < 0 { throw ValidationError("--grace-period must be ≥ 0") }
        if now && gracePeriod != nil { throw ValidationError("--now and --grace-period cannot be combined") }
    }

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        var failures = 0
        if let file {
            let set = try ManifestSet.load(path: file, checkReferences: false)
            let r = WorkloadController(manager: manager, set: set, manifestDirectory: Files.dirname(of: file)).delete(gracePeriod: now ? 1 : gracePeriod)
            for l in r.lines { print(l) }
            for f in r.failures { Log.write("podrig: error: down: \(f)\n") }
            failures += r.failures.count
        }
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
        if all || selector != nil {
            let chosen = try manager.pods(in: allNamespaces ? nil : pod.namespace ?? "default", matching: selector)
            if chosen.isEmpty { Log.write("No resources found\n") }
            for p in chosen {
                do {
                    try manager.down(p, gracePeriod: now ? 1 : gracePeriod)
                    print("pod \"\(p.manifest.name)\" deleted\(allNamespaces ? " from \(p.manifest.namespace) namespace" : "")")
                } catch {
                    Log.write("podrig: error: down \"\(p.manifest.namespace)/\(p.manifest.name)\": \(error.asPodrigError)\n")
                    failures += 1
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
