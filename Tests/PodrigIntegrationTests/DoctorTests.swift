import PodrigCore
import PodrigSandbox
import Testing

/// `podrig doctor`: the environment checks run, and each kind of leftover is reported (with the
/// right owner) and stops being reported once it is gone.
@Suite(.serialized, .enabled(if: isRoot, "needs root"))
struct DoctorTests {
    func leaks(_ root: TestRoot, _ extra: String = "") throws -> [JSON] {
        let r = podrig("doctor --leaks -o json \(extra)", root: root)
        return try #require(try JSONParser.parse(r.out)["leaks"]?.array, "\(r)")
    }

    @Test func environmentChecksPass() throws {
        let root = TestRoot()
        let r = podrig("doctor -o json", root: root)
        #expect(r.code == 0, "\(r)")
        let checks = try #require(try JSONParser.parse(r.out)["checks"]?.array)
        let names = Set(checks.compactMap { $0["check"]?.string })
        #expect(names.isSuperset(of: ["root", "pause", "cni plugins", "namespaces", "iptables", "cgroups", "ip forwarding", "masquerade"]))
    }

    @Test func syntheticLeftoversAreReportedThenGone() throws {
        let root = TestRoot()
        let dead = (try! Identifiers.newID())
        let dirs = "--cni-cache-dir \(root.path)/cache --ipam-data-dir \(root.path)/ipam"
        // A lease and a cache entry of a sandbox this root no longer has, and a pod log directory.
        try Files.makeDirectories(root.path + "/ipam/pr-pdoc")
        try Files.writeAtomic(root.path + "/ipam/pr-pdoc/10.90.99.2", "\(dead)\r\neth0")
        try Files.writeAtomic(root.path + "/ipam/pr-pdoc/last_reserved_ip.0", "10.90.99.2")
        try Files.makeDirectories(root.path + "/cache/results")
        try Files.writeAtomic(root.path + "/cache/results/pr-pdoc-\(dead)-eth0",
                              #"{"kind":"cniCacheV1","containerId":"\#(dead)","ifName":"eth0","networkName":"pr-pdoc","podrigRoot":"\#(root.path)"}"#)
        try Files.writeAtomic(root.path + "/cache/results/pr-pdoc-zero-eth0", "")
        try Files.makeDirectories(root.path + "/logs/ns_pod_uid-gone")
        // A dead netns pin (traced to this root through the cache entry naming the same ID).
        let pin = NetnsPin.name(for: dead)
        #expect(sh("ip netns add \(pin)").code == 0)
        defer { sh("ip netns del \(pin) 2>/dev/null") }

        let found = try leaks(root, dirs)
        func has(_ kind: String, _ owner: String, _ fragment: String) -> Bool {
            found.contains { $0["kind"]?.string == kind && $0["owner"]?.string == owner && ($0["object"]?.string ?? "").contains(fragment) }
        }
        #expect(has("lease", "root", "10.90.99.2"), "\(found.map(\.compact))")
        #expect(!has("lease", "root", "last_reserved_ip"))
        #expect(has("cache", "root", dead) && has("cache", "root", "zero"))
        #expect(has("logs", "root", "uid-gone"))
        #expect(has("pin", "root", pin))
        #expect(podrig("doctor --leaks --scope root \(dirs)", root: root).code == 1)

        sh("ip netns del \(pin)")
        for p in ["ipam", "cache", "logs"] { try Files.removeTree(root.path + "/" + p) }
        LeakCheck.doctorClean(root: root, ids: [dead], extra: dirs)
    }
}
