#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore

/// `podrig doctor` without --leaks: can this machine run pod sandboxes?
public struct EnvironmentCheck: Sendable {
    public enum Status: String, Sendable { case ok, warn, fail }
    public var name: String
    public var status: Status
    public var detail: String

    public init(_ name: String, _ status: Status, _ detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }

    public var json: JSON { ["check": .string(name), "status": .string(status.rawValue), "detail": .string(detail)] }

    public struct Options: Sendable {
        public var root = "/run/podrig"
        public var binDirectories = ["/opt/cni/bin", "/usr/libexec/cni", "/usr/lib/cni"]
        public var confDirectory = "/etc/cni/net.d"
        public var netnsDirectory = "/run/netns"
        /// The built-in network's name and bridge (the CLI passes CNIDefaultNetwork's).
        public var builtInNetwork = "podrig"
        public var builtInBridge = "podrig0"
        /// The resolved pause path, or why it could not be found.
        public var pause: Result<String, PodrigError> = .failure(PodrigError(.notFound, "not looked up"))
        public init() {}
    }

    public static func run(_ o: Options) -> [EnvironmentCheck] {
        var out: [EnvironmentCheck] = []
        out.append(geteuid() == 0 ? .init("root", .ok, "running as root")
                   : .init("root", .fail, "podrig needs root (namespaces, mounts, CNI plugins)"))
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        out.append(.init("kernel", .ok, "Linux " + release))
        out.append(pause(o.pause))
        out.append(supervisor(o.pause))
        let plugins = pluginsFound(o.binDirectories)
        out.append(pluginCheck(plugins, o.binDirectories))
        out.append(contentsOf: confCheck(o.confDirectory, plugins: plugins))
        out.append(netnsCheck(o.netnsDirectory))
        out.append(toolCheck("iptables", why: "portmap and ipMasq need it", args: ["--version"]))
        out.append(toolCheck("ip6tables", why: "IPv6 portmap and ipMasq need it", args: ["--version"]))
        out.append(forwardingCheck(HostForwarding.values(), bridgePresent: Files.exists("/sys/class/net/\(o.builtInBridge)"), bridge: o.builtInBridge))
        out.append(masqueradeCheck(network: o.builtInNetwork))
        out.append(toolCheck("ip", why: "not needed by podrig, but by the tests and hack/bench", args: ["-V"]))
        out.append(cgroupCheck())
        out.append(stateRootCheck(o.root))
        return out
    }

    static func pause(_ r: Result<String, PodrigError>) -> EnvironmentCheck {
        switch r {
        case .failure(let e): return .init("pause", .fail, e.description)
        case .success(let path):
            let v = HostState.tool(path, ["-v"])?.trimmed
            return v?.hasPrefix("podrig-pause") == true ? .init("pause", .ok, "\(path) (\(v!))")
                : .init("pause", .fail, "\(path) does not answer -v like podrig-pause")
        }
    }

    static func supervisor(_ pause: Result<String, PodrigError>) -> EnvironmentCheck {
        var candidates: [String] = []
        if let env = getenv("PODRIG_SUPERVISOR") { candidates.append(String(cString: env)) }
        if case .success(let p) = pause { candidates.append(Files.dirname(of: p) + "/podrig-supervisor") }
        if let dir = Proc.executableDirectory() { candidates.append(dir + "/podrig-supervisor") }
        if let found = candidates.first(where: { access($0, X_OK) == 0 }) { return .init("supervisor", .ok, found) }
        return .init("supervisor", .warn, "podrig-supervisor not found beside pause or podrig (needed for containers)")
    }

    /// Plugin name → first directory holding it, in bin dir order.
    static func pluginsFound(_ dirs: [String]) -> [(name: String, dir: String)] {
        var seen: Set<String> = []
        var out: [(String, String)] = []
        for dir in dirs {
            for name in ((try? Files.list(dir)) ?? []).sorted() where !seen.contains(name) && access(dir + "/" + name, X_OK) == 0 {
                seen.insert(name)
                out.append((name, dir))
            }
        }
        return out
    }

    static func pluginCheck(_ plugins: [(name: String, dir: String)], _ dirs: [String]) -> EnvironmentCheck {
        if plugins.isEmpty { return .init("cni plugins", .fail, "none in \(dirs.joined(separator: ":")) (Debian: apt install containernetworking-plugins)") }
        let names = plugins.map(\.name)
        let byDir = Dictionary(grouping: plugins, by: \.dir).keys.sorted().joined(separator: ", ")
        let missing = ["loopback", "bridge", "host-local", "portmap"].filter { !names.contains($0) }
        let text = "\(plugins.count) in \(byDir): \(names.joined(separator: " "))"
        return missing.isEmpty ? .init("cni plugins", .ok, text) : .init("cni plugins", .warn, text + "; missing " + missing.joined(separator: ", "))
    }

    static func confCheck(_ dir: String, plugins: [(name: String, dir: String)]) -> [EnvironmentCheck] {
        guard Files.isDirectory(dir) else { return [.init("cni config", .warn, "\(dir) does not exist (podrig uses its built-in default network)")] }
        let files = ((try? Files.list(dir)) ?? []).filter { $0.hasSuffix(".conf") || $0.hasSuffix(".conflist") || $0.hasSuffix(".json") }.sorted()
        if files.isEmpty { return [.init("cni config", .warn, "no *.conf, *.conflist or *.json in \(dir)")] }
        let have = Set(plugins.map(\.name))
        var out: [EnvironmentCheck] = []
        for f in files {
            let path = dir + "/" + f
            let json: JSON
            do { json = try JSONParser.parse(bytes: try Files.read(path)) } catch {
                out.append(.init("cni config", .warn, "\(path): \(error) (skipped)"))
                continue
            }
            let name = json["name"]?.string ?? "?"
            let types = (json["plugins"]?.array ?? [json]).compactMap { $0["type"]?.string }
            let missing = types.filter { !have.contains($0) }
            let text = "\(path): network \(name) (\(types.joined(separator: " → ")))"
            out.append(missing.isEmpty ? .init("cni config", .ok, text) : .init("cni config", .warn, text + "; plugin not found: " + missing.joined(separator: ", ")))
        }
        return out
    }

    /// Makes a network, UTS and IPC namespace the way pause does, in a throwaway child.
    static func netnsCheck(_ netnsDir: String) -> EnvironmentCheck {
        guard Files.exists("/proc/self/ns/net") else { return .init("namespaces", .fail, "/proc/self/ns/net missing: no namespace support") }
        guard let t = Spawner.lookPath("true", path: nil) else { return .init("namespaces", .warn, "no `true` to test with") }
        var s = SpawnOptions(path: t, arguments: ["true"])
        s.unshare = [.net, .uts, .ipc]
        s.loopbackUp = true
        do {
            let r = try ProcessRunner.run(s, timeout: 10)
            guard r.status.success else { return .init("namespaces", .fail, "test child: \(r.status)") }
        } catch {
            return .init("namespaces", .fail, "unshare(net,uts,ipc): \(error)")
        }
        let where_ = Files.isDirectory(netnsDir) ? "pins go to \(netnsDir)" : "\(netnsDir) will be created"
        return .init("namespaces", .ok, "net, uts, ipc unshare works; \(where_)")
    }

    static func toolCheck(_ name: String, why: String, args: [String]) -> EnvironmentCheck {
        guard let path = Spawner.lookPath(name, path: nil) else { return .init(name, .warn, "not found: \(why)") }
        let v = HostState.tool(path, args)?.split(separator: "\n").first.map(String.init) ?? "?"
        return .init(name, .ok, "\(path): \(v)")
    }

    /// Forwarding in doctor's netns, and who probably turned it on: the built-in network's bridge
    /// (isGateway) enables it on ADD and, like every CNI bridge, never turns it back off.
    static func forwardingCheck(_ values: [(name: String, value: String?)], bridgePresent: Bool, bridge: String) -> EnvironmentCheck {
        let text = values.map { "\($0.name)=\($0.value ?? "?")" }.joined(separator: ", ")
        let on = values.contains { $0.value != nil && $0.value != "0" }
        guard on else { return .init("ip forwarding", .ok, text + " (the built-in network would turn it on here; a netns of your own, --node NAME or --cni-conf-dir DIR avoids that)") }
        guard bridgePresent else { return .init("ip forwarding", .ok, text + " (not podrig's: no \(bridge) bridge here)") }
        return .init("ip forwarding", .warn, text + "; bridge \(bridge) is here: the built-in network turned forwarding on and leaves it on "
            + "(`sysctl -w net.ipv4.ip_forward=0` once nothing else needs it; then to avoid it, run in a node namespace (your own: ip netns add NAME; ip netns exec NAME podrig …; or a cluster node's: --node NAME) or bring your own networks (--cni-conf-dir DIR))")
    }

    /// The built-in network's masquerade rules (bridge ipMasq: nat POSTROUTING, one per pod IP),
    /// read with iptables-save / ip6tables-save; they go with their sandbox (stopp, rmp, gc).
    static func masqueradeCheck(network: String) -> EnvironmentCheck {
        var parts: [String] = []
        var ids: Set<String> = []
        for (tool, family) in [("iptables-save", "IPv4"), ("ip6tables-save", "IPv6")] {
            guard let text = HostState.tool(tool, ["-t", "nat"]) else { parts.append("\(family): \(tool) unavailable"); continue }
            let found = HostState.parseMasquerade(text, network: network)
            ids.formUnion(found)
            parts.append("\(family): \(found.count)")
        }
        let detail = "rules of the built-in network \"\(network)\" in nat POSTROUTING: " + parts.joined(separator: ", ")
        if ids.isEmpty { return .init("masquerade", .ok, detail) }
        return .init("masquerade", .ok, detail + " for \(ids.count) sandbox(es); stopp/rmp remove them, `podrig doctor --leaks` finds orphans")
    }

    /// The filesystem type mounted at `path` (last match in /proc/self/mountinfo), nil if none.
    static func fsType(_ path: String) -> String? {
        var type: String?
        for line in ((try? Files.readString("/proc/self/mountinfo")) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 4, f[4] == path, let dash = f.firstIndex(of: "-"), dash + 1 < f.count else { continue }
            type = String(f[dash + 1])
        }
        return type
    }

    static func cgroupCheck() -> EnvironmentCheck {
        let layout = cgroupLayout()
        guard layout.status == .ok else { return layout }
        // What podrig makes its pod and container cgroups in (PodrigCgroups' detection).
        guard let h = CgroupHierarchy.detect() else {
            return .init("cgroups", .warn, layout.detail + "; no memory controller: pods need --cgroups disabled")
        }
        let used = h.controllers.map { $0.name.isEmpty ? "unified" : $0.name }.joined(separator: ",")
        if !h.isWritable { return .init("cgroups", .warn, layout.detail + "; podrig's \(h.version.rawValue) trees (\(used)) are not writable: pods need --cgroups disabled") }
        return .init("cgroups", .ok, layout.detail + "; podrig uses \(h.version.rawValue) (\(used)) under podrig/")
    }

    static func cgroupLayout() -> EnvironmentCheck {
        switch fsType("/sys/fs/cgroup") {
        case "cgroup2": return .init("cgroups", .ok, "v2 (unified) at /sys/fs/cgroup")
        case "tmpfs":
            let hybrid = fsType("/sys/fs/cgroup/unified") == "cgroup2"
            let ctrls = ((try? Files.list("/sys/fs/cgroup")) ?? []).sorted().joined(separator: " ")
            return .init("cgroups", .ok, (hybrid ? "v1 + v2 hybrid" : "v1") + " (hierarchies: \(ctrls))")
        case nil: return .init("cgroups", .warn, "nothing mounted at /sys/fs/cgroup")
        case let t?: return .init("cgroups", .warn, "unexpected \(t) at /sys/fs/cgroup")
        }
    }

    static func stateRootCheck(_ root: String) -> EnvironmentCheck {
        guard Files.isDirectory(root) else { return .init("state root", .ok, "\(root) (created on first runp)") }
        let n = ((try? Files.list(root + "/sandboxes")) ?? []).filter { Identifiers.isHexID($0) }.count
        return .init("state root", .ok, "\(root): \(n) sandbox(es)")
    }
}
