import ArgumentParser
import PodrigCore
import PodrigIPAM

struct IPAMRelease: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Free a reserved address now (an allocated one only with --force).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Argument(help: ArgumentHelp("The address.", valueName: "addr"))
    var address: String

    @Flag(help: "Also free an address a live attachment holds.")
    var force = false

    @Option(name: .customLong("ipam-network"), help: ArgumentHelp("The network (default: the one whose ranges hold the address; --network works too).", valueName: "name"))
    var ipamNetwork: String?

    func run() throws {
        global.apply()
        let ip = try IPAMCommand.address(address)
        let config = try IPAMCommand.config(for: ip, network, name: ipamNetwork ?? network.networks.first)
        let l = try IPAMAdmin.release(config, ip: ip, force: force, now: Time.nowNanos())
        print("Released \(l.ip) in \(config.name) (was \(l.state.rawValue), \(l.holder))")
    }
}
