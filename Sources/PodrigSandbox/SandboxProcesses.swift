#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// podrig's long-lived helper processes found in /proc, with the sandbox each belongs to:
/// pause carries `PODRIG_SANDBOX=<sandbox dir>` in its environment, the pod supervisor gets
/// `<sandbox dir>/pod/plan.json` as its argument. Used by gc and `podrig doctor --leaks`.
public struct SandboxProcess: Sendable, Equatable {
    public enum Kind: String, Sendable { case pause, supervisor }
    public var kind: Kind
    public var identity: ProcessIdentity
    /// <root>/sandboxes/<id>, or nil for an unmarked process (from an older podrig).
    public var sandboxDirectory: String?

    public init(kind: Kind, identity: ProcessIdentity, sandboxDirectory: String?) {
        self.kind = kind
        self.identity = identity
        self.sandboxDirectory = sandboxDirectory
    }

    /// The sandbox ID (last component of the sandbox directory).
    public var sandboxID: String? { sandboxDirectory.map { Files.basename(of: $0) } }
    /// The state root (two levels above the sandbox directory).
    public var root: String? { sandboxDirectory.map { Files.dirname(of: Files.dirname(of: $0)) } }
}

public enum SandboxProcesses {
    /// Every live podrig-pause and podrig-supervisor on the machine.
    public static func scan() -> [SandboxProcess] {
        var out: [SandboxProcess] = []
        for name in (try? Files.list("/proc")) ?? [] {
            guard let pid = Int32(name), let exe = executableName(pid) else { continue }
            let kind: SandboxProcess.Kind
            switch exe {
            case "podrig-pause": kind = .pause
            case "podrig-supervisor": kind = .supervisor
            default: continue
            }
            guard let identity = ProcessIdentity.of(pid), identity.isAlive else { continue }
            let dir: String?
            if kind == .pause {
                dir = environment(pid, SandboxManager.pauseMarker)
            } else {
                // argv[1] = <sandbox dir>/pod/plan.json (CRI containers: <sandbox dir>/containers/<id>/plan.json).
                dir = arguments(pid).dropFirst().first.flatMap(sandboxDirectory(fromPlan:))
            }
            out.append(SandboxProcess(kind: kind, identity: identity, sandboxDirectory: dir))
        }
        return out
    }

    /// The basename of /proc/<pid>/exe, without the " (deleted)" a rebuilt binary gets.
    static func executableName(_ pid: Int32) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/\(pid)/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        var path = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path.hasSuffix(" (deleted)") { path.removeLast(10) }
        return Files.basename(of: path)
    }

    static func environment(_ pid: Int32, _ key: String) -> String? {
        guard let bytes = try? Files.read("/proc/\(pid)/environ") else { return nil }
        let prefix = key + "="
        for entry in bytes.split(separator: 0) {
            let s = String(decoding: entry, as: UTF8.self)
            if s.hasPrefix(prefix) { return String(s.dropFirst(prefix.count)) }
        }
        return nil
    }

    static func arguments(_ pid: Int32) -> [String] {
        guard let bytes = try? Files.read("/proc/\(pid)/cmdline") else { return [] }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// ".../sandboxes/<id>/…/plan.json" → ".../sandboxes/<id>".
    static func sandboxDirectory(fromPlan path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let i = parts.lastIndex(of: "sandboxes"), i + 1 < parts.count, Identifiers.isHexID(String(parts[i + 1])) else { return nil }
        return parts[...(i + 1)].joined(separator: "/")
    }
}
