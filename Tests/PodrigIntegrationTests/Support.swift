#if canImport(Glibc)
import Glibc
#endif
import PodrigCgroups
import PodrigCore
import PodrigSandbox
import Testing

/// Integration tests need root and the real kernel; without root they are skipped.
let isRoot = getuid() == 0

/// A fresh state root per test, removed at the end (and checked empty first: a leak).
final class TestRoot {
    let path: String

    init(_ name: String = #function) {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        path = "/run/podrig-test/\(clean)-\((try! Identifiers.newID()).prefix(8))"
        try! Files.makeDirectories(path, mode: 0o700)
    }

    var manager: SandboxManager { manager() }

    func manager(network: SandboxNetworkProvider = LoopbackOnlyNetwork(), nodeIPs: [String]? = nil) -> SandboxManager {
        var o = SandboxManager.Options()
        o.root = path
        o.pausePath = TestBinaries.pause
        o.nodeIPs = nodeIPs
        return SandboxManager(options: o, network: network)
    }

    deinit { try? Files.removeTree(path) }
}

/// A scratch directory under /tmp, removed with its owner (a suite instance lives for one test).
final class ScratchDir {
    let path: String

    init(_ prefix: String) {
        path = "/tmp/\(prefix)-" + String((try! Identifiers.newID()).prefix(6))
        try! Files.makeDirectories(path, mode: 0o755)
    }

    deinit { try? Files.removeTree(path) }
}

enum TestBinaries {
    /// The build directory holding podrig, podrig-pause and this test bundle.
    static let directory: String = Proc.executableDirectory() ?? ".build/debug"
    static let podrig = directory + "/podrig"
    static let pause = directory + "/podrig-pause"
    static let supervisor = directory + "/podrig-supervisor"
}

/// Runs a command, returning (exit code, stdout, stderr).
@discardableResult
func sh(_ command: String, input: String = "", timeout: Double = 120) -> (code: Int32, out: String, err: String) {
    var o = SpawnOptions(path: "/bin/sh", arguments: ["sh", "-c", command])
    // PODRIG_NETWORK=none: CLI sandboxes get only lo, never the built-in gateway network on the host
    // (CNI tests clear it).
    o.environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "PODRIG_NETWORK=none"]
    guard let r = try? ProcessRunner.run(o, input: Array(input.utf8), timeout: timeout) else { return (-1, "", "spawn failed") }
    return (r.status.code, String(decoding: r.stdout, as: UTF8.self), String(decoding: r.stderr, as: UTF8.self))
}

/// Runs the podrig CLI against a test root.
@discardableResult
func podrig(_ args: String, root: TestRoot, input: String = "") -> (code: Int32, out: String, err: String) {
    sh("\(TestBinaries.podrig) \(args) --root \(root.path) --pause-path \(TestBinaries.pause)", input: input)
}

/// Everything a sandbox may leave behind, checked after it is gone.
enum LeakCheck {
    static func sandboxGone(_ record: SandboxRecord, root: TestRoot, sourceLocation: SourceLocation = #_sourceLocation) {
        let pin = NetnsPin.defaultDirectory + "/" + NetnsPin.name(for: record.id)
        #expect(!Files.exists(pin), "netns pin \(pin) leaked", sourceLocation: sourceLocation)
        if let pause = record.pause {
            #expect(!pause.isAlive, "pause pid \(pause.pid) still alive", sourceLocation: sourceLocation)
        }
        #expect(!Files.exists(root.path + "/sandboxes/" + record.id), "state directory leaked", sourceLocation: sourceLocation)
        let mounts = (try? Files.readString("/proc/self/mountinfo")) ?? ""
        #expect(!mounts.contains(NetnsPin.name(for: record.id)), "netns mount leaked", sourceLocation: sourceLocation)
        cgroupsGone([String(record.id.prefix(12))], pods: record.config.uid.isEmpty ? [] : ["pod" + record.config.uid], sourceLocation: sourceLocation)
    }

    /// No podrig cgroup names any of `names` (sandbox or container IDs, uids) or has a component
    /// equal to one of `pods` (pod<uid>: exact, since concurrent tests reuse uids).
    static func cgroupsGone(_ names: [String], pods: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let h = CgroupHierarchy.detect() else { return }
        let left = CgroupTree(hierarchy: h).existing().filter { rel in
            names.contains { !$0.isEmpty && rel.contains($0) } || rel.split(separator: "/").contains { pods.contains(String($0)) }
        }
        #expect(left.isEmpty, "cgroups leaked: \(left)", sourceLocation: sourceLocation)
    }

    /// The root holds no sandboxes at all.
    static func rootEmpty(_ root: TestRoot, sourceLocation: SourceLocation = #_sourceLocation) {
        let left = (try? Files.list(root.path + "/sandboxes")) ?? []
        #expect(left.isEmpty, "sandbox state left behind: \(left)", sourceLocation: sourceLocation)
    }
}

extension LeakCheck {
    /// `podrig doctor --leaks` on this test's root: nothing traced to the root may be left, nor
    /// anything (a dead pin, a pause) naming one of `ids`. Other roots' in-flight state is
    /// ignored, so this is safe while other tests run. `extra`: e.g. "--cni-cache-dir <dir>".
    /// `netns`: run it in that (node) netns, where the test's veths and iptables rules live.
    static func doctorClean(root: TestRoot, ids: [String] = [], extra: String = "", netns: String? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let prefix = netns.map { "nsenter --net=/run/netns/\($0) " } ?? ""
        let r = sh("\(prefix)\(TestBinaries.podrig) doctor --leaks -o json --root \(root.path) --pause-path \(TestBinaries.pause) \(extra)")
        guard let doc = try? JSONParser.parse(r.out), let leaks = doc["leaks"]?.array else {
            Issue.record("podrig doctor --leaks failed: \(r)", sourceLocation: sourceLocation)
            return
        }
        let prefixes = ids.map { String($0.prefix(12)) }
        let ours = leaks.filter { leak in
            if leak["owner"]?.string == "root" { return true }
            let text = (leak["sandbox"]?.string ?? "") + " " + (leak["object"]?.string ?? "")
            return prefixes.contains { text.contains($0) }
        }
        #expect(ours.isEmpty, "doctor --leaks: \(ours.map(\.compact))", sourceLocation: sourceLocation)
    }
}
