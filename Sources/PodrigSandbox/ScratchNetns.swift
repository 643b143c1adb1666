#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The throwaway empty netns `podrig gc` runs a DEL in when the netns its ADD ran in (a cluster
/// node's) is gone. Named `pr-gc-<pid>-<start time>-<random>` after the gc process that made
/// it, so after a kill -9 mid-gc the next gc (and doctor) can tell a leftover whose owner is
/// gone from one a running gc still uses, and never touch the latter.
public enum ScratchNetns {
    public static let prefix = "pr-gc-"

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

    /// Scratch netns in `directory` whose gc process is gone (a kill -9 mid-gc), sorted.
    public static func stale(in directory: String = NetnsPin.defaultDirectory) -> [String] {
        ((try? Files.list(directory)) ?? []).filter { name in owner(of: name).map { !$0.isAlive } ?? false }.sorted()
    }

    /// Makes a scratch netns and runs `body` with its path; it is deleted afterwards.
    public static func with(_ body: (String) throws(PodrigError) -> Void) throws(PodrigError) {
        let name = try newName()
        try IPRoute.run(["netns", "add", name], step: "gc: scratch netns \(name)")
        defer { try? remove(name) }
        Checkpoint.mark("gc:scratch-netns")
        try body(NetnsPin.defaultDirectory + "/" + name)
    }

    public static func remove(_ name: String) throws(PodrigError) {
        try IPRoute.run(["netns", "del", name], step: "gc: remove scratch netns \(name)")
    }
}
