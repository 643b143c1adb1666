import ArgumentParser
import PodrigCore
import PodrigIPAM

struct IPAMReserve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve an address for a pod: its next sandbox gets it, no other pod does.",
        discussion: "Without --ttl the reservation stays until `podrig ipam release`.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Argument(help: ArgumentHelp("The address.", valueName: "addr"))
    var address: String

    @Option(help: ArgumentHelp("The pod, NAMESPACE/NAME (a bare NAME is in default).", valueName: "ns/name"))
    var pod: String

    @Option(help: ArgumentHelp("How long it holds (24h, 30m, 7d).", valueName: "duration"))
    var ttl: String?

    @Option(name: .customLong("ipam-network"), help: ArgumentHelp("The network (default: the one whose ranges hold the address; --network works too).", valueName: "name"))
    var ipamNetwork: String?

    func run() throws {
        global.apply()
        let ip = try IPAMCommand.address(address)
        let parts = pod.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw ValidationError("--pod must be NAMESPACE/NAME, got \"\(pod)\"")
        }
        let key = parts.count == 2 ? pod : "default/" + pod
        let ns = try ttl.map { t throws(PodrigError) in try IPAMDuration.parse(t, what: "--ttl") }
        let config = try IPAMCommand.config(for: ip, network, name: ipamNetwork ?? network.networks.first)
        let l = try IPAMAdmin.reserve(config, ip: ip, pod: key, ttl: ns, now: Time.nowNanos())
        print("Reserved \(l.ip) in \(config.name) for pod \(key)" + (l.expires.map { " until \(Time.rfc3339($0))" } ?? ""))
    }
}
