#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// Creates, fills and removes podrig's cgroups in every tree of a hierarchy. Only paths below
/// podrig's top directory are accepted (CgroupPath.isPodrigs); nothing else is ever written.
public struct CgroupTree: Sendable {
    public let hierarchy: CgroupHierarchy
    public var weightFormula: KubeletMapping.WeightFormula

    public init(hierarchy: CgroupHierarchy, weightFormula: KubeletMapping.WeightFormula = .quadratic) {
        self.hierarchy = hierarchy
        self.weightFormula = weightFormula
    }

    func guardPodrigs(_ relative: String) throws(PodrigError) {
        guard CgroupPath.isPodrigs(relative) else {
            throw PodrigError.invalid("cgroup \(relative): not below podrig's own \(CgroupHierarchy.topName)/ directory")
        }
    }

    /// mkdir -p of `relative` in every tree, then its values. Returns what was written (file=value).
    /// On failure the caller removes `relative` (remove() is idempotent).
    @discardableResult
    public func create(_ relative: String, _ resources: CgroupResources = CgroupResources()) throws(PodrigError) -> [CgroupResources.Write] {
        try guardPodrigs(relative)
        for c in hierarchy.controllers { try makePath(c, relative) }
        return try apply(relative, resources)
    }

    /// Writes `resources` into an existing cgroup.
    @discardableResult
    public func apply(_ relative: String, _ resources: CgroupResources) throws(PodrigError) -> [CgroupResources.Write] {
        try guardPodrigs(relative)
        var done: [CgroupResources.Write] = []
        for w in resources.writes(hierarchy.version, weightFormula: weightFormula) {
            guard let dir = hierarchy.directory(w.controller, relative) else {
                if w.optional { continue }
                throw PodrigError(.notFound, "cgroup \(relative): \(w.file)=\(w.value): the \(w.controller) controller is not mounted")
            }
            // An optional file the kernel lacks (memsw without swap accounting) is skipped: its
            // open says so (ENOENT, no O_CREAT), with no access(2) first.
            if let e = CgroupTree.write(dir + "/" + w.file, w.value, create: !w.optional) {
                if w.optional && e.errno == ENOENT { continue }
                throw e
            }
            done.append(w)
        }
        return done
    }

    /// `apply` to a cgroup that should exist, without the mkdirs `create` makes: false when a
    /// directory is missing (removed meanwhile: the caller `create`s it, which writes them all
    /// again), or on any other failure, which `create` then reports. An empty `resources` still
    /// checks that every tree's directory is there.
    public func reapply(_ relative: String, _ resources: CgroupResources) -> Bool {
        let writes = resources.writes(hierarchy.version, weightFormula: weightFormula)
        if writes.isEmpty { return hierarchy.directories(relative).allSatisfy(Files.isDirectory) }
        return (try? apply(relative, resources)) != nil
    }

    /// The limits in force in `relative` (what `inspectp` shows): the files podrig writes at
    /// the pod level, as the kernel reads them back; missing files are left out.
    public func limits(_ relative: String) -> [(file: String, value: String)] {
        let files: [(String, String)] = hierarchy.version == .v1
            ? [("cpu", "cpu.shares"), ("cpu", "cpu.cfs_period_us"), ("cpu", "cpu.cfs_quota_us"), ("memory", "memory.limit_in_bytes"), ("pids", "pids.max")]
            : [("cpu", "cpu.weight"), ("cpu", "cpu.max"), ("memory", "memory.max"), ("pids", "pids.max")]
        return files.compactMap { c, f in
            guard let dir = hierarchy.directory(c, relative), let v = try? Files.readString(dir + "/" + f) else { return nil }
            return (f, v.trimmed)
        }
    }

    /// One control file, written in one write(2) as the kernel wants. `create`: a fake tree's file
    /// is made (cgroupfs makes none); false: a missing file fails with ENOENT.
    public static func write(_ path: String, _ value: String, create: Bool = true) -> PodrigError? {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        if fd < 0 { return .system("open(\(path))", errno: errno) }
        defer { close(fd) }
        if let e = Files.writeAll(fd, Array(value.utf8), what: "\(path)=\(value)") { return e }
        return nil
    }

    func makePath(_ c: CgroupHierarchy.Controller, _ relative: String) throws(PodrigError) {
        if try makeLeaf(c, relative) { return }
        let parts = relative.split(separator: "/").map(String.init)
        // Another podrig may be pruning an emptied parent right now: ENOENT means start over.
        for attempt in 0..<5 {
            var dir = c.directory
            var raced = false
            for (i, part) in parts.enumerated() {
                let parent = dir
                dir += "/" + part
                if hierarchy.version == .v2 { try enableControllers(parent) }
                let made = mkdir(dir, 0o755) == 0
                if made || errno == EEXIST {
                    // Also when it exists: another podrig may have made it and not yet filled it.
                    if c.name == "cpuset" {
                        try inheritCpuset(parent: parent, dir)
                        // podrig's top, new: the kernel gives its descendants their parent's cpus
                        // and mems at mkdir (the flag is inherited), so theirs need no writes.
                        if made && i == 0 { _ = CgroupTree.write(dir + "/cgroup.clone_children", "1", create: false) }
                    }
                } else if errno == ENOENT && attempt < 4 {
                    raced = true
                    break
                } else {
                    throw PodrigError.system("mkdir(\(dir))", errno: errno)
                }
            }
            if !raced { return }
        }
    }

    /// v1, the common case (a container's cgroup below its pod's, a pod's that exists): one mkdir
    /// of the last component, where the walk below makes one per component (each EEXIST on
    /// cgroupfs still takes the kernel's lookup, five trees over). false: do the walk — a parent
    /// is missing (ENOENT), any other error (the walk reports it), or a cpuset that is not filled
    /// from its parent (the parent itself unfilled: another podrig is making it right now).
    func makeLeaf(_ c: CgroupHierarchy.Controller, _ relative: String) throws(PodrigError) -> Bool {
        guard hierarchy.version == .v1, let slash = relative.lastIndex(of: "/") else { return false }
        let dir = c.directory + "/" + relative
        let made = mkdir(dir, 0o755) == 0
        guard made || errno == EEXIST else { return false }
        if c.name == "cpuset" { return try inheritCpuset(parent: c.directory + "/" + relative[..<slash], dir, fresh: made) }
        return true
    }

    /// v1 cpuset: a new cgroup has empty cpus and mems and refuses tasks until they are set (runc's
    /// ensureParent). true when both are set now (a filled cpuset's parents are filled too: the
    /// kernel keeps each within its parent's). `fresh`: our mkdir made it, so its own are empty
    /// unless the kernel copied the parent's (cgroup.clone_children): its mems read once, no more.
    @discardableResult
    func inheritCpuset(parent: String, _ dir: String, fresh: Bool = false) throws(PodrigError) -> Bool {
        // Below podrig's top (cgroup.clone_children) the kernel filled both: one read says so.
        if fresh, let mems = CgroupTree.read(dir + "/cpuset.mems"), !mems.isEmpty { return true }
        var filled = true
        for f in ["cpuset.cpus", "cpuset.mems"] {
            if !fresh {
                guard let mine = CgroupTree.read(dir + "/" + f) else { filled = false; continue }
                if !mine.isEmpty { continue }
            }
            guard let theirs = CgroupTree.read(parent + "/" + f), !theirs.isEmpty else { filled = false; continue }
            // Pruned meanwhile by another podrig: the next mkdir below it starts over.
            if let e = CgroupTree.write(dir + "/" + f, theirs) { if Files.exists(dir) { throw e }; return false }
        }
        return filled
    }

    /// A control file's value, trimmed; nil when it cannot be read. One open, one read, one close:
    /// cgroupfs hands a small file over in one read (Files.readString's fstat and the read that
    /// sees EOF are two syscalls more, each ≈ 5 µs on this kind of VM).
    static func read(_ path: String) -> String? {
        guard let bytes = try? Files.readRegular(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self).trimmed
    }

    /// v2: the controllers podrig needs, enabled for `dir`'s children where `dir` offers them and
    /// has not enabled them yet (no write at all when they are on already).
    func enableControllers(_ dir: String) throws(PodrigError) {
        guard let offered = try? Files.readString(dir + "/cgroup.controllers") else { return }
        let enabled = Set(((try? Files.readString(dir + "/cgroup.subtree_control")) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        let available = Set(offered.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        let missing = CgroupHierarchy.v2Controllers.filter { available.contains($0) && !enabled.contains($0) }
        if missing.isEmpty { return }
        if let e = CgroupTree.write(dir + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " ")) { throw e }
    }

    /// rmdir of `relative` and everything below it in every tree (children first; EBUSY retried
    /// for up to a second while killed tasks leave), then of its parents up to and including
    /// podrig's top directory as long as they are empty. Gone already is fine.
    public func remove(_ relative: String) throws(PodrigError) {
        try guardPodrigs(relative)
        // v1: the kernel frees a removed cgroup's CFS bandwidth later, and until then checks a
        // parent's new quota against it: lift it first, so the pod's quota can be lowered at once.
        if hierarchy.version == .v1, let dir = hierarchy.directory("cpu", relative), Files.exists(dir + "/cpu.cfs_quota_us") {
            _ = CgroupTree.write(dir + "/cpu.cfs_quota_us", "-1")
        }
        var failure: PodrigError?
        for c in hierarchy.controllers {
            if let e = CgroupTree.removeTree(c.directory + "/" + relative) { failure = failure ?? e }
            var parts = relative.split(separator: "/").map(String.init)
            parts.removeLast()
            while !parts.isEmpty {
                if rmdir(c.directory + "/" + parts.joined(separator: "/")) != 0 { break }
                parts.removeLast()
            }
        }
        if let failure { throw failure }
    }

    /// The names in `dir` of one d_type (DT_DIR: subdirectories, without . and ..); nil and errno
    /// set when it cannot be opened. The one directory walk of cgroupfs here.
    static func entries(_ dir: String, type: Int) -> [String]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            guard e.pointee.d_type == UInt8(type) else { continue }
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    static func removeTree(_ dir: String) -> PodrigError? {
        guard let children = entries(dir, type: DT_DIR) else { return errno == ENOENT ? nil : .system("opendir(\(dir))", errno: errno) }
        for child in children { if let e = removeTree(dir + "/" + child) { return e } }
        for attempt in 0..<100 {
            if rmdir(dir) == 0 || errno == ENOENT { return nil }
            let err = errno
            // A fake tree (tests) holds plain files: remove them as cgroupfs would drop its own.
            if err == ENOTEMPTY, removePlainFiles(dir) { continue }
            guard err == EBUSY, attempt < 99 else {
                return PodrigError(.system, "rmdir(\(dir))", errno: err, cause: err == EBUSY ? "processes are still in it" : nil)
            }
            usleep(10_000)
        }
        return nil
    }

    static func removePlainFiles(_ dir: String) -> Bool {
        var removed = false
        for name in entries(dir, type: DT_REG) ?? [] where unlink(dir + "/" + name) == 0 { removed = true }
        return removed
    }

    /// Every podrig cgroup directory that is there (relative paths, parents first), for
    /// `doctor --leaks` and the tests' leak checks.
    public func existing() -> [String] {
        var out: Set<String> = []
        for c in hierarchy.controllers {
            func walk(_ rel: String, depth: Int) {
                guard depth < 8, let kids = CgroupTree.entries(c.directory + "/" + rel, type: DT_DIR) else { return }
                out.insert(rel)
                for k in kids { walk(rel + "/" + k, depth: depth + 1) }
            }
            if Files.isDirectory(c.directory + "/" + CgroupHierarchy.topName) { walk(CgroupHierarchy.topName, depth: 0) }
        }
        return out.sorted()
    }
}
