import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigIPAM

struct IPAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipam",
        abstract: "Leases of the networks that use the podrig-ipam plugin: list, reserve, release, repair.",
        discussion: "Networks are found in the CNI conf dir (plugins with \"ipam\": {\"type\": \"podrig-ipam\"}); leases live in <dataDir>/<network>/podrig-ipam.json.",
        subcommands: [IPAMList.self, IPAMReserve.self, IPAMRelease.self, IPAMRepairCommand.self])

    /// The podrig-ipam networks of the conf dir, optionally just the one named.
    static func configs(_ network: NetworkOptions, name: String?) throws -> [IPAMConfig] {
        let all = CNIIPAMNetworks.configs(try network.cniOptions().discovery.all())
        guard let name else { return all }
        let some = all.filter { $0.name == name }
        if some.isEmpty {
            throw PodrigError(.notFound, "no network \"\(name)\" using podrig-ipam in \(network.cniConfDir) (have: \(all.map(\.name).joined(separator: ", ")))")
        }
        return some
    }

    /// The network whose ranges hold `ip` (or the one named).
    static func config(for ip: IPAddr, _ network: NetworkOptions, name: String?) throws -> IPAMConfig {
        let all = try configs(network, name: name)
        if name != nil { return all[0] }
        let holding = all.filter { c in c.rangeSets.contains { $0.range(for: ip) != nil } }
        if holding.count == 1 { return holding[0] }
        if holding.isEmpty {
            throw PodrigError(.notFound, "no podrig-ipam network in \(network.cniConfDir) has \(ip) in its ranges")
        }
        throw PodrigError(.conflict, "\(ip) is in the ranges of \(holding.map(\.name).joined(separator: " and ")); pick one with --ipam-network")
    }

    static func address(_ text: String) throws -> IPAddr {
        guard let ip = IPAddr(text), !text.contains("/") else { throw ValidationError("\"\(text)\" is not an IP address") }
        return ip
    }
}
