import ArgumentParser
import PodrigCgroups
import PodrigCore
import PodrigPod

/// `podrig top pods`: kubectl top pod's table (CPU in millicores over a short window, memory
/// working set in Mi) from the pods' cgroups.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Show pods' CPU and memory use, like `kubectl top`.",
                                                    subcommands: [TopPods.self])
}

struct TopPods: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pods", abstract: "CPU (millicores) and memory (Mi) of each pod, like `kubectl top pod`.",
                                                    aliases: ["pod", "po"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: [.short, .long], help: "Only pods of this namespace.")
    var namespace: String?

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Pods of every namespace.")
    var allNamespaces = false

    @Option(help: ArgumentHelp("Window over which CPU is measured, in seconds.", valueName: "seconds"))
    var window: Double = 1

    @Argument(help: "Pod names; default: all.")
    var names: [String] = []

    func validate() throws { try SecondsOption.check(window, "--window", atMost: 3600) }

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network)
        guard let h = CgroupHierarchy.detect() else { throw PodrigError(.notFound, "top: no cgroup hierarchy at /sys/fs/cgroup") }
        let ns = allNamespaces ? nil : (namespace ?? "default")
        let pods = try UsageSample.take(manager, hierarchy: h, window: window, includeExited: false).pods
            .filter { p in (ns == nil || p.namespace == ns) && (names.isEmpty || names.contains(p.name)) }
        if pods.isEmpty {
            throw PodrigError(.notFound, "no running pods with cgroups\(ns.map { " in namespace \($0)" } ?? "")")
        }
        var header = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
        if allNamespaces { header.insert("NAMESPACE", at: 0) }
        printTable(header, pods.map { p in
            var row = [p.name, "\(Int((p.usage.nanoCores / 1e6).rounded()))m", "\((p.usage.now.workingSet + (1 << 19)) >> 20)Mi"]
            if allNamespaces { row.insert(p.namespace, at: 0) }
            return row
        })
    }
}
