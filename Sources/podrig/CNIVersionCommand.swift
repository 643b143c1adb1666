import ArgumentParser
import PodrigCNI
import PodrigCore

struct CNIVersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "CNI VERSION of every plugin of the networks: which spec versions each supports.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("A network config file instead of the conf dir.", valueName: "file"))
    var conf: String?

    func run() throws {
        global.apply()
        let cni = try network.cniOptions()
        let engine = cni.engine(trace: nil, owner: nil)
        var rows: [[String]] = []
        var failed = false
        for list in try CNIToolLists.pick(cni: cni, conf: conf) {
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
