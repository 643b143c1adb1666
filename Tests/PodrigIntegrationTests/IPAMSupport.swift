#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigIPAM
import PodrigSandbox
import Testing

/// podrig-ipam lease tables as the tests read them.
enum IPAMTables {
    static func table(_ dir: String) -> LeaseTable? {
        guard let bytes = try? Files.read(dir + "/" + LeaseStore.fileName) else { return nil }
        return try? LeaseTable.decode(bytes, path: dir)
    }

    /// Addresses allocated (not merely reserved) in a network directory, sorted.
    static func allocated(_ dir: String) -> [String] {
        (table(dir)?.leases ?? []).filter { $0.state == .allocated }.map(\.ip.description).sorted()
    }
}

/// A node for podrig-ipam: a throwaway netns `pr-ipn<x>` holding bridge `pr-ip<x>` with its
/// gateway (so forwarding stays inside it), the real bridge plugin delegating to podrig-ipam on
/// 10.86.<x>.0/24 + fd00:86:<x>::/64, and the podrig CLI run inside it with its own state roots,
/// conf, cache and IPAM dirs.
final class IPAMNode {
    let x: Int
    let node: String
    let dir: String
    let root = TestRoot("ipam")

    init(_ x: Int, ttl: String? = nil, ranges: String? = nil) {
        self.x = x
        node = "pr-ipn\(x)"
        dir = "/tmp/podrig-ipam-test-\(x)-\((try! Identifiers.newID()).prefix(6))"
        for sub in ["conf", "cache", "ipam", "pods"] { try! Files.makeDirectories(dir + "/" + sub, mode: 0o755) }
        let setup = sh("ip netns del \(node) 2>/dev/null; ip netns add \(node) && ip -n \(node) link set lo up")
        #expect(setup.code == 0, "node netns: \(setup.err)")
        writeConf(ttl: ttl, ranges: ranges)
    }

    deinit {
        sh("ip netns del \(node)")
        try? Files.removeTree(dir)
    }

    var network: String { "pr-ip\(x)" }
    var v4: String { "10.86.\(x)" }
    var v6: String { "fd00:86:\(x)::" }
    var ipamDir: String { dir + "/ipam/" + network }
    var binDirs: String { "\(TestBinaries.directory):/usr/lib/cni" }

    /// The bridge's ipam section: podrig-ipam, dual-stack unless `ranges` says otherwise.
    func ipamConfig(ttl: String?, ranges: String?) -> String {
        let r = ranges ?? #"[[{"subnet":"\#(v4).0/24"}],[{"subnet":"\#(v6)/64"}]]"#
        let res = ttl.map { #","reservation":{"ttl":"\#($0)"}"# } ?? ""
        return #"{"type":"podrig-ipam","dataDir":"\#(dir)/ipam","ranges":\#(r),"routes":[{"dst":"0.0.0.0/0"}]\#(res)}"#
    }

    var bridgePlugin: String = ""

    func writeConf(ttl: String?, ranges: String?) {
        bridgePlugin = #"{"type":"bridge","bridge":"\#(network)","isGateway":true,"# +
            #""capabilities":{"ips":true,"io.kubernetes.cri.pod-annotations":true},"ipam":\#(ipamConfig(ttl: ttl, ranges: ranges))}"#
        let conf = #"{"cniVersion":"1.0.0","name":"\#(network)","plugins":[{"type":"loopback"},\#(bridgePlugin)]}"#
        try! Files.writeAtomic(dir + "/conf/10-\(network).conflist", conf, mode: 0o644, sync: false)
    }

    /// The podrig CLI inside the node netns; `env` is prepended (PODRIG_IPAM_CRASH=…).
    @discardableResult
    func cli(_ args: String, root: TestRoot? = nil, env: String = "", timeout: Double = 60) -> (code: Int32, out: String, err: String) {
        let r = root ?? self.root
        let opts = "--root \(r.path) --pause-path \(TestBinaries.pause) --cni-conf-dir \(dir)/conf --cni-cache-dir \(dir)/cache --cni-bin-dir \(binDirs)"
        return sh("PODRIG_NETWORK= \(env) nsenter --net=/run/netns/\(node) \(TestBinaries.podrig) \(args) \(opts)", timeout: timeout)
    }

    /// A crictl pod config in namespace ipam-test.
    func podConfig(_ name: String, annotations: [String: String] = [:]) -> String {
        let path = dir + "/pods/\(name).json"
        let ann = annotations.isEmpty ? "" : #","annotations":"# + JSON.object(JSONObject(annotations.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })).compact
        try! Files.writeAtomic(path, #"{"metadata":{"name":"\#(name)","namespace":"ipam-test","uid":"uid-\#(name)"}\#(ann)}"#, mode: 0o644, sync: false)
        return path
    }

    /// `podrig runp`: the sandbox ID, or nil with the error text.
    func runp(_ name: String, annotations: [String: String] = [:], root: TestRoot? = nil, env: String = "") -> (id: String?, err: String) {
        let r = cli("runp \(podConfig(name, annotations: annotations))", root: root, env: env)
        return r.code == 0 ? (r.out.trimmed, r.err) : (nil, r.err + r.out)
    }

    func rmp(_ id: String, root: TestRoot? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let r = cli("rmp -f \(id)", root: root)
        #expect(r.code == 0, "rmp: \(r.err)", sourceLocation: sourceLocation)
    }

    var table: LeaseTable? { IPAMTables.table(ipamDir) }

    /// Addresses allocated to one sandbox (its eth0), sorted v4 first.
    func addresses(of id: String) -> [String] {
        (table?.leases ?? []).filter { $0.state == .allocated && $0.containerID == id }.sorted { $0.ip < $1.ip }.map(\.ip.description)
    }

    func reserved(for pod: String) -> [String] {
        (table?.leases ?? []).filter { $0.state == .reserved && $0.pod == pod }.sorted { $0.ip < $1.ip }.map(\.ip.description)
    }

    /// The global addresses on a sandbox's eth0, from the kernel.
    func kernelAddresses(_ id: String) -> [String] {
        CNITestEnv.addresses(netns: NetnsPin.name(for: id)).sorted { IPAddr($0)! < IPAddr($1)! }
    }

    /// Nothing allocated, cached or plugged into the bridge; no sandbox state.
    func expectClean(roots: [TestRoot] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        for r in [root] + roots { LeakCheck.rootEmpty(r, sourceLocation: sourceLocation) }
        let live = IPAMTables.allocated(ipamDir)
        #expect(live.isEmpty, "leases left: \(live)", sourceLocation: sourceLocation)
        let cache = (try? Files.list(dir + "/cache/results")) ?? []
        #expect(cache.isEmpty, "CNI cache entries left: \(cache)", sourceLocation: sourceLocation)
        let veths = sh("ip -n \(node) -o link show type veth").out
        #expect(veths.isEmpty, "veths left in the node: \(veths)", sourceLocation: sourceLocation)
        #expect(!Files.exists(ipamDir + "/" + LeaseStore.fileName + ".tmp"), "temp table left", sourceLocation: sourceLocation)
    }
}
