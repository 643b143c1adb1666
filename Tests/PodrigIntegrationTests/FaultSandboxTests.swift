#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import PodrigCore
import PodrigSandbox
import Testing

/// Faults from outside the sandbox layer: killed pause, damaged state, concurrency. Each ends
/// with `podrig doctor --leaks` clean.
@Suite(.serialized, .enabled(if: isRoot, "needs root"))
struct FaultSandboxTests {
    static func podConfig(_ root: TestRoot, name: String, hostNetwork: Bool = false) -> String {
        podConfig(rootPath: root.path, name: name, hostNetwork: hostNetwork)
    }

    static func podConfig(rootPath: String, name: String, hostNetwork: Bool = false) -> String {
        let path = rootPath + "/\(name).json"
        let net = hostNetwork ? #", "linux": {"security_context": {"namespace_options": {"network": 2}}}"# : ""
        try! Files.writeAtomic(path, #"{"metadata": {"name": "\#(name)", "namespace": "podrig-fault", "uid": "uid-\#(name)"}\#(net)}"#)
        return path
    }

    func runp(_ root: TestRoot, _ name: String, hostNetwork: Bool = false) -> (code: Int32, out: String, err: String) {
        Self.runp(rootPath: root.path, name, hostNetwork: hostNetwork)
    }

    static func runp(rootPath: String, _ name: String, hostNetwork: Bool = false) -> (code: Int32, out: String, err: String) {
        sh("\(TestBinaries.podrig) runp --root \(rootPath) --pause-path \(TestBinaries.pause) --node-ip 10.90.255.1 \(podConfig(rootPath: rootPath, name: name, hostNetwork: hostNetwork))")
    }

    @Test func pauseKilledFromOutside() throws {
        let root = TestRoot()
        let id = runp(root, "killed").out.trimmed
        let record = try SandboxStore(root: root.path).load(id)
        let pause = try #require(record.pause)
        kill(pause.pid, SIGKILL)
        for _ in 0..<200 where pause.isAlive { usleep(5000) }
        let inspect = podrig("inspectp \(id)", root: root)
        #expect(inspect.out.contains("SANDBOX_NOTREADY"), "\(inspect)")
        #expect(podrig("pods --state notready -q", root: root).out.trimmed == id)
        // NOTREADY needs no --force; everything (the pin above all) must still go.
        let rm = podrig("rmp \(id)", root: root)
        #expect(rm.code == 0, "\(rm)")
        LeakCheck.sandboxGone(record, root: root)
        LeakCheck.doctorClean(root: root, ids: [id])
    }

    /// Damaged records, and one whose pause pid is beyond pid_t (narrowing it trapped `pods`).
    @Test(arguments: ["empty", "truncated", "garbage", "pid"])
    func damagedStateFile(_ damage: String) throws {
        let root = TestRoot()
        let id = runp(root, "damaged").out.trimmed
        let store = SandboxStore(root: root.path)
        let record = try store.load(id)
        let text = try Files.readString(store.recordPath(id))
        var bad = damage == "empty" ? "" : damage == "truncated" ? String(text.prefix(text.count / 2)) : "\u{1}\u{2}not json"
        if damage == "pid" {
            var json = try JSONParser.parse(text)
            var pause = try #require(json["pause"])
            pause["pid"] = .int(99_999_999_999)
            json["pause"] = pause
            bad = json.compact
        }
        try Files.writeAtomic(store.recordPath(id), bad)

        let inspect = podrig("inspectp \(id)", root: root)
        #expect(inspect.code == 1 && inspect.err.contains(store.recordPath(id)) && inspect.err.contains("podrig gc"), "\(inspect)")
        let pods = podrig("pods -q", root: root)
        #expect(pods.code == 0 && pods.err.contains(String(id.prefix(13))), "\(pods)")
        let rm = podrig("rmp -f \(id)", root: root)
        #expect(rm.code == 1 && rm.err.contains("gc"), "\(rm)")
        // doctor sees it (the state and the pause, whose marker names the sandbox).
        let doctor = podrig("doctor --leaks --scope root", root: root)
        #expect(doctor.code == 1 && doctor.out.contains("unreadable record"), "\(doctor)")

        let report = root.manager.recoverHalfMade()
        #expect(report.removed == [id] && report.errors.isEmpty, "\(report)")
        LeakCheck.sandboxGone(record, root: root)
        LeakCheck.doctorClean(root: root, ids: [id])
    }

    @Test func concurrentRunAndRemoveOnOneRoot() throws {
        let root = TestRoot()
        let rootPath = root.path
        let n = 20
        let results = Results(n)
        DispatchQueue.concurrentPerform(iterations: n) { i in
            results.set(i, Self.runp(rootPath: rootPath, "conc\(i)", hostNetwork: i % 5 == 4))
        }
        let ids = results.all.map { $0.out.trimmed }
        for r in results.all { #expect(r.code == 0, "\(r)") }
        #expect(Set(ids).count == n)
        let store = SandboxStore(root: root.path)
        var corrupt: [String] = []
        let records = try store.list { id, _ in corrupt.append(id) }
        #expect(corrupt.isEmpty && records.count == n && records.allSatisfy { $0.state == .ready })
        let pins = records.compactMap(\.netnsPath)
        #expect(Set(pins).count == pins.count && pins.allSatisfy { NetnsPin.isPinned(path: $0) })

        DispatchQueue.concurrentPerform(iterations: n) { i in
            results.set(i, sh("\(TestBinaries.podrig) rmp -f --root \(rootPath) \(ids[i])"))
        }
        for r in results.all { #expect(r.code == 0, "\(r)") }
        for record in records { LeakCheck.sandboxGone(record, root: root) }
        LeakCheck.rootEmpty(root)
        LeakCheck.doctorClean(root: root, ids: ids)
    }
}

/// Results written from concurrentPerform's threads.
final class Results: @unchecked Sendable {
    private var items: [(code: Int32, out: String, err: String)]
    private let lock = NSLockLite()
    init(_ n: Int) { items = Array(repeating: (0, "", ""), count: n) }
    func set(_ i: Int, _ r: (code: Int32, out: String, err: String)) { lock.with { items[i] = r } }
    var all: [(code: Int32, out: String, err: String)] { lock.with { items } }
}

/// A pthread mutex (Foundation-free).
final class NSLockLite: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func with<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return body()
    }
}
