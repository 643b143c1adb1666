import PodrigCore

/// The CNI runtime verbs on one network list (libcni's *NetworkList functions), plus podrig's
/// rollback on a failed ADD and a cache written atomically.
public final class CNIEngine: @unchecked Sendable {
    public let runner: CNIPluginRunner
    public let cache: CNICache
    /// The podrig state root recorded in cache entries (nil for cnitool-style use).
    public let owner: String?
    private var versionAnswers: [String: [String]] = [:]

    public init(runner: CNIPluginRunner, cache: CNICache, owner: String?) {
        self.runner = runner
        self.cache = cache
        self.owner = owner
    }

    // MARK: ADD

    /// Runs ADD through the chain. On any failure, DEL runs for every plugin reached (the failed
    /// one included), in reverse, before the error is thrown; nothing is cached then.
    @discardableResult
    public func add(_ list: CNIConfigList, _ rt: CNIRuntimeConf) throws(PodrigError) -> CNIResult {
        var prev: CNIResult?
        for i in list.plugins.indices {
            do throws(PodrigError) {
                let stdin = try stdinFor(list, i, prev, rt)
                let out = try runner.run(network: list.name, type: list.pluginType(i), command: "ADD", stdin: stdin, rt: rt)
                do throws(PodrigError) {
                    if out.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                        throw PodrigError.invalid("the plugin printed no result")
                    }
                    prev = try CNIResult.parse(bytes: out, configVersion: list.cniVersion)
                    Checkpoint.mark(named: "cni:added:" + list.pluginType(i))
                } catch {
                    throw PodrigError(.cni, "CNI network \"\(list.name)\": plugin \"\(list.pluginType(i))\" ADD returned an invalid result: \(error)")
                }
            } catch {
                throw rollback(list, rt, through: i, prev: prev, error: error)
            }
        }
        guard let result = prev else { throw PodrigError(.internalError, "network \(list.name) has no plugins") }
        let entry = CNICacheEntry(containerID: rt.containerID, config: list.bytes, ifName: rt.ifName, networkName: list.name,
                                  netns: rt.netns, cniArgs: rt.args, capabilityArgs: rt.capabilityArgs,
                                  result: result.json, podrigRoot: owner, pluginNetns: runner.netns)
        do {
            try cache.write(entry)
            Checkpoint.mark("cni:cached")
        } catch {
            throw rollback(list, rt, through: list.plugins.count - 1, prev: prev,
                           error: error.context("CNI network \"\(list.name)\": writing the result cache"))
        }
        return result
    }

    private func rollback(_ list: CNIConfigList, _ rt: CNIRuntimeConf, through last: Int, prev: CNIResult?, error: PodrigError) -> PodrigError {
        var problems: [String] = []
        for j in stride(from: last, through: 0, by: -1) {
            do {
                let stdin = try stdinFor(list, j, list.version >= .v040 ? prev : nil, rt)
                _ = try runner.run(network: list.name, type: list.pluginType(j), command: "DEL", stdin: stdin, rt: rt)
            } catch {
                problems.append(error.description)
            }
        }
        if problems.isEmpty { return error }
        var e = error
        e.message += " (rollback DEL also failed: \(problems.joined(separator: "; ")))"
        return e
    }

    // MARK: DEL

    /// DEL through the chain in reverse with the cached result as prevResult (for ≥ 0.4.0). Every
    /// plugin gets its DEL even if an earlier one failed; the cache entry goes only after a full success.
    public func del(_ list: CNIConfigList, _ rt: CNIRuntimeConf, fallbackResult: CNIResult? = nil) throws(PodrigError) {
        var prev: CNIResult?
        if list.version >= .v040 {
            do {
                if let entry = try cache.read(network: list.name, containerID: rt.containerID, ifName: rt.ifName), let r = entry.result {
                    prev = try CNIResult.parse(r, configVersion: list.cniVersion)
                }
            } catch {
                // libcni: an unreadable entry is dropped and DEL runs without prevResult.
                Log.warn("CNI network \"\(list.name)\": ignoring cached result: \(error)")
                try? cache.remove(network: list.name, containerID: rt.containerID, ifName: rt.ifName)
            }
            if prev == nil { prev = fallbackResult }
        }
        var problems: [String] = []
        for i in list.plugins.indices.reversed() {
            do {
                let stdin = try stdinFor(list, i, prev, rt)
                _ = try runner.run(network: list.name, type: list.pluginType(i), command: "DEL", stdin: stdin, rt: rt)
            } catch {
                problems.append(error.description)
            }
        }
        if !problems.isEmpty { throw PodrigError(.cni, problems.joined(separator: "; ")) }
        try cache.remove(network: list.name, containerID: rt.containerID, ifName: rt.ifName)
    }

    // MARK: CHECK

    public enum CheckOutcome: Sendable, Equatable {
        case passed
        case skipped(String)
    }

    public func check(_ list: CNIConfigList, _ rt: CNIRuntimeConf, fallbackResult: CNIResult? = nil) throws(PodrigError) -> CheckOutcome {
        if list.version < .v040 { return .skipped("cniVersion \(list.cniVersion) has no CHECK (needs 0.4.0)") }
        if list.disableCheck { return .skipped("disableCheck is set") }
        var prev: CNIResult?
        if let entry = try cache.read(network: list.name, containerID: rt.containerID, ifName: rt.ifName), let r = entry.result {
            prev = try CNIResult.parse(r, configVersion: list.cniVersion)
        }
        guard let prev = prev ?? fallbackResult else {
            throw PodrigError(.notFound, "CNI network \"\(list.name)\": no cached result for \(rt.containerID)/\(rt.ifName) to CHECK against")
        }
        for i in list.plugins.indices {
            let stdin = try stdinFor(list, i, prev, rt)
            _ = try runner.run(network: list.name, type: list.pluginType(i), command: "CHECK", stdin: stdin, rt: rt)
        }
        return .passed
    }

    // MARK: STATUS

    public enum StatusOutcome: Sendable, Equatable {
        case ready
        case notReady(String)
        case skipped(String)
    }

    /// STATUS (spec 1.1) to every plugin; codes 50/51 (or any failure) mean not ready.
    public func status(_ list: CNIConfigList) throws(PodrigError) -> StatusOutcome {
        if list.version < .v110 { return .skipped("cniVersion \(list.cniVersion) has no STATUS (needs 1.1.0)") }
        for i in list.plugins.indices {
            let stdin = CNIPluginConfig.build(list.plugins[i], name: list.name, cniVersion: list.cniVersion, prevResult: nil, capabilityArgs: JSONObject())
            let o = try runner.execute(network: list.name, type: list.pluginType(i), command: "STATUS", stdin: stdin, rt: nil)
            if let f = o.failure { return .notReady(f.message) }
        }
        return .ready
    }

    // MARK: GC

    /// Spec-1.1 GC to every plugin with the attachments still valid; errors are collected, not fatal.
    public func gc(_ list: CNIConfigList, valid: [(containerID: String, ifName: String)]) -> [String] {
        if list.version < .v110 || list.disableGC { return [] }
        let attachments = JSON.array(valid.map { ["containerID": .string($0.containerID), "ifname": .string($0.ifName)] })
        var problems: [String] = []
        for i in list.plugins.indices {
            var stdin = CNIPluginConfig.build(list.plugins[i], name: list.name, cniVersion: list.cniVersion, prevResult: nil, capabilityArgs: JSONObject())
            stdin["cni.dev/valid-attachments"] = attachments
            stdin["cni.dev/attachments"] = attachments
            do {
                _ = try runner.run(network: list.name, type: list.pluginType(i), command: "GC", stdin: stdin, rt: nil)
            } catch {
                problems.append(error.description)
            }
        }
        return problems
    }

    // MARK: VERSION

    /// The versions a plugin supports; a plugin that fails VERSION supports only 0.1.0 (spec).
    public func supportedVersions(_ type: String, network: String, cniVersion: String) throws(PodrigError) -> [String] {
        if let v = versionAnswers[type] { return v }
        let o = try runner.execute(network: network, type: type, command: "VERSION", stdin: ["cniVersion": .string(cniVersion)], rt: nil)
        var versions = ["0.1.0"]
        if o.failure == nil, let json = try? JSONParser.parse(bytes: o.stdout), let list = json["supportedVersions"]?.array {
            versions = list.compactMap(\.string)
        }
        versionAnswers[type] = versions
        return versions
    }

    /// libcni's ValidateNetworkList: every plugin is found and supports the list's cniVersion.
    public func validate(_ list: CNIConfigList) throws(PodrigError) {
        for i in list.plugins.indices {
            let type = list.pluginType(i)
            do { _ = try runner.find(type) } catch { throw error.context("CNI network \"\(list.name)\"") }
            let versions = try supportedVersions(type, network: list.name, cniVersion: list.cniVersion)
            if !versions.contains(list.cniVersion) {
                throw PodrigError(.cni, "CNI network \"\(list.name)\": plugin \"\(type)\" does not support config version \"\(list.cniVersion)\""
                                  + " (it supports \(versions.joined(separator: ", ")))")
            }
        }
    }

    // MARK: stdin

    func stdinFor(_ list: CNIConfigList, _ i: Int, _ prev: CNIResult?, _ rt: CNIRuntimeConf) throws(PodrigError) -> JSON {
        var prevJSON: JSON?
        if let prev {
            // prevResult goes in the config's version.
            do { prevJSON = try prev.json(as: list.cniVersion) } catch {
                throw PodrigError(.cni, "CNI network \"\(list.name)\": prevResult for plugin \"\(list.pluginType(i))\": \(error)")
            }
        }
        return CNIPluginConfig.build(list.plugins[i], name: list.name, cniVersion: list.cniVersion, prevResult: prevJSON,
                                     capabilityArgs: rt.capabilityArgs)
    }
}
