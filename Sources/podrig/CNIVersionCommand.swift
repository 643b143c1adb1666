import ArgumentParser
import PodrigCNI
import PodrigCore

struct CNIVersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "CNI VERSION of every plugin of the networks: which spec versions each supports.",
        discussion: "Exits 1 if a plugin is missing or does not support its config's cniVersion. With a sandbox TARGET: its networks.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var tool: CNIToolOptions

    @Argument(help: ArgumentHelp("Netns path or sandbox ID (optional).", valueName: "target"))
    var target: String?

    func run() throws {
        global.apply()
        let cni = try network.cniOptions()
        let picked = try CNIToolLists.pick(cni: cni, tool: tool, target: target, global: global)
        defer { picked.target?.lock?.unlock() }
        let engine = cni.engine(trace: picked.target?.trace ?? tool.trace, owner: nil)
        var rows: [[String]] = []
        var failed = false
        for list in picked.lists {
            for i in list.plugins.indices {
                let type = list.pluginType(i)
                do {
                    let path = try engine.runner.find(type)
                    let versions = try engine.supportedVersions(type, network: list.name, cniVersion: list.cniVersion)
                    let ok = versions.contains(list.cniVersion)
                    if !ok { failed = true }
                    rows.append([list.name, type, path, versions.joined(separator: ","), list.cniVersion + (ok ? " (ok)" : " (NOT SUPPORTED)")])
                } catch {
                    failed = true
                    rows.append([list.name, type, "-", "-", error.asPodrigError.description])
                }
            }
        }
        printTable(["NETWORK", "PLUGIN", "PATH", "SUPPORTED", "CONFIG VERSION"], rows)
        if failed { throw ExitCode(1) }
    }
}
