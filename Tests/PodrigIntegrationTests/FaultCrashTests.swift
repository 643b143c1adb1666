import PodrigCore
import PodrigSandbox
import Testing

/// `kill -9` of podrig at each step of runp and stopp (PODRIG_CRASH_AT), then recovery:
/// sandbox gc for a half-made runp, stopp/rmp again for an interrupted stop (what kubelet
/// does). Either way `podrig doctor --leaks` must end clean.
@Suite(.serialized, .enabled(if: isRoot, "needs root"))
struct FaultCrashTests {
    static let runSteps = ["runp:start", "runp:state-created", "runp:cgroup-made", "runp:pause-started",
                           "runp:netns-pinned", "runp:attach", "runp:attached", "runp:ready"]
    static let stopSteps = ["stopp:locked", "stop:pause-signalled", "stop:detached", "stop:pause-stopped",
                            "stop:unpinned", "stopp:done"]

    func runp(_ root: TestRoot, _ name: String, crashAt: String? = nil, hostNetwork: Bool = false) -> (code: Int32, out: String, err: String) {
        let env = crashAt.map { "PODRIG_CRASH_AT=\($0)" } ?? ""
        return sh("\(env) \(TestBinaries.podrig) runp --root \(root.path) --pause-path \(TestBinaries.pause) --node-ip 10.90.255.1 \(FaultSandboxTests.podConfig(root, name: name, hostNetwork: hostNetwork))")
    }

    @Test(arguments: runSteps)
    func crashDuringRunp(_ step: String) throws {
        let root = TestRoot()
        let r = runp(root, "crash", crashAt: step)
        #expect(r.code == 128 + 9, "podrig should die at \(step): \(r)")
        let store = SandboxStore(root: root.path)
        let ids = try store.ids()
        #expect(ids.count == (step == "runp:start" ? 0 : 1))
        if step == "runp:ready" {
            // Crashed after READY was recorded: a normal sandbox, nothing to recover.
            #expect(try store.load(ids[0]).state == .ready)
            #expect(podrig("rmp -f \(ids[0])", root: root).code == 0)
        } else if !ids.isEmpty {
            // doctor sees the half-made sandbox before gc, and nothing after.
            let before = podrig("doctor --leaks --scope root", root: root)
            #expect(before.code == 1 && before.out.contains("half-made"), "\(before)")
            let report = root.manager.recoverHalfMade()
            #expect(report.removed == ids && report.errors.isEmpty, "\(report)")
        }
        LeakCheck.rootEmpty(root)
        LeakCheck.doctorClean(root: root, ids: ids)
    }

    @Test func crashDuringHostNetworkRunp() throws {
        let root = TestRoot()
        for step in ["runp:state-created", "runp:cgroup-made", "runp:pause-started"] {
            #expect(runp(root, "crashhost", crashAt: step, hostNetwork: true).code == 128 + 9)
        }
        let ids = try SandboxStore(root: root.path).ids()
        #expect(root.manager.recoverHalfMade().removed.sorted() == ids)
        LeakCheck.rootEmpty(root)
        LeakCheck.doctorClean(root: root, ids: ids)
    }

    @Test(arguments: stopSteps)
    func crashDuringStopp(_ step: String) throws {
        let root = TestRoot()
        let id = runp(root, "crashstop").out.trimmed
        let record = try SandboxStore(root: root.path).load(id)
        let r = sh("PODRIG_CRASH_AT=\(step) \(TestBinaries.podrig) stopp --root \(root.path) \(id)")
        #expect(r.code == 128 + 9, "podrig should die at \(step): \(r)")
        // gc leaves a sandbox the user still has alone.
        #expect(root.manager.recoverHalfMade().removed.isEmpty)
        // Retrying stopp finishes the job; rmp removes it.
        #expect(podrig("stopp \(id)", root: root).code == 0)
        #expect(try SandboxStore(root: root.path).load(id).state == .notReady)
        #expect(podrig("rmp \(id)", root: root).code == 0)
        LeakCheck.sandboxGone(record, root: root)
        LeakCheck.doctorClean(root: root, ids: [id])
    }

    @Test func crashDuringRmpThenRmpAgain() throws {
        let root = TestRoot()
        let id = runp(root, "crashrm").out.trimmed
        let record = try SandboxStore(root: root.path).load(id)
        for step in ["stop:pause-signalled", "stop:detached", "stop:unpinned", "rmp:remove-state"] {
            #expect(sh("PODRIG_CRASH_AT=\(step) \(TestBinaries.podrig) rmp -f --root \(root.path) \(id)").code == 128 + 9)
        }
        #expect(podrig("rmp -f \(id)", root: root).code == 0)
        LeakCheck.sandboxGone(record, root: root)
        LeakCheck.doctorClean(root: root, ids: [id])
    }
}
