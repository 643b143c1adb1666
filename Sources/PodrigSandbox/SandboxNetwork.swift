import PodrigCore

/// What a sandbox's network layer (CNI) gets to work with.
public struct SandboxNetworkContext: Sendable {
    public var record: SandboxRecord
    /// The sandbox's state directory (<root>/sandboxes/<id>): traces and other files go here.
    public var directory: String
    /// The podrig state root (<root>), for locks shared between sandboxes.
    public var root: String

    public init(record: SandboxRecord, directory: String, root: String) {
        self.record = record
        self.directory = directory
        self.root = root
    }
}

/// The result of attaching a sandbox to its networks.
public struct NetworkAttachment: Sendable {
    /// Pod IPs in kubelet order (primary family first, at most one per family).
    public var podIPs: [String]
    /// Whatever the network layer needs to detach later (stored in the sandbox record as is).
    public var state: JSON

    public init(podIPs: [String], state: JSON) {
        self.podIPs = podIPs
        self.state = state
    }
}

/// The network layer plugged into the sandbox lifecycle (PodrigCNI provides the real one).
public protocol SandboxNetworkProvider: Sendable {
    /// Attaches a sandbox whose netns is `context.record.netnsPath` (ADD). On failure it must
    /// undo its own partial work (DEL of what was added) before throwing.
    func attach(_ context: SandboxNetworkContext) throws(PodrigError) -> NetworkAttachment
    /// Detaches (DEL). Idempotent; runs even when the netns is already gone; uses
    /// `context.record.network` (what attach returned) when present.
    func detach(_ context: SandboxNetworkContext) throws(PodrigError)
}

/// The network layer before CNI: the netns with only `lo` up, and no Pod IPs.
public struct LoopbackOnlyNetwork: SandboxNetworkProvider {
    public init() {}
    public func attach(_ context: SandboxNetworkContext) throws(PodrigError) -> NetworkAttachment {
        NetworkAttachment(podIPs: [], state: .null)
    }
    public func detach(_ context: SandboxNetworkContext) throws(PodrigError) {}
}
