import ArgumentParser
import PodrigCNI
import PodrigCgroups
import PodrigCluster
import PodrigCore

struct GarbageCollect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Release what dead sandboxes left: half-made sandboxes of a crashed runp, half-made clusters and nodes, CNI DEL of their cached attachments (leases, veths), their netns pins, then CNI GC.",
        discussion: "Only attachments this --root made are touched; run it after a crash or a kill -9.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    func run() throws {
        global.apply()
        // Sandboxes a crashed runp left half-made go first (their detach DELs what they added).
        let recovered = try makeSandboxManager(global, network).recoverHalfMade()
        for id in recovered.removed { print("Removed half-made sandbox \(id)") }
        for e in recovered.errors { Log.write("podrig: error: gc: \(e)\n") }
        // Clusters and nodes a crashed create / node add / rm left half-made.
        for line in ClusterManager(root: global.root).gc() { print(line) }
        var cni = CNIGarbageCollector(options: try network.cniOptions(), root: global.root)
        let clusters = ClusterStore(root: global.root)
        cni.nodes = clusters.list().filter { $0.phase == .ready }.flatMap { c in
            c.nodes.filter { $0.phase == .ready }.map { clusters.sandboxNode(c, $0) }
        }
        let report = try cni.run()
        let cgroupFailures = GarbageCollect.removePodCgroups(of: report.goneSandboxes)
        try GarbageCollect.report(report)
        // Every failure printed is a failed gc, as the CNI ones are: scripts see exit 1.
        if !recovered.errors.isEmpty || cgroupFailures > 0 { throw ExitCode(1) }
    }

    /// A gone sandbox's pod cgroup at its default place, once no process is in it (a record
    /// naming another place went with the state; a cgroup_parent one is then doctor's to report).
    /// Returns how many could not be removed (each reported on stderr).
    @discardableResult
    static func removePodCgroups(of ids: [String], mount: String = "/sys/fs/cgroup") -> Int {
        guard !ids.isEmpty, let h = CgroupHierarchy.detect(mount: mount) else { return 0 }
        var failures = 0
        let tree = CgroupTree(hierarchy: h)
        let all = tree.existing()  // one walk for every ID, not one per hasProcesses
        for id in ids {
            let path = CgroupPath.pod(uid: id, qos: nil)
            guard all.contains(path), !tree.hasProcesses(path, among: all) else { continue }
            do {
                try tree.remove(path)
                print("Removed cgroup \(path) whose sandbox's state is gone")
            } catch {
                Log.write("podrig: error: gc: \(error)\n")
                failures += 1
            }
        }
        return failures
    }

    static func report(_ r: CNIGarbageCollector.Report) throws {
        for n in r.notes { print(n) }
        for d in r.deleted { print("Deleted CNI attachment \(d)") }
        for e in r.errors { Log.write("podrig: error: gc: \(e)\n") }
        if !r.errors.isEmpty { throw ExitCode(1) }
    }
}
