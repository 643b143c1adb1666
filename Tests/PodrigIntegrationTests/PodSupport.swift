#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// A pod test: its own state root (logs under it), a manifest file, the CLI, and a leak check.
final class PodBed {
    let root = TestRoot("pod")
    /// Namespace the helpers look pods up in.
    var namespace = "default"
    var logRoot: String { root.path + "/logs" }
    var pods: PodManager {
        var o = PodManager.Options()
        o.logRoot = logRoot
        o.supervisorPath = TestBinaries.directory + "/podrig-supervisor"
        let m = root.manager
        return PodManager(sandboxOptions: m.options, network: m.network, options: o)
    }

    /// Writes the manifest and returns its path.
    func manifest(_ yaml: String, name: String = "pod.yaml") -> String {
        let path = root.path + "/" + name
        try! Files.writeAtomic(path, yaml)
        return path
    }

    @discardableResult
    func cli(_ args: String, timeout: Double = 60) -> (code: Int32, out: String, err: String) {
        // Options go before a "--" (exec passes everything after it to the command).
        let opts = "--root \(root.path) --pause-path \(TestBinaries.pause)"
        if let r = args.firstRange(of: " -- ") {
            return sh("\(TestBinaries.podrig) \(args[..<r.lowerBound]) \(opts)\(args[r.lowerBound...])", timeout: timeout)
        }
        return sh("\(TestBinaries.podrig) \(args) \(opts)", timeout: timeout)
    }

    func pod(_ name: String) -> PodManager.Pod? { try? pods.find(name, namespace: namespace) }

    /// `podrig get pod NAME -o json`, parsed.
    func get(_ name: String) -> JSON? {
        let r = cli("get pod \(name) -o json -n \(namespace)")
        return try? JSONParser.parse(r.out)
    }

    /// Polls until `cond` holds (or the timeout passes); returns whether it held.
    @discardableResult
    func wait(_ timeout: Double = 15, _ cond: () -> Bool) -> Bool {
        let end = Clock.now() + timeout
        while Clock.now() < end {
            if cond() { return true }
            usleep(100_000)
        }
        return cond()
    }

    /// Takes the pod down and checks nothing is left: processes, netns pin, state, logs, mounts.
    func downAndCheck(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let p = pod(name) else { Issue.record("pod \(name) not found", sourceLocation: sourceLocation); return }
        let pids = (p.status?.containers ?? []).map(\.pid).filter { $0 > 0 }
        let r = cli("down \(name) -n \(namespace)")
        #expect(r.code == 0, "down: \(r.err)", sourceLocation: sourceLocation)
        checkGone(p, containerPids: pids, sourceLocation: sourceLocation)
    }

    func checkGone(_ p: PodManager.Pod, containerPids: [Int32], sourceLocation: SourceLocation = #_sourceLocation) {
        LeakCheck.sandboxGone(p.record, root: root, sourceLocation: sourceLocation)
        if let s = p.supervisor { #expect(!s.isAlive, "supervisor \(s.pid) still alive", sourceLocation: sourceLocation) }
        for pid in containerPids {
            #expect(ProcessIdentity.of(pid).map { !$0.isAlive } ?? true, "container pid \(pid) still alive", sourceLocation: sourceLocation)
        }
        #expect(!Files.exists(p.logDirectory), "log directory \(p.logDirectory) left", sourceLocation: sourceLocation)
        let mounts = (try? Files.readString("/proc/self/mountinfo")) ?? ""
        #expect(!mounts.contains(root.path), "mounts under \(root.path) left", sourceLocation: sourceLocation)
        let ps = sh("ps -eo args").out
        #expect(!ps.contains(p.layout.plan), "a supervisor for this pod is still running", sourceLocation: sourceLocation)
        LeakCheck.rootEmpty(root, sourceLocation: sourceLocation)
    }
}

extension JSON {
    /// status.containerStatuses (or initContainerStatuses) entry by name.
    func containerStatus(_ name: String, initContainer: Bool = false) -> JSON? {
        self["status"]?[initContainer ? "initContainerStatuses" : "containerStatuses"]?.array?.first { $0["name"]?.string == name }
    }

    func condition(_ type: String) -> String? {
        self["status"]?["conditions"]?.array?.first { $0["type"]?.string == type }?["status"]?.string
    }
}
