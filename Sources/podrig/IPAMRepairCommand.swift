import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigIPAM

struct IPAMRepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Rebuild unreadable lease tables (zero bytes, garbage) from the CNI result cache.",
        discussion: "The bad file is kept beside it as podrig-ipam.json.corrupt-<time>. Reservations of deleted pods cannot be recovered. `podrig gc` does this by itself when GC meets an unreadable table.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .customLong("ipam-network"), help: ArgumentHelp("Only this network (--network works too).", valueName: "name"))
    var ipamNetwork: String?

    @Flag(help: "Rebuild the allocated leases from the cache even if the table is readable (reservations are kept).")
    var force = false

    func run() throws {
        global.apply()
        let options = try network.cniOptions()
        let entries = CNIIPAMNetworks.cacheEntries(options.engine(trace: nil, owner: nil).cache)
        for c in try IPAMCommand.configs(network, name: ipamNetwork ?? network.networks.first) {
            let r = try IPAMRepair.run(c, attachments: CNIEngine.repairAttachments(entries, network: c.name), force: force, now: Time.nowNanos())
            guard let aside = r.setAside else {
                print("\(c.name): lease table is readable, nothing to repair")
                continue
            }
            print("\(c.name): rebuilt \(c.directory)/\(LeaseStore.fileName) with \(r.restored.count) leases from the CNI cache" + (aside.hasSuffix(".json") ? "" : " (old table kept at \(aside))"))
            for p in r.problems { Log.write("podrig: warning: \(c.name): \(p)\n") }
        }
    }
}
