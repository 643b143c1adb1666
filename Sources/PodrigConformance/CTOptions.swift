import PodrigCNI
import PodrigCore

/// How a single-plugin config is tested.
public enum CTMode: String, Sendable, CaseIterable {
    /// Decide: a config with `ipam`, or loopback, stands alone; any other single plugin is chained.
    case auto
    case standalone
    /// After podrig's bridge + host-local, which provides prevResult.
    case chained
    /// A conflist of several plugins, tested as one chain.
    case list
}

public struct CTOptions: Sendable {
    public var binDirs = CNIPluginRunner.defaultBinDirs
    /// Per plugin exec; a hang is a failure, so keep it short.
    public var timeout: Double = 10
    /// Versions to test (default: every version the plugin claims that podrig speaks).
    public var versions: [String]?
    /// Only rules whose id matches this regular expression.
    public var only: String?
    public var mode: CTMode = .auto
    /// Parallel ADDs of the concurrency check (1 skips it: e.g. one host-device, static IPAM).
    public var parallel = 4
    /// Capability args merged over podrig's defaults (portMappings, bandwidth, dns).
    public var capArgs = JSONObject()
    public var ifName = "eth0"
    /// Where the trace goes (kept after the run, for `podrig trace FILE --replay N`).
    public var tracePath: String?
    /// Keep the node and container netns (to replay a failed exec against them).
    public var keep = false
    /// Shell commands run in the fresh node netns before any check (a dummy parent for macvlan …).
    public var setup: [String] = []
    /// Shell commands run in the node netns after `setup` that must succeed for the plugin to be
    /// testable on this machine (the kernel has ipvlan, vrf …); one failing skips the whole run.
    public var requires: [String] = []
    /// "rule" or "rule@version" → why it fails: a known plugin bug, reported as XFAIL.
    public var expected: [String: String] = [:]
    /// Run the subject's `type` from this file instead of the bin dirs.
    public var pluginPath: String?

    public init() {}
}
