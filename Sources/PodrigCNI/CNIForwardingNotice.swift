import PodrigCore
import Synchronization

/// The built-in network's bridge plugin (isGateway, ipMasq) turns on the forwarding sysctls of the
/// netns it runs in and adds masquerade rules there, as any CNI bridge does under Kubernetes. In
/// the host's own netns that changes how a laptop routes, so podrig says so once, before the ADD.
public enum CNIForwardingNotice {
    /// The whole decision: only the built-in network, only in the host's initial netns, only
    /// while forwarding is off (once it is on there is nothing left to announce).
    public static func shouldWarn(hostNetns: Bool, forwardingOn: Bool, builtIn: Bool) -> Bool {
        builtIn && hostNetns && !forwardingOn
    }

    /// The embedded default or the same list installed by `podrig net default --write`: named
    /// `podrig`, with a gateway or masquerading bridge on podrig0.
    public static func isBuiltIn(_ list: CNIConfigList) -> Bool {
        list.name == CNIDefaultNetwork.name && list.plugins.contains {
            $0["type"]?.string == "bridge" && $0["bridge"]?.string == CNIDefaultNetwork.bridge
                && ($0["isGateway"]?.bool == true || $0["ipMasq"]?.bool == true)
        }
    }

    public static func message(off: [String]) -> String {
        let what = off.isEmpty ? "forwarding" : off.joined(separator: " and ")
        return "the built-in network turns on \(what) on this host (as a CNI bridge with isGateway does) "
            + "and adds masquerade rules; to avoid it, run in a node namespace (your own: ip netns add NAME; ip netns exec NAME podrig …; or a cluster node's: --node NAME) or bring your own networks (--cni-conf-dir DIR)"
    }

    private static let warned = Atomic<Bool>(false)

    /// Before the ADD of `lists` whose plugins run in this process's netns (not a node's). Costs
    /// nothing unless a list is the built-in one; then two stats, then the sysctls in the host netns.
    public static func warnIfNeeded(_ lists: [CNIConfigList], warn: (String) -> Void = { Log.warn($0) }) {
        guard lists.contains(where: isBuiltIn), !warned.load(ordering: .relaxed) else { return }
        let host = HostForwarding.inInitialNetns()
        let off = host ? HostForwarding.off() : []
        guard shouldWarn(hostNetns: host, forwardingOn: off.isEmpty, builtIn: true) else { return }
        // Once per process: the pods of one `up` all see forwarding still off.
        if warned.exchange(true, ordering: .relaxed) { return }
        warn(message(off: off))
    }
}
