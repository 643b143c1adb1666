import PodrigCore

/// One piece of podrig-made state with no live owner.
public struct Leak: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case state, pin, pause, supervisor, interface, cache, lease, iptables, logs, cluster, cgroup
    }

    /// Who the leaked object belongs to, as far as doctor can tell.
    public enum Owner: Sendable, Equatable {
        /// The scanned --root.
        case root
        /// Another podrig state root (named in a pause marker or a cache entry).
        case otherRoot(String)
        /// Looks podrig-made (name, location) but names no root.
        case unknown
    }

    public var kind: Kind
    /// The path, interface, pid or iptables chain.
    public var object: String
    public var sandboxID: String?
    public var owner: Owner
    public var reason: String

    public init(_ kind: Kind, _ object: String, sandboxID: String? = nil, owner: Owner, reason: String) {
        self.kind = kind
        self.object = object
        self.sandboxID = sandboxID
        self.owner = owner
        self.reason = reason
    }

    public var ownerName: String {
        switch owner {
        case .root: return "root"
        case .otherRoot(let r): return r
        case .unknown: return "unknown"
        }
    }

    public var json: JSON {
        ["kind": .string(kind.rawValue), "object": .string(object),
         "sandbox": sandboxID.map { .string($0) } ?? nil, "owner": .string(ownerName), "reason": .string(reason)]
    }

    /// A stable key for comparing scans (baselines, settle re-scans).
    public var key: String { kind.rawValue + " " + object }
}
