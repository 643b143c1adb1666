import PodrigCore

/// Finds network configuration lists the way libcni/CRI-O do: *.conf, *.conflist, *.json in the
/// conf dir, sorted by path; invalid files are skipped with a warning (containerd aborts instead,
/// which users hate); the first valid list is the default network; two lists with one name: first wins.
public struct CNIDiscovery: Sendable {
    public var confDir: String
    /// Used when the conf dir holds no config files at all.
    public var useEmbeddedDefault: Bool
    public var warn: @Sendable (String) -> Void

    public init(confDir: String, useEmbeddedDefault: Bool = true, warn: @escaping @Sendable (String) -> Void = { Log.warn($0) }) {
        self.confDir = confDir
        self.useEmbeddedDefault = useEmbeddedDefault
        self.warn = warn
    }

    /// The config files, sorted by path.
    public func files() throws(PodrigError) -> [String] {
        let names = try Files.list(confDir).filter { $0.hasSuffix(".conf") || $0.hasSuffix(".conflist") || $0.hasSuffix(".json") }
        return names.sorted().map { confDir + "/" + $0 }
    }

    public static func load(file: String) throws(PodrigError) -> CNIConfigList {
        let bytes = try Files.read(file)
        if bytes.isEmpty { throw PodrigError.invalid("\(file): the file is empty") }
        return try CNIConfigList.parse(bytes, source: file, singlePlugin: file.hasSuffix(".conflist") ? false : nil)
    }

    /// Every valid list, in order, first of each name only.
    public func all() throws(PodrigError) -> [CNIConfigList] {
        var out: [CNIConfigList] = []
        try scan { list in
            if !out.contains(where: { $0.name == list.name }) { out.append(list) }
            return false
        }
        return out
    }

    /// The networks to attach: the named ones in the order given, or the default (first valid).
    public func select(_ names: [String]) throws(PodrigError) -> [CNIConfigList] {
        var found: [String: CNIConfigList] = [:]
        var first: CNIConfigList?
        let looked = try scan { list in
            if first == nil { first = list }
            if names.contains(list.name), found[list.name] == nil { found[list.name] = list }
            return names.isEmpty || names.allSatisfy { found[$0] != nil }
        }
        if names.isEmpty {
            if let first { return [first] }
            if looked.isEmpty && useEmbeddedDefault { return [CNIDefaultNetwork.list] }
            throw noneValid(looked)
        }
        var out: [CNIConfigList] = []
        for name in names {
            if let list = found[name] { out.append(list); continue }
            if name == CNIDefaultNetwork.name && useEmbeddedDefault { out.append(CNIDefaultNetwork.list); continue }
            let known = (try? all().map(\.name)) ?? []
            throw PodrigError(.notFound, "CNI network \"\(name)\" not found in \(confDir)"
                + (known.isEmpty ? " (no valid config there)" : " (found: \(known.joined(separator: ", ")))"))
        }
        return out
    }

    /// Calls `visit` on each valid list until it returns true; returns the files looked at.
    @discardableResult
    func scan(_ visit: (CNIConfigList) -> Bool) throws(PodrigError) -> [String] {
        let paths = try files()
        for (i, path) in paths.enumerated() {
            let list: CNIConfigList
            do {
                list = try CNIDiscovery.load(file: path)
            } catch {
                warn("CNI config \(path) skipped: \(error.description.replacingPrefix(path + ": "))")
                continue
            }
            if visit(list) { return Array(paths[...i]) }
        }
        return paths
    }

    func noneValid(_ looked: [String]) -> PodrigError {
        PodrigError(.notFound, "no valid CNI network config in \(confDir) (looked at: \(looked.joined(separator: ", ")))")
    }
}

extension String {
    func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
