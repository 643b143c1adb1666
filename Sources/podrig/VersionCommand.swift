import ArgumentParser
import PodrigCore
import PodrigPod

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Runtime version, like `crictl version` (CRI Version).")

    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Output format: table (crictl's lines), json or yaml.")
    var output: OutputFormat = .table

    func run() throws {
        global.apply()
        let v = RuntimeStatus.version
        switch output {
        case .table:
            for (label, key) in [("Version", "version"), ("RuntimeName", "runtimeName"), ("RuntimeVersion", "runtimeVersion"), ("RuntimeApiVersion", "runtimeApiVersion")] {
                print("\(label):  \(v[key]?.string ?? "")")
            }
        case .json: printDocument(v, .json)
        case .yaml: printDocument(v, .yaml)
        }
    }
}
