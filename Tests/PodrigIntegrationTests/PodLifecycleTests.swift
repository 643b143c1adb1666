import CPodrig
#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// Kubelet semantics on real processes: init order, failures, probes, restarts, termination.
@Suite(.serialized) struct PodLifecycleTests {
    @Test(.enabled(if: isRoot)) func initContainersRunInOrder() throws {
        let bed = PodBed()
        // /pod-steps does not exist on the host: it is made in the containers' overlay roots only,
        // and so is /tmp/podrig-private.
        #expect(!Files.exists("/pod-steps"))
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: order}
            spec:
              restartPolicy: Never
              volumes: [{name: work, emptyDir: {}}]
              initContainers:
              - name: first
                image: busybox
                command: [sh, -c, 'echo "first $(date +%s%N)" >> /pod-steps/log; echo private > /tmp/podrig-private']
                volumeMounts: [{name: work, mountPath: /pod-steps}]
              - name: second
                command: [sh, -c, 'echo "second $(date +%s%N)" >> /pod-steps/log']
                volumeMounts: [{name: work, mountPath: /pod-steps}]
              containers:
              - name: main
                command: [sh, -c, 'echo "main $(date +%s%N)" >> /pod-steps/log; cat /pod-steps/log; test -e /tmp/podrig-private || echo tmp-is-private']
                volumeMounts: [{name: work, mountPath: /pod-steps}]
            """)
        let r = bed.cli("up \(file)")
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        #expect(r.err.contains("images are ignored"))
        let lines = r.out.split(separator: "\n").filter { $0.hasPrefix("main | ") }.map { $0.dropFirst(7).split(separator: " ") }
        #expect(lines.map { String($0[0]) } == ["first", "second", "main", "tmp-is-private"], "\(r.out)")
        let times = lines.prefix(3).compactMap { Int($0[1]) }
        #expect(times == times.sorted() && times.count == 3)
        #expect(!Files.exists("/pod-steps") && !Files.exists("/tmp/podrig-private"), "container files landed on the host")
        let pod = try #require(bed.get("order"))
        #expect(pod["status"]?["phase"]?.string == "Succeeded")
        #expect(pod.containerStatus("first", initContainer: true)?["state"]?["terminated"]?["reason"]?.string == "Completed")
        #expect(pod.condition("Initialized") == "True")
        bed.downAndCheck("order")
    }

    @Test(.enabled(if: isRoot)) func failingInitWithNeverFailsThePod() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: badinit}
            spec:
              restartPolicy: Never
              initContainers:
              - {name: fails, command: [sh, -c, 'echo nope >&2; exit 3']}
              containers:
              - {name: main, command: [sh, -c, 'echo should not run']}
            """)
        let r = bed.cli("up \(file)")
        #expect(r.code == 3, "\(r.out)\n\(r.err)")
        #expect(!r.out.contains("should not run"))
        let pod = try #require(bed.get("badinit"))
        #expect(pod["status"]?["phase"]?.string == "Failed")
        #expect(pod.containerStatus("fails", initContainer: true)?["state"]?["terminated"]?["exitCode"]?.int == 3)
        #expect(pod.containerStatus("main")?["state"]?["waiting"]?["reason"]?.string == "PodInitializing")
        #expect(bed.cli("get pods").out.contains("Init:Error"))
        bed.downAndCheck("badinit")
    }

    @Test(.enabled(if: isRoot)) func failingLivenessProbeRestartsTheContainer() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: liveness}
            spec:
              terminationGracePeriodSeconds: 1
              volumes: [{name: state, emptyDir: {}}]
              containers:
              - name: app
                command: [sh, -c, 'if [ -e /mnt/started ]; then rm -f /mnt/dead; echo second life; else touch /mnt/started; echo first life; sleep 1; touch /mnt/dead; fi; exec sleep 1000']
                volumeMounts: [{name: state, mountPath: /mnt}]
                livenessProbe:
                  exec: {command: [sh, -c, '! test -e /mnt/dead']}
                  periodSeconds: 1
                  failureThreshold: 1
            """)
        let r = bed.cli("up -d \(file)")
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        let restarted = bed.wait(20) {
            let s = bed.get("liveness")?.containerStatus("app")
            return s?["restartCount"]?.int == 1 && s?["state"]?["running"] != nil
        }
        #expect(restarted, "\(bed.get("liveness")?.pretty ?? "")")
        let s = bed.get("liveness")?.containerStatus("app")
        #expect(s?["lastState"]?["terminated"]?["exitCode"]?.int == 137)
        #expect(bed.cli("logs liveness").out.contains("second life"))
        #expect(bed.cli("logs --previous liveness").out.contains("first life"))
        let events = (try? Files.readString(bed.pod("liveness")!.layout.events)) ?? ""
        #expect(events.contains("Liveness probe failed"))
        bed.downAndCheck("liveness")
    }

    @Test(.enabled(if: isRoot)) func readinessProbeGatesReady() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: ready}
            spec:
              terminationGracePeriodSeconds: 1
              volumes: [{name: flag, emptyDir: {}}]
              containers:
              - name: app
                command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 0.2; done']
                volumeMounts: [{name: flag, mountPath: /mnt}]
                readinessProbe:
                  exec: {command: [test, -e, /mnt/ready]}
                  periodSeconds: 1
                  failureThreshold: 1
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        usleep(1_500_000)
        let before = try #require(bed.get("ready"))
        #expect(before["status"]?["phase"]?.string == "Running")
        #expect(before.condition("Ready") == "False")
        #expect(before.condition("ContainersReady") == "False")
        #expect(before.containerStatus("app")?["ready"]?.bool == false)
        #expect(bed.cli("get pods").out.contains("0/1"))
        let ex = bed.cli("exec ready -- touch /mnt/ready")
        #expect(ex.code == 0, "\(ex.err)")
        #expect(bed.wait(10) { bed.get("ready")?.condition("Ready") == "True" })
        #expect(bed.cli("get pods").out.contains("1/1"))
        bed.downAndCheck("ready")
    }

    @Test(.enabled(if: isRoot)) func downHonoursPreStopAndGracePeriod() throws {
        let bed = PodBed()
        let out = bed.root.path + "/record"
        try Files.makeDirectories(out, mode: 0o755)
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: graceful}
            spec:
              terminationGracePeriodSeconds: 2
              volumes: [{name: out, hostPath: {path: \(out), type: Directory}}]
              containers:
              - name: polite
                command: [sh, -c, 'trap "echo term >> /mnt/polite; exit 0" TERM; while true; do sleep 0.1; done']
                volumeMounts: [{name: out, mountPath: /mnt}]
                lifecycle:
                  preStop:
                    exec: {command: [sh, -c, 'echo prestop >> /mnt/polite']}
              - name: stubborn
                command: [sh, -c, 'trap "" TERM; while true; do sleep 0.1; done']
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        let t0 = Clock.now()
        bed.downAndCheck("graceful")
        let took = Clock.now() - t0
        #expect(took >= 2 && took < 10, "down took \(took) s")
        #expect((try? Files.readString(out + "/polite")) == "prestop\nterm\n")
    }

    /// The API server takes any int64 grace period and int32 probe periods: `down -v` (its progress
    /// lines do arithmetic on the grace period) neither traps nor waits past a polite container.
    @Test(.enabled(if: isRoot)) func hugeGracePeriodAndProbeIntervals() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: forever}
            spec:
              hostNetwork: true
              terminationGracePeriodSeconds: 9223372036854775807
              containers:
              - name: c
                command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 0.1; done']
                livenessProbe: {exec: {command: ["true"]}, periodSeconds: 2147483647, initialDelaySeconds: 2147483647, timeoutSeconds: 2147483647}
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        guard let p = bed.pod("forever") else { Issue.record("pod forever not found"); return }
        let pids = (p.status?.containers ?? []).map(\.pid).filter { $0 > 0 }
        let r = bed.cli("down -v forever")
        #expect(r.code == 0 && r.err.contains("grace period 2147483647s"), "down -v: \(r.code) \(r.err)")
        bed.checkGone(p, containerPids: pids)
    }

    /// kubectl logs --all-containers and --prefix: init containers first, each line with its source;
    /// -f follows them all and ends when they have stopped.
    @Test(.enabled(if: isRoot)) func logsOfAllContainers() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: mc, labels: {app: mc}}
            spec:
              hostNetwork: true
              restartPolicy: Never
              initContainers: [{name: init, command: [sh, -c, "echo from-init"]}]
              containers:
              - {name: a, command: [sh, -c, "echo a1; echo a2; sleep 1"]}
              - {name: b, command: [sh, -c, "echo b1; echo b2; sleep 1"]}
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        #expect(bed.wait(10) { bed.cli("logs mc -c b").out == "b1\nb2\n" })
        #expect(bed.cli("logs mc --all-containers").out == "from-init\na1\na2\nb1\nb2\n")
        #expect(bed.cli("logs mc --all-containers --prefix --tail 1").out == "[pod/mc/init] from-init\n[pod/mc/a] a2\n[pod/mc/b] b2\n")
        let followed = bed.cli("logs -f mc --all-containers --prefix", timeout: 20)
        #expect(followed.code == 0 && followed.out.hasSuffix("[pod/mc/b] b2\n"), "\(followed)")
        #expect(bed.cli("logs mc --all-containers -c a").code == 2)
        // kubectl logs -l: each matching pod's first container (or -c, or all of them).
        #expect(bed.cli("logs -l app=mc --prefix").out == "[pod/mc/a] a1\n[pod/mc/a] a2\n")
        #expect(bed.cli("logs -l app=mc -c b").out == "b1\nb2\n")
        #expect(bed.cli("logs -l app=mc --all-containers").out == "from-init\na1\na2\nb1\nb2\n")
        #expect(bed.cli("logs -l app=none").err.contains("No resources found"))
        #expect(bed.cli("logs mc -l app=mc").code == 2 && bed.cli("logs").code == 2)
        bed.downAndCheck("mc")
    }

    /// kubectl get -w: the table, then a row for each change, lined up with the first.
    @Test(.enabled(if: isRoot)) func getWatchPrintsChanges() throws {
        let bed = PodBed()
        let out = bed.root.path + "/watch.out"
        // In the background, by PID: ended before the root goes, so it cannot outlive the test.
        let pid = Int32(sh("timeout 20 \(TestBinaries.podrig) --root \(bed.root.path) get pods -w > \(out) 2>&1 & echo $!").out.trimmed) ?? 0
        #expect(pid > 0)
        defer {
            if pid > 0 { kill(pid, SIGTERM) }
            _ = bed.wait(5) { Proc.status(pid, "State").map { $0.hasPrefix("Z") } ?? true }  // gone, or a zombie of init's
        }
        usleep(300_000)
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: wp}
            spec:
              hostNetwork: true
              restartPolicy: Never
              containers: [{name: c, command: [sh, -c, "sleep 1.5; exit 3"]}]
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        #expect(bed.wait(10) { ((try? Files.readString(out)) ?? "").contains("Error") })
        let lines = try Files.readString(out).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NAME   READY   STATUS") == true, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("wp     1/1     Running   0 ") } && lines.last?.hasPrefix("wp     0/1     Error     0 ") == true, "\(lines)")
        #expect(bed.cli("get nodes -w").code == 2 && bed.cli("get pods -w -o json").code == 2)
        bed.downAndCheck("wp")
    }

    /// kubectl wait: a condition, a field's value, deletion; a timeout names the pods; bad --for is a usage error.
    @Test(.enabled(if: isRoot)) func waitLikeKubectl() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: wt, labels: {app: w}}
            spec:
              hostNetwork: true
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 0.1; done']
                readinessProbe: {exec: {command: ["true"]}, initialDelaySeconds: 1, periodSeconds: 1}
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        let ready = bed.cli("wait --for=condition=Ready pod/wt --timeout 20s")
        #expect(ready.code == 0 && ready.out == "pod/wt condition met\n", "\(ready)")
        let phase = bed.cli("wait --for jsonpath={.status.phase}=Running -l app=w")
        #expect(phase.code == 0 && phase.out == "pod/wt condition met\n", "\(phase)")
        let index = bed.cli("wait --for=jsonpath='{.status.containerStatuses[0].ready}'=true pods wt")
        #expect(index.code == 0, "\(index)")
        let never = bed.cli("wait --for=condition=Ready=false pod/wt --timeout 0.3s")
        #expect(never.code == 1 && never.err == "podrig: error: timed out waiting for the condition on pods/wt\n", "\(never)")
        let filtered = bed.cli(#"wait --for='jsonpath={.status.conditions[?(@.type=="Ready")].status}=True' pod/wt"#)
        #expect(filtered.code == 0, "\(filtered)")
        // get -o jsonpath and -o name, as scripts use them.
        #expect(bed.cli("get pod wt -o jsonpath='{.status.phase}'").out == "Running")
        #expect(bed.cli("get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}'").out == "wt\n")
        #expect(bed.cli("get pods -o name").out == "pod/wt\n")
        #expect(bed.cli("wait --for=condition=Ready pod/nosuch").err.contains("not found"))
        #expect(bed.cli("wait --for=delete pod/nosuch").code == 0)
        for (args, message) in [("--for=ready pod/wt", "is not condition="), ("--for=delete", "give pod/NAME"),
                                ("--for=delete --timeout x pod/wt", "--timeout"), ("--for=jsonpath=status pod/wt", "must start with '.'"),
                                ("--for=delete deployment/x", "pods only")] {
            let r = bed.cli("wait \(args)")
            #expect(r.code == 2 && r.err.contains(message), "wait \(args): \(r.err)")
        }
        // Deletion, from another process.
        let p = try #require(bed.pod("wt"))
        let downDone = bed.root.path + "/down.done"
        sh("(sleep 0.3; \(TestBinaries.podrig) --root \(bed.root.path) down wt >/dev/null 2>&1; touch \(downDone)) &")
        let gone = bed.cli("wait --for=delete pod/wt --timeout 20s")
        #expect(gone.code == 0 && gone.out == "pod/wt deleted\n", "\(gone)")
        // The pod is gone from queries before down has finished its teardown: wait for down itself.
        #expect(bed.wait(20) { Files.exists(downDone) })
        bed.checkGone(p, containerPids: [])
    }

    /// kubectl describe pod's layout, from the same v1 Pod as get -o json, with the supervisor's events.
    @Test(.enabled(if: isRoot)) func describeLikeKubectl() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: ds, labels: {app: web, tier: x}}
            spec:
              hostNetwork: true
              terminationGracePeriodSeconds: 1
              volumes: [{name: scratch, emptyDir: {}}]
              containers:
              - name: web
                command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 0.1; done']
                env: [{name: FOO, value: bar}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
                resources: {limits: {memory: 64Mi}}
                readinessProbe: {exec: {command: ["true"]}, periodSeconds: 2}
                volumeMounts: [{name: scratch, mountPath: /scratch, readOnly: true}]
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        #expect(bed.cli("wait --for=condition=Ready pod/ds").code == 0)
        let d = bed.cli("describe pod ds")
        #expect(d.code == 0, "\(d.err)")
        for expected in ["Name:             ds\n", "Labels:           app=web\n                  tier=x\n", "Status:           Running\n",
                         "Containers:\n  web:\n", "    State:          Running\n", "    Ready:          True\n",
                         "    Limits:\n      memory:  64Mi\n", "    Readiness:      exec [true] delay=0s timeout=1s period=2s #success=1 #failure=3\n",
                         "      FOO:  bar\n      POD:  (v1:metadata.name)\n", "      /scratch from scratch (ro)\n",
                         "  Ready                       True\n", "QoS Class:        Burstable\n", "  ----     ------"] {
            #expect(d.out.contains(expected), "missing \(expected.debugDescription) in\n\(d.out)")
        }
        #expect(d.out.contains("web: Started (pid "))
        #expect(bed.cli("describe pods -l app=web").out.hasPrefix("Name:             ds\n"))
        #expect(bed.cli("describe pod nosuch").code == 1 && bed.cli("describe nodes").code == 2)
        // kubectl get events: the same events, every pod's, oldest first.
        let ev = bed.cli("get events").out
        #expect(ev.hasPrefix("LAST SEEN   TYPE     REASON") && ev.contains("Normal   Started") && ev.contains("pod/ds   web: Started (pid "), "\(ev)")
        #expect(bed.cli("get events -o json").code == 2)
        bed.downAndCheck("ds")
    }

    /// kubectl delete's --all, -l and -A.
    @Test(.enabled(if: isRoot)) func downBySelectorAllAndAllNamespaces() throws {
        let bed = PodBed()
        func doc(_ name: String, _ ns: String, _ app: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name), namespace: \(ns), labels: {app: \(app)}}
            spec:
              hostNetwork: true
              terminationGracePeriodSeconds: 1
              containers: [{name: c, command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 0.1; done']}]
            """
        }
        let file = bed.manifest([doc("a1", "default", "a"), doc("a2", "default", "a"), doc("b1", "default", "b"), doc("o1", "other", "a")]
            .joined(separator: "\n---\n"))
        #expect(bed.cli("up -d \(file)").code == 0)
        let all = try bed.pods.list()
        #expect(all.count == 4)
        for (args, message) in [("a1 --all", "cannot be given with"), ("-A", "-A needs"), ("--all -l app=a", "cannot be combined"),
                                ("-l 'app in'", "-l:"), ("", "at least one pod name")] {
            let r = bed.cli("down \(args)")
            #expect(r.code == 2 && r.err.contains(message), "down \(args): \(r.err)")
        }
        // kubectl get's table options on the same pods.
        #expect(bed.cli("get pods --show-labels").out.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix("app=a") || $0.hasSuffix("app=b") })
        let columns = bed.cli("get pods -L app --no-headers").out.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(columns == ["a", "a", "b"], "\(columns)")
        #expect(bed.cli("get pods -A --sort-by={.metadata.labels.app} -o name").out == "pod/a1\npod/a2\npod/o1\npod/b1\n")
        #expect(bed.cli("get pods --sort-by .metadata.name -o jsonpath={.items[*].metadata.name}").out == "a1 a2 b1")
        #expect(bed.cli("get pods --sort-by .a[").code == 2)
        let bySelector = bed.cli("down -l app=a")
        #expect(bySelector.code == 0 && bySelector.out == "pod \"a1\" deleted\npod \"a2\" deleted\n", "\(bySelector)")
        #expect(bed.cli("down -l app=nothing").err.contains("No resources found"))
        #expect(bed.cli("down --all").out == "pod \"b1\" deleted\n")
        #expect(bed.cli("down -A --all").out == "pod \"o1\" deleted from other namespace\n")
        #expect(try bed.pods.list().isEmpty)
        for p in all { bed.checkGone(p, containerPids: (p.status?.containers ?? []).map(\.pid).filter { $0 > 0 }) }
    }

    /// kubelet's activeDeadlineSeconds: the pod fails with DeadlineExceeded, its containers are
    /// stopped with the grace period (the TERM trap runs) and not restarted, whatever the policy.
    @Test(.enabled(if: isRoot)) func activeDeadlineFailsThePod() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: deadline}
            spec:
              hostNetwork: true
              restartPolicy: Always
              activeDeadlineSeconds: 1
              terminationGracePeriodSeconds: 5
              containers:
              - name: c
                command: [sh, -c, 'trap "echo got-term; exit 3" TERM; while true; do sleep 0.1; done']
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        guard let p = bed.pod("deadline") else { Issue.record("pod deadline not found"); return }
        let pids = (p.status?.containers ?? []).map(\.pid).filter { $0 > 0 }
        #expect(bed.wait(15) { bed.pod("deadline")?.supervisorAlive == false })
        let status = try #require(try JSONParser.parse(bed.cli("get pod deadline -o json").out)["status"])
        #expect(status["phase"]?.string == "Failed" && status["reason"]?.string == PR_REASON_DEADLINE_EXCEEDED
                && status["message"]?.string == PR_MESSAGE_DEADLINE_EXCEEDED, "\(status.compact)")
        let c = status["containerStatuses"]?[0]
        #expect(c?["restartCount"]?.int == 0 && c?["state"]?["terminated"]?["exitCode"]?.int == 3, "\(c?.compact ?? "")")
        #expect(bed.cli("logs deadline").out.contains("got-term"))
        #expect(bed.cli("get pods").out.contains("DeadlineExceeded") || bed.cli("get pods").out.contains("Error"))
        let r = bed.cli("down deadline")
        #expect(r.code == 0, "\(r.err)")
        bed.checkGone(p, containerPids: pids)
    }

    @Test(.enabled(if: isRoot)) func logsAreCRIAndExecReturnsTheExitCode() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: logs}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: talker
                command: [sh, -c, 'echo to-out; echo to-err >&2; printf no-newline; exec sleep 1000']
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        let p = try #require(bed.pod("logs"))
        let path = p.logDirectory + "/talker/0.log"
        #expect(bed.wait(5) { ((try? Files.readString(path)) ?? "").contains("to-err") })
        let raw = try Files.readString(path)
        let records = raw.split(separator: "\n").compactMap { CRILogLine.parse($0) }
        #expect(records.count == 2, "\(raw)")
        let shape = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [FP] .*$"#)
        for line in raw.split(separator: "\n") { #expect((try? shape.wholeMatch(in: String(line))) != nil, "\(line)") }
        #expect(records.contains { $0.stream == "stdout" && $0.message == "to-out" && !$0.partial })
        #expect(records.contains { $0.stream == "stderr" && $0.message == "to-err" })
        #expect(bed.cli("logs logs").out == "to-out\nto-err\n")
        #expect(bed.cli("logs --timestamps logs").out.split(separator: "\n").allSatisfy { $0.contains("Z to-") })
        // kubectl/crictl logs options, kubelet's meaning.
        #expect(bed.cli("logs --tail 1 logs").out == "to-err\n")
        #expect(bed.cli("logs --tail=0 logs").out == "")
        #expect(bed.cli("logs --limit-bytes 5 logs").out == "to-ou")
        #expect(bed.cli("logs --since 1h logs").out == "to-out\nto-err\n")
        #expect(bed.cli("logs --since-time 2262-01-01T00:00:00Z logs").out == "")
        #expect(bed.cli("logs --since-time 2000-01-01T00:00:00+02:00 -t logs").out.split(separator: "\n").count == 2)
        for (args, message) in [("--since x", "--since"), ("--since-time yesterday", "--since-time"),
                                ("--tail -2", "--tail"), ("--limit-bytes 0", "--limit-bytes"),
                                ("--since 1h --since-time 2000-01-01T00:00:00Z", "exclude each other"),
                                ("--reopen --tail 1", "--reopen")] {
            let r = bed.cli("logs \(args) logs")
            #expect(r.code != 0 && r.out.isEmpty && r.err.contains(message), "logs \(args): \(r.code) \(r.err)")
        }
        #expect(bed.cli("exec logs -- sh -c 'exit 42'").code == 42)
        #expect(bed.cli("exec logs -- true").code == 0)
        // crictl's form, no `--`: the command's own options stay its own.
        let crictlStyle = sh("\(TestBinaries.podrig) --root \(bed.root.path) exec logs sh -c 'echo $0-$1; exit 7' -n --root")
        #expect(crictlStyle.code == 7 && crictlStyle.out == "-n---root\n", "\(crictlStyle)")
        let ownDashes = sh("\(TestBinaries.podrig) --root \(bed.root.path) exec logs sh -c 'echo \"$@\"' sh -- x")
        #expect(ownDashes.code == 0 && ownDashes.out == "-- x\n", "\(ownDashes)")
        #expect(bed.cli("exec -c nosuch logs -- true").code != 0)
        bed.downAndCheck("logs")
    }
}
