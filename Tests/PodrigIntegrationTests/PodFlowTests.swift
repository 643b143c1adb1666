#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// Sidecars, network probes, and the foreground `up` with Ctrl-C.
@Suite(.serialized) struct PodFlowTests {
    @Test(.enabled(if: isRoot)) func sidecarRunsAlongsideAndStopsAfterMain() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: sidecar}
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 2
              volumes: [{name: shared, emptyDir: {}}]
              initContainers:
              - name: logger
                restartPolicy: Always
                command: [sh, -c, 'trap "exit 0" TERM; while true; do date +%s%N >> /shared/beats; sleep 0.1; done']
                volumeMounts: [{name: shared, mountPath: /shared}]
                startupProbe:
                  exec: {command: [test, -s, /shared/beats]}
                  periodSeconds: 1
              containers:
              - name: main
                command: [sh, -c, 'test -s /shared/beats && echo sidecar-was-running; sleep 0.5']
                volumeMounts: [{name: shared, mountPath: /shared}]
            """)
        let r = bed.cli("up \(file)")
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        #expect(r.out.contains("main | sidecar-was-running"))
        let pod = try #require(bed.get("sidecar"))
        #expect(pod["status"]?["phase"]?.string == "Succeeded")
        #expect(pod.containerStatus("logger", initContainer: true)?["state"]?["terminated"] != nil, "the sidecar is stopped once main is done")
        let events = try Files.readString(bed.pod("sidecar")!.layout.events)
        let order = ["logger\tStarted", "main\tStarted", "main\tExited", "logger\tStopping"].map { events.firstRange(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order.map { $0! } == order.map { $0! }.sorted(), "\(events)")
        bed.downAndCheck("sidecar")
    }

    @Test(.enabled(if: isRoot)) func httpAndTcpProbesReachThePod() throws {
        guard Files.exists("/usr/bin/python3") else { return }
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: server
                command: [/usr/bin/python3, -m, http.server, "8089", --directory, /etc]
                ports: [{name: http, containerPort: 8089}]
                startupProbe: {tcpSocket: {port: http}, periodSeconds: 1, failureThreshold: 20}
                readinessProbe: {httpGet: {path: /hostname, port: 8089}, periodSeconds: 1}
                livenessProbe: {httpGet: {path: /missing, port: 8089}, periodSeconds: 1, failureThreshold: 2}
            """)
        #expect(bed.cli("up -d \(file)").code == 0)
        #expect(bed.wait(15) { bed.get("web")?.condition("Ready") == "True" }, "\(bed.get("web")?.pretty ?? "")")
        // /missing answers 404: the liveness probe restarts the container.
        #expect(bed.wait(15) { (bed.get("web")?.containerStatus("server")?["restartCount"]?.int ?? 0) >= 1 })
        let events = try Files.readString(bed.pod("web")!.layout.events)
        #expect(events.contains("HTTP probe failed with statuscode: 404"), "\(events)")
        bed.downAndCheck("web")
    }

    @Test(.enabled(if: isRoot)) func foregroundUpStopsThePodOnSIGINT() throws {
        let bed = PodBed()
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: fg}
            spec:
              terminationGracePeriodSeconds: 2
              containers:
              - name: loop
                command: [sh, -c, 'trap "echo stopping; exit 0" TERM; while true; do echo beat; sleep 0.2; done']
            """)
        let opts = "--root \(bed.root.path) --pause-path \(TestBinaries.pause)"
        let r = sh("\(TestBinaries.podrig) up \(file) \(opts) > \(bed.root.path)/out 2>&1 & p=$!; sleep 1.5; ps -eo comm=,args= | grep -c '^podrig-supervis .*podrig-supervisor \(bed.root.path)'; kill -INT $p; wait $p; echo rc=$?")
        let out = (try? Files.readString(bed.root.path + "/out")) ?? ""
        #expect(r.out.hasPrefix("1\n"), "the supervisor ran (its cgroup holder is podrig-holder): \(r.out)")
        #expect(r.out.contains("rc=130"), "\(r.out)\n\(out)")
        #expect(out.contains("loop | beat") && out.contains("loop: Started"), "\(out)")
        #expect(out.contains("pod fg: removed"), "\(out)")
        LeakCheck.rootEmpty(bed.root)
        #expect(!sh("ps -eo args").out.contains(bed.root.path))
    }
}
