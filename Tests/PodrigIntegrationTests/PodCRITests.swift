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
        // crictl's form, create POD container-config pod-config: the sandbox's own config is taken,
        // another pod's is a one-line error that creates nothing.
        let other = bed.manifest(#"{"metadata": {"name": "crisb", "namespace": "default", "uid": "cri-2"}}"#, name: "other.json")
        let wrong = bed.cli("create \(sandbox) \(cc) \(other)")
        #expect(wrong.code == 1 && wrong.err.contains("pod config \(other): it is for default/crisb (uid cri-2") && !wrong.err.dropLast().contains("\n"), "\(wrong.err)")
        #expect(bed.cli("ps -aq").out.trimmed.isEmpty)
        // A second container, created the crictl way and left running, goes with the sandbox.
        let again = bed.cli("create \(sandbox) \(cc) \(sb)").out.trimmed
        #expect(!again.isEmpty)
        #expect(bed.cli("start \(again)").code == 0)
        let record = try bed.root.manager.status(sandbox)
        #expect(bed.cli("rmp -f \(sandbox)").code == 0)
        LeakCheck.sandboxGone(record, root: bed.root)
        #expect(!sh("ps -eo args").out.contains(bed.root.path), "a supervisor survived its sandbox")
        #expect(ProcessIdentity.of(pid).map { !$0.isAlive } ?? true)
    }

    /// crictl run CONTAINER_CONFIG POD_CONFIG: runp + create + start; a failure after runp takes
    /// the new sandbox away again.
    @Test(.enabled(if: isRoot)) func crictlRunIsRunpCreateStart() throws {
        let bed = PodBed()
        let logs = bed.root.path + "/crilogs"
        let sb = bed.manifest("""
            {"metadata": {"name": "runsb", "namespace": "default", "uid": "cri-run-1"}, "log_directory": "\(logs)"}
            """, name: "sandbox.json")
        let cc = bed.manifest("""
            {"metadata": {"name": "talk"}, "image": {"image": "busybox"}, "log_path": "talk.log",
             "command": ["sh", "-c", "echo ran by run; exec sleep 100"]}
            """, name: "container.json")
        let run = bed.cli("run \(cc) \(sb)")
        #expect(run.code == 0, "\(run.err)")
        let id = run.out.trimmed
        #expect(bed.cli("ps -q").out.trimmed == id)
        #expect(bed.wait(5) { ((try? Files.readString(logs + "/talk.log")) ?? "").contains("ran by run") })
        let sandbox = bed.cli("pods -q --no-trunc").out.trimmed

        // crictl ps's filters, on a second container that has exited.
        let quick = bed.manifest(#"{"metadata": {"name": "quick"}, "labels": {"tier": "x"}, "command": ["true"]}"#, name: "quick.json")
        let q = bed.cli("create \(sandbox) \(quick)").out.trimmed
        #expect(bed.cli("start \(q)").code == 0)
        #expect(bed.wait(5) { bed.cli("ps -q -s exited").out.trimmed == q })
        for (args, ids) in [("", [id]), ("-a", [q, id]), ("--state running", [id]), ("-s CREATED", []), ("--latest", [q]),
                            ("--last 2", [q, id]), ("-a --name ^qu", [q]), ("--name ^qu", []), ("-a --name k", [q, id]),
                            ("-a --label tier=x", [q]), ("-a --label tier=y", []), ("-a --id \(q.prefix(6))", [q]),
                            ("-a -p \(sandbox.prefix(6))", [q, id])] {
            let r = bed.cli("ps -q \(args)")
            #expect(r.code == 0 && r.out.split(separator: "\n").map(String.init) == ids, "ps \(args): \(r.out) \(r.err)")
        }
        #expect(bed.cli("ps -a --no-trunc").out.contains(q) && !bed.cli("ps -a").out.contains(q))
        let inspected = try ConfigText.parseAll(bed.cli("inspect -o yaml \(q) \(id.prefix(8))").out, source: "inspect")
        #expect(inspected.map { $0["status"]?["id"]?.string } == [q, id])
        // rm -a as crictl's: the exited one goes, the running one needs -f.
        let rmAll = bed.cli("rm -a")
        #expect(rmAll.code == 1 && rmAll.out.trimmed == q && rmAll.err.contains(String(id)), "\(rmAll)")
        #expect(bed.cli("ps -aq").out.trimmed == id)
        #expect(bed.cli("rm -af").code == 0 && bed.cli("ps -aq").out.trimmed.isEmpty)
        for (args, message) in [("--state gone", "--state"), ("--label tier", "--label"), ("--name '('", "--name")] {
            let r = bed.cli("ps \(args)")
            #expect(r.code == 2 && r.err.hasPrefix("Error: \(message)"), "ps \(args): \(r.err)")
        }
        let record = try bed.root.manager.status(sandbox)
        #expect(bed.cli("rmp -f \(sandbox)").code == 0)
        LeakCheck.sandboxGone(record, root: bed.root)

        // A start that fails (no such binary) and a create that fails (a bad capability): one
        // line each, and no sandbox, netns, pause or cgroup is left.
        let noBinary = bed.manifest(#"{"metadata": {"name": "nob"}, "command": ["/no/such/binary"]}"#, name: "nob.json")
        let badCap = bed.manifest(#"""
            {"metadata": {"name": "cap"}, "command": ["true"], "linux": {"security_context": {"capabilities": {"add_capabilities": ["CAP_BOGUS"]}}}}
            """#, name: "cap.json")
        for (config, message) in [(noBinary, "/no/such/binary"), (badCap, "CAP_BOGUS")] {
            let r = bed.cli("run \(config) \(sb)")
            #expect(r.code == 1 && r.out.isEmpty && r.err.contains(message) && !r.err.dropLast().contains("\n"), "\(r.code) \(r.err)")
            LeakCheck.rootEmpty(bed.root)
        }
        let missing = bed.cli("run \(cc) \(bed.root.path)/nope.json")
        #expect(missing.code == 1 && missing.err.contains("nope.json"), "\(missing.err)")
        LeakCheck.rootEmpty(bed.root)
        LeakCheck.cgroupsGone([], pods: ["podcri-run-1"])
        LeakCheck.doctorClean(root: bed.root)
        #expect(!sh("ps -eo args").out.contains(bed.root.path), "a pause or supervisor survived")
    }
}
