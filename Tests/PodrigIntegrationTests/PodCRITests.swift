#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// crictl-style container verbs on a runp sandbox.
@Suite(.serialized) struct PodCRITests {
    @Test(.enabled(if: isRoot)) func createStartStopRemove() throws {
        let bed = PodBed()
        let logs = bed.root.path + "/crilogs"
        let sb = bed.manifest("""
            {"metadata": {"name": "crisb", "namespace": "default", "uid": "cri-1"}, "log_directory": "\(logs)"}
            """, name: "sandbox.json")
        let cc = bed.manifest("""
            metadata: {name: busy}
            image: {image: busybox}
            command: [sh, -c, 'echo hi from cri; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done']
            log_path: busy/0.log
            envs: [{key: FOO, value: "$(BAR)"}]
            linux: {security_context: {run_as_user: {value: 1000}, no_new_privs: true}}
            """, name: "container.yaml")
        let run = bed.cli("runp \(sb)")
        #expect(run.code == 0, "\(run.err)")
        let sandbox = run.out.trimmed
        let created = bed.cli("create \(sandbox) \(cc)")
        #expect(created.code == 0, "\(created.err)")
        let id = created.out.trimmed
        #expect(bed.cli("ps -a").out.contains("CREATED"))
        #expect(bed.cli("start \(id.prefix(8))").code == 0)
        #expect(bed.cli("ps").out.contains("RUNNING"))
        // The gate and the reply FIFO go with the start (the reply's reader removes it).
        let dir = bed.root.path + "/sandboxes/\(sandbox)/containers/\(id)"
        #expect(Files.exists(dir + "/plan.json") && !Files.exists(dir + "/start") && !Files.exists(dir + "/started"))
        let inspect = try JSONParser.parse(bed.cli("inspect \(id)").out)
        #expect(inspect["status"]?["state"]?.string == "CONTAINER_RUNNING")
        let pid = Int32(inspect["info"]?["pid"]?.int ?? 0)
        #expect(Proc.status(pid, "Uid")?.hasPrefix("1000") == true)
        #expect(Proc.status(pid, "NoNewPrivs") == "1")
        #expect(bed.cli("rm \(id)").code != 0, "a running container needs rm -f")
        #expect(bed.cli("stop -t 2 \(id)").code == 0)
        let after = try JSONParser.parse(bed.cli("inspect \(id)").out)
        #expect(after["status"]?["state"]?.string == "CONTAINER_EXITED")
        #expect(after["status"]?["exitCode"]?.int == 0)
        let log = try Files.readString(logs + "/busy/0.log")
        #expect(log.contains(" stdout F hi from cri\n") && log.contains(" stdout F bye\n"))
        #expect(bed.cli("rm \(id)").code == 0)
        // A second container left running goes with the sandbox.
        let again = bed.cli("create \(sandbox) \(cc)").out.trimmed
        #expect(bed.cli("start \(again)").code == 0)
        let record = try bed.root.manager.status(sandbox)
        #expect(bed.cli("rmp -f \(sandbox)").code == 0)
        LeakCheck.sandboxGone(record, root: bed.root)
        #expect(!sh("ps -eo args").out.contains(bed.root.path), "a supervisor survived its sandbox")
        #expect(ProcessIdentity.of(pid).map { !$0.isAlive } ?? true)
    }
}
