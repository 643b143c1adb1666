import PodrigCore

/// One line of a uid_map or gid_map (CRI IDMapping): `length` IDs from `containerID` inside are
/// `hostID…` outside.
public struct IDMapping: Sendable, Codable, Equatable {
    public var containerID: Int
    public var hostID: Int
    public var length: Int

    public init(containerID: Int, hostID: Int, length: Int) {
        self.containerID = containerID
        self.hostID = hostID
        self.length = length
    }

    var containerRange: Range<Int> { containerID..<(containerID + length) }
    var hostRange: Range<Int> { hostID..<(hostID + length) }
}

/// A pod's own user namespace (CRI userns_options mode POD; manifest `hostUsers: false`), made by
/// pause and joined by every container. nil on a config means NODE: the host's.
public struct UserNamespaceConfig: Sendable, Codable, Equatable {
    public var uids: [IDMapping]
    public var gids: [IDMapping]

    public init(uids: [IDMapping], gids: [IDMapping]) {
        self.uids = uids
        self.gids = gids
    }

    /// What kubelet asks for with `hostUsers: false`: one 65536-ID range, the same for uids and
    /// gids, which SandboxManager.run picks (empty mappings until then).
    public static let automatic = UserNamespaceConfig(uids: [], gids: [])
    public var isAutomatic: Bool { uids.isEmpty && gids.isEmpty }

    /// kubelet's range size per pod, and where its ranges start (IDs 0-65535 stay the host's).
    public static let rangeLength = 65536
    /// Ranges podrig hands out: blocks 1…110 (kubelet's default maxPods) of 65536 IDs.
    public static let automaticBlocks = 1...110

    /// The kernel's format: "inside outside length" lines, written in one go.
    public static func procMap(_ m: [IDMapping]) -> String {
        m.map { "\($0.containerID) \($0.hostID) \($0.length)\n" }.joined()
    }

    /// The host ID an ID inside maps to, or nil when it is not mapped.
    public static func host(_ id: Int, in m: [IDMapping]) -> Int? {
        m.first { $0.containerRange.contains(id) }.map { $0.hostID + id - $0.containerID }
    }

    /// CRI's rules for POD mode, as containerd checks them (plus the kernel's for several lines):
    /// uid and gid mappings both given, lengths ≥ 1, within 32 bits, ID 0 mapped, no two lines of
    /// one map overlapping inside or outside.
    static func check(_ m: [IDMapping], path: String) throws(PodrigError) {
        guard !m.isEmpty else { throw PodrigError.invalid("\(path): mode POD needs uid and gid mappings (or leave userns_options out for NODE)") }
        // The kernel takes at most 340 lines (UID_GID_MAP_MAX_EXTENTS).
        guard m.count <= 340 else { throw PodrigError.invalid("\(path): \(m.count) mappings, the kernel takes at most 340") }
        let max = 1 << 32
        for (i, e) in m.enumerated() {
            let at = "\(path)[\(i)]"
            guard e.length >= 1 else { throw PodrigError.invalid("\(at).length: must be at least 1, got \(e.length)") }
            // Compared as max - length: containerID + length overflowed for an ID near Int's max (a trap).
            guard e.containerID >= 0, e.containerID <= max - e.length else { throw PodrigError.invalid("\(at): container IDs \(e.containerID)+\(e.length) exceed 32 bits") }
            guard e.hostID >= 0, e.hostID <= max - e.length else { throw PodrigError.invalid("\(at): host IDs \(e.hostID)+\(e.length) exceed 32 bits") }
            for (j, o) in m.enumerated() where j < i {
                if e.containerRange.overlaps(o.containerRange) { throw PodrigError.invalid("\(at): container IDs overlap \(path)[\(j)]") }
                if e.hostRange.overlaps(o.hostRange) { throw PodrigError.invalid("\(at): host IDs overlap \(path)[\(j)]") }
            }
        }
        guard host(0, in: m) != nil else { throw PodrigError.invalid("\(path): container ID 0 must be mapped (the pod's root)") }
    }

    /// userns_options as CRI gives it (snake_case); nil for NODE.
    public static func parse(_ u: JSONObject, path: String) throws(PodrigError) -> UserNamespaceConfig? {
        var ur = ConfigReader(.object(u), path: path)
        let mode = try ur.take("mode").map { v throws(PodrigError) in try NamespaceMode(json: v, field: "\(path).mode") } ?? .pod
        func mappings(_ key: String) throws(PodrigError) -> [IDMapping] {
            var out: [IDMapping] = []
            for (i, item) in (try ur.array(key) ?? []).enumerated() {
                var mr = ConfigReader(item, path: "\(path).\(key)[\(i)]")
                let c = try mr.int("container_id") ?? 0, h = try mr.int("host_id") ?? 0, l = try mr.int("length") ?? 0
                try mr.finish()
                out.append(IDMapping(containerID: c, hostID: h, length: l))
            }
            return out
        }
        let uids = try mappings("uids"), gids = try mappings("gids")
        try ur.finish()
        switch mode {
        case .node:
            if !uids.isEmpty || !gids.isEmpty { throw PodrigError.invalid("\(path): NODE takes no uids/gids mappings") }
            return nil
        case .container, .target:
            throw PodrigError.invalid("\(path).mode: \(mode.criName) is not a valid user namespace mode for a sandbox (POD or NODE)")
        case .pod:
            try check(uids, path: "\(path).uids")
            try check(gids, path: "\(path).gids")
            return UserNamespaceConfig(uids: uids, gids: gids)
        }
    }

    var json: JSON {
        func lines(_ m: [IDMapping]) -> JSON {
            .array(m.map { ["containerId": .int($0.containerID), "hostId": .int($0.hostID), "length": .int($0.length)] })
        }
        return ["mode": "POD", "uids": lines(uids), "gids": lines(gids)]
    }

    init?(recordJSON j: JSON?) {
        guard let j, j["mode"]?.string == "POD" else { return nil }
        func lines(_ v: JSON?) -> [IDMapping] {
            (v?.array ?? []).map { IDMapping(containerID: $0["containerId"]?.int ?? 0, hostID: $0["hostId"]?.int ?? 0, length: $0["length"]?.int ?? 0) }
        }
        self.init(uids: lines(j["uids"]), gids: lines(j["gids"]))
    }
}

extension SandboxManager {
    /// A `hostUsers: false` pod's range: the lowest 65536-ID block that no sandbox of this root and
    /// no running pod's user namespace on the machine (any root: live pause processes' uid_map and
    /// gid_map) uses. Called under `<root>/userns.lock` until the record naming it is saved.
    func pickUserNamespaceRange(excluding id: String) throws(PodrigError) -> UserNamespaceConfig {
        var used: [Range<Int>] = []
        for r in (try? store.list()) ?? [] where r.id != id {
            for m in (r.config.userNamespace?.uids ?? []) + (r.config.userNamespace?.gids ?? []) { used.append(m.hostRange) }
        }
        for p in SandboxProcesses.scan() where p.kind == .pause {
            for file in ["uid_map", "gid_map"] {
                for line in ((try? Files.readString("/proc/\(p.identity.pid)/\(file)")) ?? "").split(separator: "\n") {
                    let f = line.split(separator: " ").compactMap { Int($0) }
                    if f.count == 3, f[1] != 0 || f[2] != 4_294_967_295 { used.append(f[1]..<(f[1] + f[2])) }
                }
            }
        }
        let n = UserNamespaceConfig.rangeLength
        for block in UserNamespaceConfig.automaticBlocks {
            let range = (block * n)..<((block + 1) * n)
            if !used.contains(where: { $0.overlaps(range) }) {
                let m = [IDMapping(containerID: 0, hostID: block * n, length: n)]
                return UserNamespaceConfig(uids: m, gids: m)
            }
        }
        throw PodrigError(.conflict, "hostUsers: false: no free user-namespace range (\(UserNamespaceConfig.automaticBlocks.count) ranges of \(n) IDs from \(n), all in use)")
    }
}
