#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The throwaway empty netns `podrig gc` runs a DEL in when the netns its ADD ran in (a cluster
/// node's) is gone. Named `pr-gc-<pid>-<start time>-<random>` after the gc process that made
/// it, and recorded in `<root>/gc-netns/<name>` before it is made: after a kill -9 mid-gc, the
/// next gc of that root removes those whose gc process is gone, and doctor reports them. One a
/// running gc still uses, and another root's, are never touched.
public enum ScratchNetns {
    public static let prefix = "pr-gc-"

    public static func markerDirectory(root: String) -> String { root + "/gc-netns" }

    /// A new name owned by this process.
    public static func newName() throws(PodrigError) -> String {
        let me = ProcessIdentity.of(getpid()) ?? ProcessIdentity(pid: getpid(), startTime: 0)
        return "\(prefix)\(me.pid)-\(me.startTime)-\(Identifiers.hex(try Identifiers.random(3)))"
    }

    /// The gc process a scratch netns name says made it (nil: not a scratch netns name).
    public static func owner(of name: String) -> ProcessIdentity? {
        guard name.hasPrefix(prefix) else { return nil }
        let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = Int32(parts[0]), pid > 0, let start = UInt64(parts[1]), !parts[2].isEmpty else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// This root's scratch netns whose gc process is gone (a kill -9 mid-gc), sorted.
    public static func stale(root: String) -> [String] {
        ((try? Files.list(markerDirectory(root: root))) ?? []).filter { name in owner(of: name).map { !$0.isAlive } ?? false }.sorted()
    }

    /// Makes a scratch netns for `root`'s gc and runs `body` with its path; it is deleted afterwards.
    public static func with(root: String, _ body: (String) throws(PodrigError) -> Void) throws(PodrigError) {
        let name = try newName()
        let dir = markerDirectory(root: root)
        try Files.makeDirectories(dir, mode: 0o700)
        try Files.writeAtomic(dir + "/" + name, "", mode: 0o600, sync: false)
        defer { try? remove(name, root: root) }
        try IPRoute.run(["netns", "add", name], step: "gc: scratch netns \(name)")
        Checkpoint.mark("gc:scratch-netns")
        try body(NetnsPin.defaultDirectory + "/" + name)
    }

    /// Deletes the netns (if it was made) and then its record.
    public static func remove(_ name: String, root: String) throws(PodrigError) {
        if Files.exists(NetnsPin.defaultDirectory + "/" + name) {
            try IPRoute.run(["netns", "del", name], step: "gc: remove scratch netns \(name)")
        }
        try? Files.remove(markerDirectory(root: root) + "/" + name)
        _ = rmdir(markerDirectory(root: root))  // once it is empty
    }
}
