import PodrigCore
import PodrigIPAM

/// GC for podrig-ipam behind a main plugin that does not pass GC on to its IPAM (the Debian
/// plugins stop at 1.0.0): the runtime sends GC to podrig-ipam itself, with the main plugin's
/// config as a delegating plugin would. An unreadable lease table is rebuilt from the cache first.
extension CNIEngine {
    public static let podrigIPAMType = "podrig-ipam"

    public func ipamGC(_ list: CNIConfigList, valid: [(containerID: String, ifName: String)], cached: [CNICacheEntry]) -> [String] {
        if list.disableGC { return [] }
        let attachments = JSON.array(valid.map { ["containerID": .string($0.containerID), "ifname": .string($0.ifName)] })
        var problems: [String] = []
        for i in list.plugins.indices where list.plugins[i]["ipam"]?["type"]?.string == Self.podrigIPAMType
            && list.pluginType(i) != Self.podrigIPAMType {
            var stdin = CNIPluginConfig.build(list.plugins[i], name: list.name, cniVersion: list.cniVersion, prevResult: nil, capabilityArgs: JSONObject())
            stdin["cni.dev/valid-attachments"] = attachments
            do {
                var o = try runner.execute(network: list.name, type: Self.podrigIPAMType, command: "GC", stdin: stdin, rt: nil)
                if o.failure?.pluginError?.code == IPAMPlugin.Failure.corruptStore {
                    let config = try IPAMConfig.parse(stdin)
                    let r = try IPAMRepair.run(config, attachments: Self.repairAttachments(cached, network: list.name), now: Time.nowNanos())
                    Log.warn("CNI network \"\(list.name)\": rebuilt the unreadable podrig-ipam lease table from the CNI cache (\(r.restored.count) leases; the old one is at \(r.setAside ?? "?"))")
                    problems += r.problems
                    o = try runner.execute(network: list.name, type: Self.podrigIPAMType, command: "GC", stdin: stdin, rt: nil)
                }
                if let f = o.failure { problems.append(f.message) }
            } catch {
                problems.append(error.description)
            }
        }
        return problems
    }

    /// What the cache says each attachment of `network` holds.
    public static func repairAttachments(_ cached: [CNICacheEntry], network: String) -> [IPAMRepair.Attachment] {
        cached.filter { $0.networkName == network }.map { e in
            let ips = e.result?["ips"]?.array?.compactMap { $0["address"]?.string } ?? []
            return IPAMRepair.Attachment(containerID: e.containerID, ifName: e.ifName, ips: ips, cniArgs: e.cniArgs)
        }
    }
}

/// The networks in a conf dir whose plugins use podrig-ipam, with their ipam config as the plugin
/// would read it (`podrig ipam`).
public enum CNIIPAMNetworks {
    public static func configs(_ lists: [CNIConfigList]) -> [IPAMConfig] {
        var out: [IPAMConfig] = []
        for list in lists {
            for i in list.plugins.indices where list.plugins[i]["ipam"]?["type"]?.string == CNIEngine.podrigIPAMType {
                let stdin = CNIPluginConfig.build(list.plugins[i], name: list.name, cniVersion: list.cniVersion, prevResult: nil, capabilityArgs: JSONObject())
                do {
                    let c = try IPAMConfig.parse(stdin)
                    if !out.contains(where: { $0.directory == c.directory }) { out.append(c) }
                } catch {
                    Log.warn("CNI network \"\(list.name)\": podrig-ipam config: \(error)")
                }
            }
        }
        return out
    }

    /// Every readable cache entry (for `podrig ipam repair`).
    public static func cacheEntries(_ cache: CNICache) -> [CNICacheEntry] {
        ((try? cache.entryPaths()) ?? []).compactMap { try? CNICacheEntry.parse(try Files.read($0), source: $0) }
    }
}
