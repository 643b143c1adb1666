import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigIPAM

struct IPAMList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List allocated and reserved addresses (pod, container, interface, since, expiry).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .customLong("ipam-network"), help: ArgumentHelp("Only this network (default: every podrig-ipam network; --network works too).", valueName: "name"))
    var ipamNetwork: String?

    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func run() throws {
        global.apply()
        let now = Time.nowNanos()
        var rows: [(String, Lease)] = []
        for c in try IPAMCommand.configs(network, name: ipamNetwork ?? network.networks.first) {
            for l in try IPAMAdmin.read(c).leases where !l.isExpired(at: now) { rows.append((c.name, l)) }
        }
        switch output {
        case .table:
            printTable(["NETWORK", "ADDRESS", "STATE", "POD", "CONTAINER", "IFNAME", "SINCE", "EXPIRES"], rows.map { n, l in
                [n, l.ip.description, l.state.rawValue, l.pod ?? "-", l.containerID.isEmpty ? "-" : String(l.containerID.prefix(13)),
                 l.ifName.isEmpty ? "-" : l.ifName, ago(nanos: l.since),
                 l.state == .allocated ? "-" : l.expires.map { "in " + IPAMDuration.format($0 - now) } ?? "never"]
            })
        case .json, .yaml:
            let items = JSON.array(rows.map { n, l in
                var o = JSONObject()
                o["network"] = .string(n)
                o["address"] = .string(l.ip.description)
                o["state"] = .string(l.state.rawValue)
                o["pod"] = l.pod.map { .string($0) } ?? .null
                o["containerID"] = .string(l.containerID)
                o["ifname"] = .string(l.ifName)
                o["since"] = .string(Time.rfc3339(l.since))
                o["expires"] = l.expires.map { .string(Time.rfc3339($0)) } ?? .null
                return .object(o)
            })
            printDocument(["items": items], output == .json ? .json : .yaml)
        }
    }
}
