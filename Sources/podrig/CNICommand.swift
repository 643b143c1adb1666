import ArgumentParser
import PodrigCNI
import PodrigCore
import PodrigSandbox

struct CNICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cni",
        abstract: "Run CNI verbs by hand, like cnitool: on any netns path or on a sandbox.",
        discussion: """
            add, check, del, gc, status and version take the same options and a TARGET: a network namespace path
            (/run/netns/x, /proc/PID/ns/net) or a sandbox ID (prefix); optional for gc, status and version.
            test takes no TARGET: it makes its own throwaway namespaces (see cni test --help).
            On a netns path the container ID is cnitool's (cnitool- + 20 hex of the SHA-512 of the absolute path) unless
            --container-id is given, and the absolute path is stored, so podrig and cnitool (or any libcni client doing the
            same) share attachments. On a sandbox, podrig uses its netns, ID, CNI_ARGS, capability args (aliases, port
            mappings…), traces every exec beside it and keeps its record in step (stopp DELs what `cni add` attached).
            """,
        subcommands: [CNIAdd.self, CNICheck.self, CNIDel.self, CNIGC.self, CNIStatus.self, CNIVersionCommand.self, CNITestCommand.self]
    )
}

/// Options of the cnitool-like verbs.
struct CNIToolOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A network config file (.conf/.conflist) instead of the conf dir.", valueName: "file"))
    var conf: String?

    @Option(help: ArgumentHelp("CNI_ARGS for this call (K=V;K2=V2).", valueName: "args"))
    var args: [String] = []

    @Option(name: .customLong("cap-args"), help: ArgumentHelp("Capability args as a JSON object, e.g. '{\"portMappings\":[…]}'.", valueName: "json"))
    var capArgs: String?

    @Option(help: ArgumentHelp("Interface name in the netns (default eth0, then net1, …).", valueName: "name"))
    var ifname: String?

    @Option(name: .customLong("container-id"), help: ArgumentHelp("CNI_CONTAINERID for a netns target (default: derived from the path).", valueName: "id"))
    var containerID: String?

    @Option(help: ArgumentHelp("Append a JSON-lines trace of plugin execs to this file (netns targets).", valueName: "file"))
    var trace: String?
}

/// What a cnitool-like verb works on.
struct CNITarget {
    var containerID: String
    var netns: String
    var args: [(String, String)]
    var caps: JSONObject
    var trace: String?
    /// Set for a sandbox target (its lock is held while the verb runs).
    var record: SandboxRecord?
    var store: SandboxStore?
    var lock: FileLock?

    static func resolve(_ target: String, global: GlobalOptions, cni: CNIOptions, tool: CNIToolOptions) throws -> CNITarget {
        var extraCaps = JSONObject()
        if let text = tool.capArgs {
            guard case .object(let o) = try JSONParser.parse(text) else { throw PodrigError.invalid("--cap-args: expected a JSON object") }
            extraCaps = o
        }
        let userArgs = try CNIRuntimeConf.parseArgs(tool.args)
        if target.contains("/") {
            // cnitool's identity for a path: absolute (filepath.Abs), then hashed.
            let netns = CNIToolID.absolute(target)
            let id = tool.containerID ?? CNIToolID.containerID(netns: netns)
            try CNIValidate.containerID(id)
            return CNITarget(containerID: id, netns: netns, args: CNIRuntimeConf.merge(cni.extraArgs, userArgs), caps: extraCaps, trace: tool.trace)
        }
        let store = SandboxStore(root: global.root)
        let id = try store.resolve(target)
        let lock = try store.lock(id)
        let record = try store.load(id)
        guard let netns = record.netnsPath else { throw PodrigError.invalid("sandbox \(id.prefix(13)) uses the host network: no netns to attach") }
        var caps = try CNISandboxArgs.capabilityArgs(record)
        for (k, v) in extraCaps { caps[k] = v }
        return CNITarget(containerID: id, netns: netns, args: CNIRuntimeConf.merge(CNISandboxArgs.cniArgs(record, extra: cni.extraArgs), userArgs),
                         caps: caps, trace: CNINetwork.tracePath(directory: store.directory(id)), record: record, store: store, lock: lock)
    }

    /// `networks`: what the sandbox is attached to with this verb, the keys of its `aliases`
    /// (unless --cap-args gave them).
    func runtime(ifName: String, networks: [String]) -> CNIRuntimeConf {
        var c = caps
        if let record, c["aliases"] == nil, let a = try? CNISandboxArgs.capabilityArgs(record, networks: networks)["aliases"] {
            c["aliases"] = a
        }
        return CNIRuntimeConf(containerID: containerID, netns: netns, ifName: ifName, args: args, capabilityArgs: c)
    }

    /// The lists named by --conf, --network or the default; for a sandbox without either, what it has attached.
    func lists(cni: CNIOptions, tool: CNIToolOptions, attachedByDefault: Bool) throws -> [(list: CNIConfigList, ifName: String?, result: CNIResult?)] {
        if let conf = tool.conf { return [(try CNIDiscovery.load(file: conf), tool.ifname, nil)] }
        let attached = CNINetwork.attached(record?.network)
        let names = cni.isNone ? [] : cni.networks
        if record != nil, names.isEmpty, attachedByDefault {
            return attached.map { ($0.list, $0.ifName, $0.result) }
        }
        var out: [(CNIConfigList, String?, CNIResult?)] = []
        for name in names.isEmpty ? [""] : names {
            if let a = attached.first(where: { $0.list.name == name }) { out.append((a.list, tool.ifname ?? a.ifName, a.result)); continue }
            do {
                out.append((try cni.discovery.select(name.isEmpty ? [] : [name])[0], tool.ifname, nil))
            } catch {
                // Gone from the conf dir: the cache still has the config that was used.
                let cache = CNICache(directory: cni.cacheDir)
                guard !name.isEmpty, let entry = try? cache.read(network: name, containerID: containerID, ifName: tool.ifname ?? "eth0") else { throw error }
                out.append((try CNIConfigList.parse(entry.config, source: "cached config of \(name)", singlePlugin: false), entry.ifName, nil))
            }
        }
        return out
    }
}
