/// Kubernetes' `$(VAR)` expansion (k8s.io/kubernetes/third_party/forked/golang/expansion):
/// `$(NAME)` becomes the variable's value when it is defined and stays as written otherwise;
/// `$$` is an escaped `$`, so `$$(NAME)` yields the literal `$(NAME)`.
public enum Expansion {
    public static func expand(_ input: String, _ lookup: (String) -> String?) -> String {
        let s = Array(input.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "$", i + 1 < s.count else {
                out.append(s[i])
                i += 1
                continue
            }
            let next = s[i + 1]
            if next == "$" {
                out.append("$")
                i += 2
            } else if next == "(" {
                if let close = s[(i + 2)...].firstIndex(of: ")") {
                    let name = String(String.UnicodeScalarView(s[(i + 2)..<close]))
                    if let value = lookup(name) { out.append(contentsOf: value.unicodeScalars) } else {
                        out.append(contentsOf: "$(\(name))".unicodeScalars)
                    }
                    i = close + 1
                } else {
                    out.append(contentsOf: "$(".unicodeScalars)
                    i += 2
                }
            } else {
                out.append("$")
                out.append(next)
                i += 2
            }
        }
        return String(out)
    }

    /// The container's environment in order: each value may refer to variables defined before it.
    public static func environment(_ vars: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var defined: [String: String] = [:]
        var out: [(name: String, value: String)] = []
        for (name, value) in vars {
            let v = expand(value) { defined[$0] }
            defined[name] = v
            if let i = out.firstIndex(where: { $0.name == name }) { out[i].value = v } else { out.append((name, v)) }
        }
        return out
    }
}

/// The downward API's fieldRef values a container's env may read.
public struct FieldRef: Sendable {
    public var name: String
    public var namespace: String
    public var uid: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var nodeName: String
    public var serviceAccountName: String
    public var hostIPs: [String]
    public var podIPs: [String]

    public init(name: String, namespace: String, uid: String, labels: [String: String] = [:], annotations: [String: String] = [:],
                nodeName: String, serviceAccountName: String = "default", hostIPs: [String], podIPs: [String]) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.labels = labels
        self.annotations = annotations
        self.nodeName = nodeName
        self.serviceAccountName = serviceAccountName
        self.hostIPs = hostIPs
        self.podIPs = podIPs
    }

    static let plain: Set<String> = ["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                                     "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"]

    public static func isSupported(_ path: String) -> Bool {
        plain.contains(path) || subscriptKey(path, "metadata.labels") != nil || subscriptKey(path, "metadata.annotations") != nil
    }

    /// `metadata.labels['key']` → key.
    static func subscriptKey(_ path: String, _ prefix: String) -> String? {
        guard path.hasPrefix(prefix + "['"), path.hasSuffix("']") else { return nil }
        return String(path.dropFirst(prefix.count + 2).dropLast(2))
    }

    public func value(_ path: String) -> String {
        switch path {
        case "metadata.name": return name
        case "metadata.namespace": return namespace
        case "metadata.uid": return uid
        case "spec.nodeName": return nodeName
        case "spec.serviceAccountName": return serviceAccountName
        case "status.hostIP": return hostIPs.first ?? ""
        case "status.hostIPs": return hostIPs.joined(separator: ",")
        case "status.podIP": return podIPs.first ?? ""
        case "status.podIPs": return podIPs.joined(separator: ",")
        default:
            if let k = FieldRef.subscriptKey(path, "metadata.labels") { return labels[k] ?? "" }
            if let k = FieldRef.subscriptKey(path, "metadata.annotations") { return annotations[k] ?? "" }
            return ""
        }
    }
}
