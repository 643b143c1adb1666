import ArgumentParser
import PodrigCNI
import PodrigCore

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
        discussion: "Dual-stack bridge podrig0 (10.88.0.0/16, fd00:88::/64) with host-local IPAM, loopback and portmap.")

    @Flag(help: "Write it into the conf dir as \(CNIDefaultNetwork.fileName).")
    var write = false

    @Flag(help: "Overwrite an existing file.")
    var force = false

    @Option(name: .customLong("cni-conf-dir"), help: ArgumentHelp("CNI config directory.", valueName: "dir"))
    var confDir: String = "/etc/cni/net.d"

    func run() throws {
        guard write else { print(CNIDefaultNetwork.text, terminator: ""); return }
        let path = confDir + "/" + CNIDefaultNetwork.fileName
        if Files.exists(path) && !force { throw PodrigError(.alreadyExists, "\(path) exists (use --force to overwrite)") }
        try Files.makeDirectories(confDir, mode: 0o755)
        try Files.writeAtomic(path, CNIDefaultNetwork.text, mode: 0o644)
        print("Wrote \(path)")
    }
}
