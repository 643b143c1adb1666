import ArgumentParser
import PodrigCNI
import PodrigCore

struct CNIGC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "CNI GC: DEL every cached attachment not in use, then spec-1.1 GC on the plugins.",
        discussion: """
            Unlike `podrig gc`, this also DELs attachments made by `podrig cni add` on netns paths (cnitool's gc),
            except those given with --valid. Attachments of live podrig sandboxes are always kept.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("An attachment to keep: CONTAINER-ID or CONTAINER-ID/IFNAME (repeatable).", valueName: "attachment"))
    var valid: [String] = []

    func run() throws {
        global.apply()
        var gc = CNIGarbageCollector(options: try network.cniOptions(), root: global.root)
        gc.networks = network.networks
        gc.includeUnowned = true
        gc.keep = valid
        try GarbageCollect.report(try gc.run())
    }
}
