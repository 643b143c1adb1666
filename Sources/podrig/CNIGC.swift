import ArgumentParser
import PodrigCNI
import PodrigCore

struct CNIGC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "CNI GC: DEL every cached attachment not in use, then spec-1.1 GC on the plugins.",
        discussion: """
            Unlike `podrig gc`, this also DELs attachments made on netns paths by `podrig cni add` or cnitool (cnitool's gc),
            except those given with --valid or TARGET (a netns path, by cnitool's container ID, or a sandbox).
            Attachments of live podrig sandboxes are always kept. --conf or --network: only those networks.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var tool: CNIToolOptions

    @Option(help: ArgumentHelp("An attachment to keep: CONTAINER-ID or CONTAINER-ID/IFNAME (repeatable).", valueName: "attachment"))
    var valid: [String] = []

    @Argument(help: ArgumentHelp("Netns path or sandbox ID whose attachments to keep (optional).", valueName: "target"))
    var target: String?

    func run() throws {
        global.apply()
        let cni = try network.cniOptions()
        var gc = CNIGarbageCollector(options: cni, root: global.root)
        gc.networks = network.networks
        gc.includeUnowned = true
        gc.keep = valid
        if let target {
            // Resolved (and released) first: GC takes the root's CNI lock exclusively.
            let t = try CNITarget.resolve(target, global: global, cni: cni, tool: tool)
            t.lock?.unlock()
            gc.keep.append(tool.ifname.map { "\(t.containerID)/\($0)" } ?? t.containerID)
        }
        if let conf = tool.conf {
            let list = try CNIDiscovery.load(file: conf)
            gc.networks = [list.name]
            gc.lists = [list]
        }
        try GarbageCollect.report(try gc.run())
    }
}
