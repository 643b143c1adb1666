#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// The Kubernetes documentation's own example manifests (examples/k8s/, each saying where it comes
/// from and what, if anything, was adapted), run with `podrig up` on a real bridge CNI network in a
/// node netns, checked for what their pages say one observes, and for `get pod -o json` telling the
/// story kubectl would. Long waits (30 s liveness, 10 s sleeps, 15 s probe delays) are shortened in
/// copies made by `variant`; the files keep the originals.
@Suite(.serialized) struct K8sExamplesTests {
    /// "Configure Pod Initialization": the init container completes, then the web server serves its page.
    @Test(.enabled(if: isRoot)) func initContainersPrepareThePage() throws {
        let n = K8sNode(0)
        n.up("init-containers")
        let pod = try #require(n.get("init-demo"))
        n.expectKubectlShape(pod, phase: "Running")
        let install = pod.containerStatus("install", initContainer: true)
        #expect(install?["state"]?["terminated"]?["reason"]?.string == "Completed")
        #expect(install?["state"]?["terminated"]?["exitCode"]?.int == 0)
        #expect(pod.condition("Initialized") == "True")
        // The init container ended before the web server started.
        let ended = install?["state"]?["terminated"]?["finishedAt"]?.string ?? "~"
        let started = pod.containerStatus("nginx")?["state"]?["running"]?["startedAt"]?.string ?? ""
        #expect(ended <= started)
        var page = ""
        n.wait(10) {
            page = n.exec("init-demo", nil, "curl -s localhost").out
            return page.contains("home of the first website")
        }
        #expect(page.contains("<title>http://info.cern.ch</title>"), "curl localhost in the pod: \(page)")
        // And from the node, on the pod's IP.
        let ip = pod["status"]?["podIP"]?.string ?? "-"
        #expect(n.inNode("curl -s http://\(ip)/").out.contains("home of the first website"))
        #expect(Array(n.row("init-demo").prefix(4)) == ["init-demo", "1/1", "Running", "0"])
        #expect(n.row("init-demo").last == ip)
        n.downAll()
    }

    /// "Communicate Between Containers in the Same Pod Using a Shared Volume".
    @Test(.enabled(if: isRoot)) func twoContainersShareAVolume() throws {
        let n = K8sNode(1)
        n.up("two-container-pod")
        n.wait { n.get("two-containers")?.containerStatus("debian-container")?["state"]?["terminated"] != nil }
        let pod = try #require(n.get("two-containers"))
        n.expectKubectlShape(pod, phase: "Running")
        let debian = pod.containerStatus("debian-container")?["state"]?["terminated"]
        #expect(debian?["reason"]?.string == "Completed" && debian?["exitCode"]?.int == 0)
        #expect(pod.containerStatus("nginx-container")?["state"]?["running"] != nil)
        #expect(pod.condition("Ready") == "False" && pod.condition("ContainersReady") == "False")
        #expect(pod.conditionJSON("Ready")?["message"]?.string == "containers with unready status: [debian-container]")
        var page = ""
        n.wait(10) {
            page = n.exec("two-containers", "nginx-container", "curl -s localhost").out
            return !page.isEmpty
        }
        #expect(page == "Hello from the debian container\n")
        // kubectl's printPod: a completed container beside a running one in a pod that is not Ready.
        #expect(Array(n.row("two-containers").prefix(4)) == ["two-containers", "1/2", "NotReady", "0"])
        n.downAll()
    }

    /// "Multi-container Pods": an init container fills a read-only volume; a sidecar's startup probe
    /// holds the app back until its config exists; an adapter sidecar rewrites the app's log.
    @Test(.enabled(if: isRoot)) func multiContainerPatterns() throws {
        let n = K8sNode(2)
        n.up("shared-volume")
        n.up("startup-coordination")
        n.up("adapter")
        var page = ""
        n.wait(10) {
            page = n.exec("shared-volume-example", "web", "curl -s localhost").out
            return !page.isEmpty
        }
        #expect(page == "Hello from the init container\n")
        let sv = try #require(n.get("shared-volume-example"))
        n.expectKubectlShape(sv, phase: "Running")
        let mount = sv.containerStatus("web")?["volumeMounts"]?[0]
        #expect(mount?["mountPath"]?.string == "/usr/share/nginx/html" && mount?["readOnly"]?.bool == true)
        #expect(n.exec("shared-volume-example", "web", "sh -c 'echo x > /usr/share/nginx/html/x'").code != 0, "the mount is read-only")

        #expect(n.logs("startup-coordination-example", "main-app").first == "greeting=hello")
        let sc = try #require(n.get("startup-coordination-example"))
        n.expectKubectlShape(sc, phase: "Running")
        let sidecar = sc.containerStatus("config-sidecar", initContainer: true)
        #expect(sidecar?["state"]?["running"] != nil && sidecar?["started"]?.bool == true && sidecar?["ready"]?.bool == true)
        #expect(Array(n.row("startup-coordination-example").prefix(4)) == ["startup-coordination-example", "2/2", "Running", "0"])

        var adapted: [String] = []
        n.wait(10) {
            adapted = n.logs("adapter-pattern-example", "adapter").filter { $0.hasPrefix("adapted: ") }
            return !adapted.isEmpty
        }
        #expect(adapted.first?.hasSuffix(" raw event") == true, "\(adapted)")
        n.expectKubectlShape(try #require(n.get("adapter-pattern-example")), phase: "Running")
        n.downAll()
    }

    /// "Configure Liveness, Readiness and Startup Probes" (exec): once /tmp/healthy is gone the
    /// probe fails three times, kubelet kills the container and restarts it. Shortened: 30 s → 2 s,
    /// probe delay and period 5 s → 1 s, and a 2 s grace period (the shell's sleep ignores SIGTERM as PID 1).
    @Test(.enabled(if: isRoot)) func execLivenessProbeRestartsTheContainer() throws {
        let n = K8sNode(3)
        let file = n.variant("exec-liveness", [("sleep 30;", "sleep 2;"), ("initialDelaySeconds: 5", "initialDelaySeconds: 1"),
                                               ("periodSeconds: 5", "periodSeconds: 1"), ("spec:\n", "spec:\n  terminationGracePeriodSeconds: 2\n")])
        n.up(file)
        let first = try #require(n.get("liveness-exec"))
        n.expectKubectlShape(first, phase: "Running")
        #expect(first.containerStatus("liveness")?["restartCount"]?.int == 0)
        #expect(n.wait(20) { (n.get("liveness-exec")?.containerStatus("liveness")?["restartCount"]?.int ?? 0) >= 1 }, "restarted")
        let pod = try #require(n.get("liveness-exec"))
        n.expectKubectlShape(pod, phase: "Running")
        let last = pod.containerStatus("liveness")?["lastState"]?["terminated"]
        #expect(last?["reason"]?.string == "Error", "\(last?.compact ?? "-")")
        #expect([137, 143].contains(last?["exitCode"]?.int ?? 0), "killed: \(last?.compact ?? "-")")
        let row = n.row("liveness-exec")
        #expect(row.count > 3 && row[3].hasPrefix("1 (") && row[3].hasSuffix(" ago)"), "RESTARTS like kubectl's: \(row)")
        n.downAll()
    }

    /// "Configure Liveness, Readiness and Startup Probes" (tcpSocket): Ready once the first
    /// readiness probe connects. Shortened: delays 15 s → 2 s, periods 10 s → 1 s.
    @Test(.enabled(if: isRoot)) func tcpReadinessProbeGatesReady() throws {
        let n = K8sNode(4)
        let file = n.variant("tcp-liveness-readiness", [("initialDelaySeconds: 15", "initialDelaySeconds: 2"), ("periodSeconds: 10", "periodSeconds: 1")])
        n.up(file)
        let before = try #require(n.get("goproxy"))
        #expect(before.condition("Ready") == "False", "not Ready before the first probe")
        #expect(before.containerStatus("goproxy")?["ready"]?.bool == false)
        #expect(n.wait(10) { n.get("goproxy")?.condition("Ready") == "True" })
        let pod = try #require(n.get("goproxy"))
        n.expectKubectlShape(pod, phase: "Running")
        #expect(pod.containerStatus("goproxy")?["ready"]?.bool == true && pod.containerStatus("goproxy")?["restartCount"]?.int == 0)
        #expect(pod.condition("ContainersReady") == "True")
        #expect(Array(n.row("goproxy").prefix(4)) == ["goproxy", "1/1", "Running", "0"])
        n.downAll()
    }

    /// "Determine the Reason for Pod Failure": the message written to /dev/termination-log is the
    /// terminated state's message. Shortened: sleep 10 → 1.
    @Test(.enabled(if: isRoot)) func terminationMessageInStatus() throws {
        let n = K8sNode(5)
        n.up(n.variant("termination", [("sleep 10", "sleep 1")]))
        var message: String?
        n.wait(10) {
            let cs = n.get("termination-demo")?.containerStatus("termination-demo-container")
            message = (cs?["state"]?["terminated"] ?? cs?["lastState"]?["terminated"])?["message"]?.string
            return message != nil
        }
        #expect(message == "Sleep expired\n")
        let pod = try #require(n.get("termination-demo"))
        n.expectKubectlShape(pod, phase: "Running")  // restartPolicy Always: it exits 0 and is restarted
        n.downAll()
    }

    /// "Define a Command and Arguments for a Container": in the foreground, `up` ends with the pod
    /// (OnFailure, exit 0) and prints what `kubectl logs` would.
    @Test(.enabled(if: isRoot)) func commandAndArguments() throws {
        let n = K8sNode(6)
        let r = n.cli("up \(K8sNode.example("commands"))")
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        #expect(r.out.contains("command-demo-container | command-demo\n"), "\(r.out)")
        #expect(r.out.contains("command-demo-container | tcp://10.96.0.1:443\n"), "\(r.out)")
        #expect(n.logs("command-demo") == ["command-demo", "tcp://10.96.0.1:443", ""])
        let pod = try #require(n.get("command-demo"))
        n.expectKubectlShape(pod, phase: "Succeeded")
        #expect(pod.containerStatus("command-demo-container")?["state"]?["terminated"]?["reason"]?.string == "Completed")
        #expect(pod.conditionJSON("Ready")?["reason"]?.string == "PodCompleted")
        #expect(pod.condition("PodReadyToStartContainers") == "False", "the sandbox is stopped once the pod completed")
        #expect(Array(n.row("command-demo").prefix(4)) == ["command-demo", "0/1", "Completed", "0"])
        n.downAll()
    }

    /// "Define Dependent Environment Variables": $(VAR) expands only to variables defined before;
    /// $$ escapes it.
    @Test(.enabled(if: isRoot)) func dependentEnvironmentVariables() throws {
        let n = K8sNode(7)
        n.up("dependent-envars")
        var lines: [String] = []
        n.wait { lines = n.logs("dependent-envars-demo"); return lines.contains { $0.hasPrefix("ESCAPED_REFERENCE=") } }
        #expect(lines.contains("UNCHANGED_REFERENCE=$(PROTOCOL)://172.17.0.1:80"), "\(lines)")
        #expect(lines.contains("SERVICE_ADDRESS=https://172.17.0.1:80"))
        #expect(lines.contains("ESCAPED_REFERENCE=$(PROTOCOL)://172.17.0.1:80"))
        n.downAll()
    }

    /// "Expose Pod Information to Containers Through Environment Variables": fieldRef and
    /// resourceFieldRef values in the logs, the pod IP the real one.
    @Test(.enabled(if: isRoot)) func downwardAPIEnvironment() throws {
        let n = K8sNode(8)
        n.up("dapi-envars-pod")
        n.up("dapi-envars-container")
        var lines: [String] = []
        n.wait { lines = n.logs("dapi-envars-fieldref").filter { !$0.isEmpty && $0 != "-en " }; return lines.count >= 5 }
        let pod = try #require(n.get("dapi-envars-fieldref"))
        n.expectKubectlShape(pod, phase: "Running")
        let ip = pod["status"]?["podIP"]?.string ?? "-"
        #expect(Array(lines.prefix(5)) == [PodFiles.nodeName(), "dapi-envars-fieldref", "default", ip, "default"], "\(lines)")
        #expect(lines[0] == pod["spec"]?["nodeName"]?.string ?? PodFiles.nodeName())

        n.wait { lines = n.logs("dapi-envars-resourcefieldref").filter { !$0.isEmpty && $0 != "-en " }; return lines.count >= 4 }
        #expect(Array(lines.prefix(4)) == ["1", "1", "33554432", "67108864"], "\(lines)")
        let res = try #require(n.get("dapi-envars-resourcefieldref"))
        n.expectKubectlShape(res, phase: "Running", qos: "Burstable")
        let cs = res.containerStatus("test-container")
        #expect(cs?["resources"]?["limits"]?["memory"]?.string == "64Mi" && cs?["resources"]?["requests"]?["cpu"]?.string == "125m")
        n.downAll()
    }

    /// "Configure a Security Context for a Pod or Container": processes run as 1000:3000 with groups
    /// 2000 (fsGroup), 3000, 4000; the emptyDir belongs to group 2000, and so do files made in it.
    @Test(.enabled(if: isRoot)) func securityContext() throws {
        let n = K8sNode(9)
        n.up("security-context")
        let ps = n.exec("security-context-demo", nil, "ps -eo uid=,args=").out
        #expect(ps.split(separator: "\n").allSatisfy { String($0).trimmed.hasPrefix("1000 ") }, "every process runs as 1000:\n\(ps)")
        #expect(n.exec("security-context-demo", nil, "stat -c '%A %g' /data/demo").out == "drwxrwsrwx 2000\n")
        let made = n.exec("security-context-demo", nil, "sh -c 'cd /data/demo && echo hello > testfile && stat -c \"%u %g\" testfile'")
        #expect(made.out == "1000 2000\n", "\(made)")
        #expect(n.exec("security-context-demo", nil, "id -u").out == "1000\n" && n.exec("security-context-demo", nil, "id -g").out == "3000\n")
        let status = n.exec("security-context-demo", nil, "cat /proc/self/status").out
        #expect(status.contains("Groups:\t2000 3000 4000 \n"), "uid=1000 gid=3000 groups=2000,3000,4000")
        #expect(status.contains("NoNewPrivs:\t1\n"), "allowPrivilegeEscalation: false")
        let pod = try #require(n.get("security-context-demo"))
        n.expectKubectlShape(pod, phase: "Running")
        let user = pod.containerStatus("sec-ctx-demo")?["user"]?["linux"]
        #expect(user?["uid"]?.int == 1000 && user?["gid"]?.int == 3000)
        #expect(user?["supplementalGroups"]?.array?.compactMap(\.int) == [2000, 3000, 4000])
        n.downAll()
    }

    /// "Implicit group memberships defined in /etc/group": runAsGroup and supplementalGroups (the
    /// host's /etc/group lists uid 1000 in no further group).
    @Test(.enabled(if: isRoot)) func securityContextGroups() throws {
        let n = K8sNode(10)
        n.up("security-context-5")
        #expect(n.exec("security-context-demo", nil, "cat /proc/self/status").out.contains("Groups:\t3000 4000 \n"))
        #expect(n.exec("security-context-demo", nil, "id -u").out == "1000\n")
        let user = n.get("security-context-demo")?.containerStatus("sec-ctx-demo")?["user"]?["linux"]
        #expect(user?["supplementalGroups"]?.array?.compactMap(\.int) == [3000, 4000])
        n.downAll()
    }

    /// "Adding entries to Pod /etc/hosts with HostAliases": the kubelet-managed hosts file.
    @Test(.enabled(if: isRoot)) func hostAliases() throws {
        let n = K8sNode(11)
        let r = n.cli("up \(K8sNode.example("hostaliases-pod"))")
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        let hosts = n.logs("hostaliases-pod")
        let ip = n.get("hostaliases-pod")?["status"]?["podIP"]?.string ?? "-"
        #expect(hosts.first == "# Kubernetes-managed hosts file.")
        #expect(hosts.contains("127.0.0.1\tlocalhost"))
        #expect(hosts.contains("\(ip)\thostaliases-pod"), "\(hosts)")
        let tail = Array(hosts.drop { $0 != "# Entries added by HostAliases." })
        #expect(Array(tail.prefix(3)) == ["# Entries added by HostAliases.", "127.0.0.1\tfoo.local\tbar.local", "10.1.2.3\tfoo.remote\tbar.remote"])
        n.expectKubectlShape(try #require(n.get("hostaliases-pod")), phase: "Succeeded")
        n.downAll()
    }

    /// "Share Process Namespace between Containers in a Pod": pause is PID 1, the other
    /// container's processes are visible and can be signalled.
    @Test(.enabled(if: isRoot)) func shareProcessNamespace() throws {
        let n = K8sNode(12)
        n.up("share-process-namespace")
        let ps = n.exec("nginx", "shell", "ps ax -o pid=,args=").out
        let procs = ps.split(separator: "\n").map { String($0).trimmed }
        #expect(procs.first?.hasPrefix("1 ") == true && procs.first?.contains("pause") == true, "pause is PID 1:\n\(ps)")
        let server = try #require(procs.first { $0.contains("http.server") }, "the nginx container's process is visible:\n\(ps)")
        #expect(procs.contains { $0.contains("sleep 3600") })
        // The page sends SIGHUP to nginx from the shell container; the stand-in server ends on it
        // and, restartPolicy Always, is restarted.
        let pid = String(server.split(separator: " ")[0])
        #expect(n.exec("nginx", "shell", "kill -HUP \(pid)").code == 0)
        #expect(n.wait(10) { (n.get("nginx")?.containerStatus("nginx")?["restartCount"]?.int ?? 0) == 1 })
        let last = n.get("nginx")?.containerStatus("nginx")?["lastState"]?["terminated"]
        #expect(last?["signal"]?.int == 1 || last?["exitCode"]?.int == 129, "\(last?.compact ?? "-")")
        n.downAll()
    }

    /// "Attach Handlers to Container Lifecycle Events": postStart's message is there.
    @Test(.enabled(if: isRoot)) func postStartHandler() throws {
        let n = K8sNode(13)
        n.up("lifecycle-events")
        var msg = ""
        n.wait { msg = n.exec("lifecycle-demo", nil, "cat /usr/share/message").out; return !msg.isEmpty }
        #expect(msg == "Hello from the postStart handler\n")
        #expect(!Files.exists("/usr/share/message"), "written in the container's root, not the host's")
        n.expectKubectlShape(try #require(n.get("lifecycle-demo")), phase: "Running")
        n.downAll()
    }

    /// "Logging Architecture": `kubectl logs counter` counts; stdout and stderr in one log.
    @Test(.enabled(if: isRoot)) func counterLogs() throws {
        let n = K8sNode(14)
        n.up("counter-pod")
        n.up("counter-pod-err")
        var lines: [String] = []
        n.wait { lines = n.logs("counter-err").filter { !$0.isEmpty }; return lines.count >= 4 }
        #expect(lines.prefix(2).map { String($0.prefix(3)) } == ["0: ", "0: "], "\(lines)")
        #expect(lines.contains("0: err") && lines.contains("1: err"))
        let out = n.logs("counter").filter { !$0.isEmpty }
        #expect(out.first?.hasPrefix("0: ") == true && out.dropFirst().first?.hasPrefix("1: ") == true, "\(out)")
        let ts = n.cli("logs counter-err --timestamps").out.split(separator: "\n").first.map(String.init) ?? ""
        #expect(ts.split(separator: " ").first.map { $0.hasSuffix("Z") && $0.contains("T") } == true, "\(ts)")
        n.downAll()
    }

    /// "Configure Quality of Service for Pods": Guaranteed, Burstable, BestEffort.
    @Test(.enabled(if: isRoot)) func qosClasses() throws {
        let n = K8sNode(15)
        for f in ["qos-pod", "qos-pod-2", "qos-pod-3"] { n.up(f) }
        for (name, qos) in [("qos-demo", "Guaranteed"), ("qos-demo-2", "Burstable"), ("qos-demo-3", "BestEffort")] {
            let pod = try #require(n.get(name, namespace: "qos-example"))
            n.expectKubectlShape(pod, phase: "Running", qos: qos)
        }
        let g = n.get("qos-demo", namespace: "qos-example")?.containerStatus("qos-demo-ctr")
        #expect(g?["allocatedResources"]?["cpu"]?.string == "700m" && g?["resources"]?["limits"]?["memory"]?.string == "200Mi")
        n.downAll()
    }
}
