#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// One libcni cache entry (`kind: cniCacheV1`): what ADD was given and what it returned, so DEL,
/// CHECK and GC can run later even if the conf dir changed. podrig adds `podrigRoot` (the state
/// root that owns the attachment) and `podrigPluginNetns` (the netns the plugins ran in, a
/// cluster node's, when not podrig's own); libcni and containerd ignore unknown keys.
public struct CNICacheEntry: Sendable {
    public var containerID: String
    public var config: [UInt8]
    public var ifName: String
    public var networkName: String
    public var netns: String
    public var cniArgs: [(String, String)]
    public var capabilityArgs: JSONObject
    public var result: JSON?
    public var podrigRoot: String?
    /// Where ADD ran the plugins (CNIPluginRunner.netns); nil = the runtime's own netns. DEL and
    /// GC must run them there again: the bridge, its iptables rules and routes are that netns's.
    public var pluginNetns: String?

    public init(containerID: String, config: [UInt8], ifName: String, networkName: String, netns: String,
                cniArgs: [(String, String)], capabilityArgs: JSONObject, result: JSON?, podrigRoot: String?,
                pluginNetns: String? = nil) {
        self.containerID = containerID; self.config = config; self.ifName = ifName
        self.networkName = networkName; self.netns = netns; self.cniArgs = cniArgs
        self.capabilityArgs = capabilityArgs; self.result = result; self.podrigRoot = podrigRoot
        self.pluginNetns = pluginNetns
    }

    public var json: JSON {
        var o = JSONObject()
        o["kind"] = "cniCacheV1"
        o["containerId"] = .string(containerID)
        o["config"] = .string(Base64.encode(config))
        o["ifName"] = .string(ifName)
        o["networkName"] = .string(networkName)
        if !netns.isEmpty { o["netns"] = .string(netns) }
        if !cniArgs.isEmpty { o["cniArgs"] = .array(cniArgs.map { .array([.string($0.0), .string($0.1)]) }) }
        if !capabilityArgs.isEmpty { o["capabilityArgs"] = .object(capabilityArgs) }
        if let result { o["result"] = result }
        if let podrigRoot { o["podrigRoot"] = .string(podrigRoot) }
        if let pluginNetns { o["podrigPluginNetns"] = .string(pluginNetns) }
        return .object(o)
    }

    public static func parse(_ bytes: [UInt8], source: String) throws(PodrigError) -> CNICacheEntry {
        if bytes.isEmpty { throw PodrigError.invalid("\(source): empty cache entry") }
        let json: JSON
        do { json = try JSONParser.parse(bytes: bytes) } catch { throw error.context(source) }
        guard json["kind"]?.string == "cniCacheV1" else {
            throw PodrigError.invalid("\(source): not a cniCacheV1 entry (kind \(json["kind"]?.compact ?? "missing"))")
        }
        guard let id = json["containerId"]?.string, let ifName = json["ifName"]?.string,
              let net = json["networkName"]?.string else {
            throw PodrigError.invalid("\(source): containerId, ifName and networkName are required")
        }
        var config: [UInt8] = []
        if let c = json["config"]?.string {
            guard let d = Base64.decode(c) else { throw PodrigError.invalid("\(source): config is not base64") }
            config = d
        }
        var args: [(String, String)] = []
        for pair in json["cniArgs"]?.array ?? [] {
            if let k = pair[0]?.string, let v = pair[1]?.string { args.append((k, v)) }
        }
        let result = json["result"].flatMap { $0.isNull ? nil : $0 }
        return CNICacheEntry(containerID: id, config: config, ifName: ifName, networkName: net,
                             netns: json["netns"]?.string ?? "", cniArgs: args,
                             capabilityArgs: json["capabilityArgs"]?.object ?? JSONObject(),
                             result: result, podrigRoot: json["podrigRoot"]?.string,
                             pluginNetns: json["podrigPluginNetns"]?.string.flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// libcni's result cache: <dir>/results/<network>-<containerID>-<ifname>, dir 0700, file 0600.
/// podrig writes entries atomically (temp + rename) so a crash never leaves a half or empty file.
public struct CNICache: Sendable {
    public static let defaultDirectory = "/var/lib/cni"
    public var directory: String
    /// fsync before rename; off only where the machine's crash safety does not matter (tests).
    public var sync: Bool

    public init(directory: String = CNICache.defaultDirectory, sync: Bool = true) {
        self.directory = directory
        self.sync = sync
    }

    public var resultsDirectory: String { directory + "/results" }

    public func path(network: String, containerID: String, ifName: String) -> String {
        "\(resultsDirectory)/\(network)-\(containerID)-\(ifName)"
    }

    public func write(_ entry: CNICacheEntry) throws(PodrigError) {
        try Files.makeDirectories(resultsDirectory, mode: 0o700)
        let path = path(network: entry.networkName, containerID: entry.containerID, ifName: entry.ifName)
        try Files.writeAtomic(path, entry.json.compact, mode: 0o600, sync: sync)
    }

    /// The entry, nil if absent. An unreadable entry is reported as an error.
    public func read(network: String, containerID: String, ifName: String) throws(PodrigError) -> CNICacheEntry? {
        let path = path(network: network, containerID: containerID, ifName: ifName)
        let bytes: [UInt8]
        do { bytes = try Files.read(path) } catch {
            if error.code == .notFound { return nil }
            throw error
        }
        return try CNICacheEntry.parse(bytes, source: path)
    }

    public func remove(network: String, containerID: String, ifName: String) throws(PodrigError) {
        try Files.remove(path(network: network, containerID: containerID, ifName: ifName))
    }

    /// Every entry file (temp files of interrupted writes are skipped).
    public func entryPaths() throws(PodrigError) -> [String] {
        try Files.list(resultsDirectory).filter { !$0.contains(".tmp-") }.sorted().map { resultsDirectory + "/" + $0 }
    }
}
