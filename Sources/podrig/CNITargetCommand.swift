import PodrigCNI
import PodrigCore

/// `cni add|check|del`: one target (a netns path or a sandbox) resolved the same way.
protocol CNITargetCommand {
    var global: GlobalOptions { get }
    var network: NetworkOptions { get }
    var tool: CNIToolOptions { get }
    var target: String { get }
}

extension CNITargetCommand {
    /// Resolves the target (locking a sandbox) and runs `body`. ADD and DEL also hold the root's
    /// CNI lock shared: GC takes it exclusively, as the spec forbids GC alongside ADD/DEL.
    func withTarget(holdingCNILock: Bool, _ body: (inout CNITarget, CNIOptions) throws -> Void) throws {
        global.apply()
        let cni = try network.cniOptions()
        var rootLock: FileLock?
        if holdingCNILock {
            try Files.makeDirectories(global.root, mode: 0o700)
            rootLock = try FileLock(CNINetwork.lockPath(root: global.root), exclusive: false)
        }
        defer { rootLock?.unlock() }
        var t = try CNITarget.resolve(target, global: global, cni: cni, tool: tool)
        defer { t.lock?.unlock() }
        try body(&t, cni)
    }
}

extension CNITarget {
    /// The networks a sandbox has plus those this verb names, in order (the keys of `aliases`).
    static func networkNames(_ state: [CNINetwork.Attached], _ lists: [CNIConfigList]) -> [String] {
        var out = state.map(\.list.name)
        for l in lists where !out.contains(l.name) { out.append(l.name) }
        return out
    }

    /// Records in a sandbox target what is attached now, so stopp DELs exactly that (a bare
    /// netns target has no record).
    mutating func save(_ state: [CNINetwork.Attached]) throws {
        guard var record, let store else { return }
        record.network = state.isEmpty ? nil : CNINetwork.stateJSON(state)
        record.networkAttached = !state.isEmpty
        try store.save(record)
        self.record = record
    }
}
