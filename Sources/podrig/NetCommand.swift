import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigIPAM

struct NetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Network configuration helpers.",
        subcommands: [NetDefault.self])
}

struct NetDefault: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "default",
        abstract: "Print the built-in network podrig uses when no CNI config is installed, or install it.",
        discussion: "Dual-stack bridge podrig0 (10.88.0.0/16, fd00:88::/64) with host-local IPAM (or podrig-ipam with --ipam podrig), loopback and portmap. Like any CNI bridge with isGateway/ipMasq it turns on IP forwarding and adds masquerade rules in the netns its plugins run in (runp warns once when that is the host's).")

    enum IPAM: String, ExpressibleByArgument, CaseIterable {
        case hostLocal = "host-local"
        case podrig
    }

    @Flag(help: "Write it into the conf dir as \(CNIDefaultNetwork.fileName).")
    var write = false

    @Flag(help: "Overwrite an existing file.")
    var force = false

    @Option(name: .customLong("cni-conf-dir"), help: ArgumentHelp("CNI config directory.", valueName: "dir"))
    var confDir: String = "/etc/cni/net.d"

    @Option(help: "IPAM plugin: host-local or podrig (podrig-ipam, which must be in the CNI bin dir).")
    var ipam: IPAM = .hostLocal

    @Option(name: .customLong("reservation-ttl"), help: ArgumentHelp("With --ipam podrig: keep a deleted pod's addresses for it this long (sticky IPs, e.g. 24h).", valueName: "duration"))
    var reservationTTL: String?

    func validate() throws {
        if reservationTTL != nil && ipam != .podrig { throw ValidationError("--reservation-ttl needs --ipam podrig") }
        if let t = reservationTTL {
            do { _ = try IPAMDuration.parse(t, what: "--reservation-ttl") } catch { throw ValidationError(error.message) }
        }
    }

    func run() throws {
        let text = ipam == .podrig ? CNIDefaultNetwork.text(podrigIPAM: reservationTTL) : CNIDefaultNetwork.text
        guard write else { print(text, terminator: ""); return }
        let path = confDir + "/" + CNIDefaultNetwork.fileName
        if Files.exists(path) && !force { throw PodrigError(.alreadyExists, "\(path) exists (use --force to overwrite)") }
        try Files.makeDirectories(confDir, mode: 0o755)
        try Files.writeAtomic(path, text, mode: 0o644)
        print("Wrote \(path)")
    }
}
