import PodrigCore

/// What one attachment is invoked with: libcni's RuntimeConf.
public struct CNIRuntimeConf: Sendable {
    public var containerID: String
    /// The netns path; "" when it is gone (DEL still runs, as containerd does).
    public var netns: String
    public var ifName: String
    /// CNI_ARGS pairs, in order.
    public var args: [(String, String)]
    /// Capability arguments by name (portMappings, dns, …); a plugin only sees the ones it declares.
    public var capabilityArgs: JSONObject

    public init(containerID: String, netns: String, ifName: String, args: [(String, String)] = [], capabilityArgs: JSONObject = JSONObject()) {
        self.containerID = containerID
        self.netns = netns
        self.ifName = ifName
        self.args = args
        self.capabilityArgs = capabilityArgs
    }

    /// "K=V;K2=V2".
    public var cniArgsString: String { args.map { $0.0 + "=" + $0.1 }.joined(with: ";") }

    /// The arguments Kubernetes runtimes pass: IgnoreUnknown first, then the pod's identity.
    public static func kubernetesArgs(namespace: String, name: String, sandboxID: String, uid: String) -> [(String, String)] {
        [("IgnoreUnknown", "1"), ("K8S_POD_NAMESPACE", namespace), ("K8S_POD_NAME", name),
         ("K8S_POD_INFRA_CONTAINER_ID", sandboxID), ("K8S_POD_UID", uid)]
    }

    /// Parses user-given args: "K=V;K2=V2" (any number of such strings). Values cannot hold ';' or '='.
    public static func parseArgs(_ texts: [String]) throws(PodrigError) -> [(String, String)] {
        var out: [(String, String)] = []
        for text in texts {
            for item in text.split(separator: ";") where !item.isEmpty {
                let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw PodrigError.invalid("CNI args: \"\(item)\" is not KEY=VALUE")
                }
                if kv[1].contains("=") { throw PodrigError.invalid("CNI args: the value of \(kv[0]) must not contain '='") }
                try Validate.cniArgValue(String(kv[0]), what: "CNI args key")
                out.append((String(kv[0]), String(kv[1])))
            }
        }
        return out
    }

    /// Later pairs override earlier ones with the same key (user args over the K8S_* ones).
    public static func merge(_ base: [(String, String)], _ extra: [(String, String)]) -> [(String, String)] {
        var out = base
        for (k, v) in extra {
            if let i = out.firstIndex(where: { $0.0 == k }) { out[i].1 = v } else { out.append((k, v)) }
        }
        return out
    }
}

/// Builds what a plugin reads on stdin (libcni's buildOneConfig).
public enum CNIPluginConfig {
    /// Capabilities podrig knows how to fill (the CONVENTIONS.md list).
    public static let knownCapabilities = ["portMappings", "ipRanges", "bandwidth", "dns", "ips", "mac", "aliases",
                                          "cgroupPath", "infinibandGUID", "deviceID", "io.kubernetes.cri.pod-annotations"]

    /// The plugin's object with the list's `name` and `cniVersion`, `prevResult` when given, and a
    /// `runtimeConfig` holding only the capability args the plugin declares `true`.
    public static func build(_ plugin: JSONObject, name: String, cniVersion: String, prevResult: JSON?,
                             capabilityArgs: JSONObject) -> JSON {
        var o = plugin
        o["name"] = .string(name)
        o["cniVersion"] = .string(cniVersion)
        if let prevResult { o["prevResult"] = prevResult }
        if let caps = plugin["capabilities"]?.object, !capabilityArgs.isEmpty {
            var rc = JSONObject()
            for (key, enabled) in caps where enabled.bool == true {
                if let v = capabilityArgs[key] { rc[key] = v }
            }
            if !rc.isEmpty { o["runtimeConfig"] = .object(rc) }
        }
        return .object(o)
    }
}
