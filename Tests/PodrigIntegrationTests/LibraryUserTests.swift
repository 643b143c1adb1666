#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// The `Podrig` library as another package's tests use it: public API only (no @testable).
@Suite struct LibraryUserTests {
    static let manifest = """
    apiVersion: v1
    kind: Pod
    metadata: {name: lib-user}
    spec:
      containers:
      - name: app
        command: [sh, -c, 'trap "exit 0" TERM; echo up; while :; do sleep 0.1; done']
    """

    @Test func podUpAndDownThroughTheLibrary() throws {
        let root = TestRoot("libuser")
        var so = SandboxManager.Options()
        so.root = root.path
        so.pausePath = TestBinaries.pause
        var po = PodManager.Options()
        po.logRoot = root.path + "/logs"
        po.supervisorPath = TestBinaries.directory + "/podrig-supervisor"
        let pods = PodManager(sandboxOptions: so, options: po)
        let manifest = try PodManifestParser.parse(try ConfigText.parse(Self.manifest, source: "lib-user.yaml"))
        let up = try pods.up(manifest, manifestDirectory: root.path)
        var cur = try pods.load(up.record.id)
        let end = Clock.now() + 15
        while Clock.now() < end, cur.phase != "Running" || cur.status?.container("app")?.pid ?? 0 <= 0 {
            usleep(100_000)
            cur = try pods.load(up.record.id)
        }
        #expect(cur.phase == "Running")
        let pid = cur.status?.container("app")?.pid ?? 0
        #expect(pid > 0 && kill(pid, 0) == 0)

        // A SandboxManager made alone has no pod hooks: it refuses rather than orphan the container.
        let bare = SandboxManager(options: so)
        do {
            try bare.stop(up.record.id)
            Issue.record("a bare SandboxManager stopped a sandbox with running containers")
        } catch {
            #expect(error.code == .conflict && error.message.contains("running containers"), "\(error)")
        }
        #expect(kill(pid, 0) == 0 && cur.supervisorAlive)

        try pods.down(cur)
        #expect(!cur.supervisorAlive)
        #expect(Proc.stat(pid).map { $0.state == "Z" } ?? true, "container pid \(pid) still runs")
        #expect(throws: PodrigError.self) { try pods.find("lib-user") }
        LeakCheck.doctorClean(root: root)
    }
}
