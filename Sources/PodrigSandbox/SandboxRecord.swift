import PodrigCore

public enum SandboxState: String, Sendable, Codable {
    /// runp has started but not finished (or died half-way: gc cleans these up).
    case creating
    case ready
    case notReady

    /// The CRI name crictl prints.
    public var criName: String { self == .ready ? "SANDBOX_READY" : "SANDBOX_NOTREADY" }
}

/// Everything podrig knows about one sandbox, stored as <root>/sandboxes/<id>/sandbox.json.
public struct SandboxRecord: Sendable {
    public var id: String
    public var config: PodSandboxConfig
    public var state: SandboxState
    /// Creation time, nanoseconds since the epoch (CRI's createdAt).
    public var createdAt: Int64
    /// The pause process holding the namespaces; nil before it started.
    public var pause: ProcessIdentity?
    /// The pinned network namespace; nil for hostNetwork sandboxes.
    public var netnsPath: String?
    /// Pod IPs, primary first (kubelet order).
    public var podIPs: [String]
    /// The network layer's own state (CNI attachments), opaque to the sandbox layer.
    public var network: JSON?
    /// Set once the network has been attached, so a crashed runp's cleanup knows to detach.
    public var networkAttached: Bool
    /// The simulated cluster node the sandbox runs on; nil = this host.
    public var node: SandboxNode?

    public init(id: String, config: PodSandboxConfig, createdAt: Int64) {
        self.id = id
        self.config = config
        self.state = .creating
        self.createdAt = createdAt
        self.podIPs = []
        self.networkAttached = false
    }

    /// The state with the pause process checked: a ready sandbox whose pause died is NOTREADY.
    public var effectiveState: SandboxState {
        if state == .ready, let pause, !pause.isAlive { return .notReady }
        return state
    }

    /// /proc/<pause>/ns/<kind>, the path containers join (nil if pause is gone).
    public func namespacePath(_ kind: NamespaceKind) -> String? {
        guard let pause, pause.isAlive else { return nil }
        if kind == .net, let netnsPath { return netnsPath }
        return "/proc/\(pause.pid)/ns/\(kind.rawValue)"
    }
}
