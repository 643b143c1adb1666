#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

/// A CNI test's own world: conf dir, cache dir, host-local dataDir and fake-plugin dir under /tmp,
/// network and bridge names `pr-c<x>`, subnets 10.88.<x>.0/24 and fd00:88:<x>::/64, and optionally
/// a throwaway node netns for configs that need a gateway, forwarding or iptables.
final class CNITestEnv {
    /// The IPAM plugin the env's bridge configs use; tests taking `IPAMKind.allCases` run once per plugin.
    enum IPAMKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case hostLocal = "host-local"
        case podrig = "podrig-ipam"
        var testDescription: String { rawValue }
    }

    let x: Int
    let ipamKind: IPAMKind
    let root: TestRoot
    let dir: String
    var node: String?
    var timeout: Double = 10
    /// Sandboxes made through the CLI, checked for leftover pins.
    var sandboxIDs: [String] = []

    /// With podrig-ipam, names and subnets move up by 150 (pr-c161, 10.88.161.0/24), so both runs
    /// of a parametrized test can go at once.
    init(_ x: Int, node: Bool = false, ipam: IPAMKind = .hostLocal, name: String = #function) {
        self.x = ipam == .podrig ? x + 150 : x
        ipamKind = ipam
        let x = self.x
        root = TestRoot(name)
        dir = "/tmp/podrig-cni-test-\(x)-\((try! Identifiers.newID()).prefix(6))"
        for sub in ["conf", "cache", "ipam", "bin"] { try! Files.makeDirectories(dir + "/" + sub, mode: 0o755) }
        if node {
            let n = "pr-cnode\(x)"
            sh("ip netns del \(n) 2>/dev/null; ip netns add \(n) && ip -n \(n) link set lo up")
            self.node = n
        }
    }

    deinit {
        if let node { sh("ip netns del \(node)") }
        sh("ip link del \(bridge) 2>/dev/null; ip link del \(bridge)b 2>/dev/null")
        try? Files.removeTree(dir)
    }

    var name: String { "pr-c\(x)" }
    var bridge: String { "pr-c\(x)" }
    var confDir: String { dir + "/conf" }
    var cacheDir: String { dir + "/cache" }
    var ipamDir: String { dir + "/ipam" }
    var binDir: String { dir + "/bin" }

    var options: CNIOptions {
        var o = CNIOptions()
        o.confDir = confDir
        o.binDirs = [binDir, "/usr/lib/cni", TestBinaries.directory]
        o.cacheDir = cacheDir
        o.cacheSync = false
        o.timeout = timeout
        return o
    }

    func manager(_ configure: (inout CNIOptions) -> Void = { _ in }) -> SandboxManager {
        var o = options
        configure(&o)
        return root.manager(network: CNINetwork(options: o))
    }

    /// host-local IPAM over this test's subnets (dual-stack unless told otherwise).
    func ipam(v6: Bool = true, subnet: Int? = nil) -> String {
        let s = subnet ?? x
        let ranges = v6 ? #"[[{"subnet":"10.88.\#(s).0/24"}],[{"subnet":"fd00:88:\#(s)::/64"}]]"# : #"[[{"subnet":"10.88.\#(s).0/24"}]]"#
        return #"{"type":"\#(ipamKind.rawValue)","dataDir":"\#(ipamDir)","ranges":\#(ranges)}"#
    }

    /// A bridge plugin without gateway or masquerade: safe in the host namespace.
    func bridgePlugin(v6: Bool = true, bridge: String? = nil, subnet: Int? = nil) -> String {
        #"{"type":"bridge","bridge":"\#(bridge ?? self.bridge)","isGateway":false,"ipam":\#(ipam(v6: v6, subnet: subnet))}"#
    }

    func conflist(_ plugins: [String], name: String? = nil, version: String = "1.0.0", file: String? = nil) {
        let n = name ?? self.name
        write(file ?? "10-\(n).conflist", #"{"cniVersion":"\#(version)","name":"\#(n)","plugins":[\#(plugins.joined(separator: ","))]}"#)
    }

    func write(_ file: String, _ text: String) {
        try! Files.writeAtomic(confDir + "/" + file, text, mode: 0o644, sync: false)
    }

    /// A fake plugin: a shell script in this test's bin dir.
    func plugin(_ name: String, _ script: String) {
        let path = binDir + "/" + name
        try! Files.writeAtomic(path, "#!/bin/sh\n" + script + "\n", mode: 0o755, sync: false)
    }

    /// The CNI flags for podrig(): conf dir, cache dir and bin dirs (podrig-ipam is in the build dir).
    var cniFlags: String { "--cni-conf-dir \(confDir) --cni-cache-dir \(cacheDir) --cni-bin-dir \(binDir):/usr/lib/cni:\(TestBinaries.directory)" }

    /// The podrig CLI with this env's CNI flags, in the node netns when there is one.
    @discardableResult
    func cli(_ args: String, cniFlags: Bool = true) -> (code: Int32, out: String, err: String) {
        var flags = "--root \(root.path) --pause-path \(TestBinaries.pause)"
        if cniFlags { flags += " --cni-conf-dir \(confDir) --cni-cache-dir \(cacheDir) --cni-bin-dir \(binDir):/usr/lib/cni:\(TestBinaries.directory) --cni-timeout \(Int(timeout))" }
        let prefix = "PODRIG_NETWORK= " + (node.map { "nsenter --net=/run/netns/\($0) " } ?? "")
        return sh("\(prefix)\(TestBinaries.podrig) \(args) \(flags)")
    }

    /// Runs a shell command in the node netns (or the host when there is none).
    @discardableResult
    func inNode(_ command: String) -> (code: Int32, out: String, err: String) {
        sh(node.map { "ip netns exec \($0) sh -c '\(command)'" } ?? command)
    }

    /// IP leases host-local (one file per address) or podrig-ipam (allocated leases of its table)
    /// holds in this env's dataDir.
    func leases(_ network: String? = nil) -> [String] {
        let d = ipamDir + "/" + (network ?? name)
        if ipamKind == .podrig { return IPAMTables.allocated(d) }
        return ((try? Files.list(d)) ?? []).filter { IPAddress.family($0) != nil }.sorted()
    }

    func cacheEntries() -> [String] {
        ((try? Files.list(cacheDir + "/results")) ?? []).sorted()
    }

    /// The IPv4/IPv6 global addresses `ip` shows on an interface of a netns.
    static func addresses(netns: String, ifName: String = "eth0") -> [String] {
        let out = sh("ip -n \(netns) -o addr show dev \(ifName) scope global").out
        return out.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard let i = f.firstIndex(where: { $0 == "inet" || $0 == "inet6" }), i + 1 < f.count else { return nil }
            return String(f[i + 1].split(separator: "/")[0])
        }
    }

    /// Nothing of this env left: no sandbox, cache entry, lease, or veth on the host bridge.
    func expectClean(sourceLocation: SourceLocation = #_sourceLocation) {
        LeakCheck.rootEmpty(root, sourceLocation: sourceLocation)
        #expect(cacheEntries().isEmpty, "cache entries leaked: \(cacheEntries())", sourceLocation: sourceLocation)
        let dirs = (try? Files.list(ipamDir)) ?? []
        for d in dirs {
            #expect(leases(d).isEmpty, "leases leaked in \(d): \(leases(d))", sourceLocation: sourceLocation)
        }
        if node == nil {
            let ports = sh("ip -o link show master \(bridge) 2>/dev/null").out
            #expect(ports.isEmpty, "veths left on \(bridge): \(ports)", sourceLocation: sourceLocation)
        } else {
            let veths = inNode("ip -o link show type veth").out
            #expect(veths.isEmpty, "veths left in the node: \(veths)", sourceLocation: sourceLocation)
        }
        for id in sandboxIDs {
            #expect(!Files.exists(NetnsPin.defaultDirectory + "/" + NetnsPin.name(for: id)), "netns pin of \(id.prefix(12)) leaked", sourceLocation: sourceLocation)
        }
    }
}

extension LeakCheck {
    /// A sandbox and all its CNI leftovers are gone.
    static func cniSandboxGone(_ record: SandboxRecord, env: CNITestEnv, sourceLocation: SourceLocation = #_sourceLocation) {
        sandboxGone(record, root: env.root, sourceLocation: sourceLocation)
        env.expectClean(sourceLocation: sourceLocation)
    }
}

/// A minimal pod config for CNI tests.
func cniPod(_ name: String, ports: [PortMapping] = [], annotations: [String: String] = [:]) -> PodSandboxConfig {
    PodSandboxConfig(name: name, namespace: "cni-test", portMappings: ports, annotations: annotations)
}
