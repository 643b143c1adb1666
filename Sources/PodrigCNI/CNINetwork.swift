#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox

/// Where podrig finds CNI configs, plugins and the cache, and how it invokes them.
public struct CNIOptions: Sendable {
    public var confDir = "/etc/cni/net.d"
    public var binDirs = CNIPluginRunner.defaultBinDirs
    public var cacheDir = CNICache.defaultDirectory
    /// Networks by name, in attach order (eth0, net1, …); empty = the default network;
    /// ["none"] = no CNI at all (only lo).
    public var networks: [String] = []
    /// `networks` came from $PODRIG_NETWORK: they name the host's networks, not a node's.
    public var networksFromEnvironment = false
    public var timeout: Double = 30
    public var preferIPv6 = false
    /// Extra CNI_ARGS pairs (after the K8S_* ones; same key overrides).
    public var extraArgs: [(String, String)] = []
    /// fsync cache entries before the rename.
    public var cacheSync = true

    public init() {}

    public var discovery: CNIDiscovery { CNIDiscovery(confDir: confDir) }

    public var isNone: Bool { networks == ["none"] }

    public func engine(trace: String?, owner: String?, netns: String? = nil) -> CNIEngine {
        let runner = CNIPluginRunner(binDirs: binDirs, timeout: timeout, trace: trace.map { CNITrace(path: $0) })
        runner.netns = netns
        return CNIEngine(runner: runner, cache: CNICache(directory: cacheDir, sync: cacheSync), owner: owner)
    }

    /// The options for a sandbox on a simulated node: the node's conf dir, plugins in its netns,
    /// and podrig's own directory last among the bin dirs (the node conflists' podrig-ipam ships
    /// beside podrig; the bridge plugin finds it through CNI_PATH).
    public func on(_ node: SandboxNode?) -> CNIOptions {
        guard let node else { return self }
        var o = self
        o.confDir = node.confDir
        if networksFromEnvironment { o.networks = [] }
        return o.withOwnBinDirectory
    }

    /// These options with podrig's own directory last among the bin dirs, as `on(node)` has them
    /// (gc of a node's attachment, which only the cache knows the node of).
    public var withOwnBinDirectory: CNIOptions {
        var o = self
        if let own = CNIOptions.ownBinDirectory, !o.binDirs.contains(own) { o.binDirs.append(own) }
        return o
    }

    /// The running executable's directory when podrig-ipam is there (hack/build's bin dir, an install).
    public static let ownBinDirectory: String? = {
        guard let dir = Proc.executableDirectory(), Files.isRegularFile(dir + "/" + CNIEngine.podrigIPAMType) else { return nil }
        return dir
    }()

    /// eth0 for the first network, then net1, net2 … (Multus' naming).
    public static func ifName(_ index: Int) -> String { index == 0 ? "eth0" : "net\(index)" }
}

/// The sandbox network layer on CNI: ADD on runp (with rollback), DEL on stopp, CHECK for inspectp.
/// What DEL needs later (each network's config bytes, ifname and result) is kept in the sandbox
/// record's `network` state, as libcni keeps it in its cache.
public struct CNINetwork: SandboxNetworkProvider {
    public var options: CNIOptions

    public init(options: CNIOptions) { self.options = options }

    /// One attached network as stored in the sandbox state (strings, so bytes survive untouched).
    public struct Attached: Sendable {
        public var list: CNIConfigList
        public var ifName: String
        public var result: CNIResult?

        public init(list: CNIConfigList, ifName: String, result: CNIResult?) {
            self.list = list
            self.ifName = ifName
            self.result = result
        }
    }

    public static func lockPath(root: String) -> String { root + "/cni.lock" }
    public static func tracePath(directory: String) -> String { directory + "/" + CNITrace.fileName }

    public func attach(_ context: SandboxNetworkContext) throws(PodrigError) -> NetworkAttachment {
        if options.on(context.record.node).isNone { return NetworkAttachment(podIPs: [], state: CNINetwork.stateJSON([])) }
        let lock = try FileLock(CNINetwork.lockPath(root: context.root), exclusive: false)
        defer { lock.unlock() }
        let record = context.record
        guard let netns = record.netnsPath else { throw PodrigError(.internalError, "sandbox \(record.id.prefix(13)) has no netns to attach") }
        var options = self.options.on(record.node)
        // One fsync per runp, the final record's: it carries every result the cache entries do
        // (DEL falls back to it), so the entries are written as libcni writes them, unsynced.
        options.cacheSync = false
        let lists = try options.discovery.select(options.networks)
        // On a node the plugins run in the node's netns, never the host's.
        if record.node == nil { CNIForwardingNotice.warnIfNeeded(lists) }
        let engine = options.engine(trace: CNINetwork.tracePath(directory: context.directory), owner: context.root, netns: record.node?.netnsPath)
        for list in lists where list.version >= .v110 {
            if case .notReady(let why) = try engine.status(list) {
                throw PodrigError(.notReady, "CNI network \"\(list.name)\" is not ready: \(why)")
            }
        }
        let args = CNISandboxArgs.cniArgs(record, extra: options.extraArgs)
        let caps = try CNISandboxArgs.capabilityArgs(record, networks: lists.map(\.name))
        var done: [Attached] = []
        for (k, list) in lists.enumerated() {
            let rt = CNIRuntimeConf(containerID: record.id, netns: netns, ifName: CNIOptions.ifName(k), args: args, capabilityArgs: caps)
            do {
                let result = try engine.add(list, rt)
                done.append(Attached(list: list, ifName: rt.ifName, result: result))
            } catch {
                // Networks attached before this one go too, newest first.
                var e = error
                for a in done.reversed() {
                    var r = rt
                    r.ifName = a.ifName
                    do { try engine.del(a.list, r, fallbackResult: a.result) } catch {
                        e.message += " (rollback of network \"\(a.list.name)\" failed: \(error))"
                    }
                }
                throw e
            }
        }
        var ips: [String] = []
        for a in done { ips += a.result?.sandboxIPs(ifName: a.ifName) ?? [] }
        return NetworkAttachment(podIPs: PodIPs.select(ips, preferIPv6: options.preferIPv6), state: CNINetwork.stateJSON(done))
    }

    public func detach(_ context: SandboxNetworkContext) throws(PodrigError) {
        let lock = try FileLock(CNINetwork.lockPath(root: context.root), exclusive: false)
        defer { lock.unlock() }
        let record = context.record
        let options = self.options.on(record.node)
        var attached = CNINetwork.attached(record.network)
        if attached.isEmpty {
            // A recorded state with no networks (`--network none`): nothing to DEL.
            if options.isNone || record.network != nil { return }
            // runp died before it recorded the state: DEL what the config says it would have added.
            do {
                attached = try options.discovery.select(options.networks).enumerated().map {
                    Attached(list: $0.element, ifName: CNIOptions.ifName($0.offset), result: nil)
                }
            } catch {
                Log.warn("sandbox \(record.id.prefix(13)): no CNI state and no config to DEL with: \(error)")
                return
            }
        }
        let netns = record.netnsPath.map { CNINetns.isMounted($0) ? $0 : "" } ?? ""
        let args = CNISandboxArgs.cniArgs(record, extra: options.extraArgs)
        let caps = (try? CNISandboxArgs.capabilityArgs(record, networks: attached.map(\.list.name))) ?? JSONObject()
        let engine = options.engine(trace: CNINetwork.tracePath(directory: context.directory), owner: context.root, netns: record.node?.netnsPath)
        var problems: [String] = []
        for a in attached.reversed() {
            let rt = CNIRuntimeConf(containerID: record.id, netns: netns, ifName: a.ifName, args: args, capabilityArgs: caps)
            do { try engine.del(a.list, rt, fallbackResult: a.result) } catch { problems.append(error.description) }
        }
        if !problems.isEmpty { throw PodrigError(.cni, problems.joined(separator: "; ")) }
    }

    /// CHECK of every attached network (`inspectp --check`).
    public func check(_ context: SandboxNetworkContext) throws(PodrigError) -> [(network: String, outcome: CNIEngine.CheckOutcome)] {
        let record = context.record
        guard let netns = record.netnsPath else { return [] }
        let options = self.options.on(record.node)
        let engine = options.engine(trace: CNINetwork.tracePath(directory: context.directory), owner: context.root, netns: record.node?.netnsPath)
        let args = CNISandboxArgs.cniArgs(record, extra: options.extraArgs)
        let attached = CNINetwork.attached(record.network)
        let caps = try CNISandboxArgs.capabilityArgs(record, networks: attached.map(\.list.name))
        var out: [(String, CNIEngine.CheckOutcome)] = []
        for a in attached {
            let rt = CNIRuntimeConf(containerID: record.id, netns: netns, ifName: a.ifName, args: args, capabilityArgs: caps)
            out.append((a.list.name, try engine.check(a.list, rt, fallbackResult: a.result)))
        }
        return out
    }

    // MARK: state

    public static func stateJSON(_ done: [Attached]) -> JSON {
        ["kind": "podrigCNI", "networks": .array(done.map { a in
            var o: JSON = ["name": .string(a.list.name), "ifName": .string(a.ifName), "cniVersion": .string(a.list.cniVersion),
                           "source": .string(a.list.source), "config": .string(String(decoding: a.list.bytes, as: UTF8.self))]
            if let r = a.result { o["result"] = .string(r.json.compact) }
            return o
        })]
    }

    /// The networks recorded in a sandbox's state (unreadable entries are skipped with a warning).
    public static func attached(_ state: JSON?) -> [Attached] {
        guard let nets = state?["networks"]?.array else { return [] }
        var out: [Attached] = []
        for n in nets {
            guard let config = n["config"]?.string, let ifName = n["ifName"]?.string else { continue }
            do {
                let list = try CNIConfigList.parse(Array(config.utf8), source: "sandbox state", singlePlugin: false)
                var result: CNIResult?
                if let text = n["result"]?.string { result = try? CNIResult.parse(bytes: Array(text.utf8), configVersion: list.cniVersion) }
                out.append(Attached(list: list, ifName: ifName, result: result))
            } catch {
                Log.warn("CNI state of network \(n["name"]?.compact ?? "?"): \(error)")
            }
        }
        return out
    }
}

public enum CNINetns {
    /// A mounted network namespace (nsfs): a pin whose namespace still exists.
    public static func isMounted(_ path: String) -> Bool {
        NetnsPin.isPinned(path: path)
    }
}
