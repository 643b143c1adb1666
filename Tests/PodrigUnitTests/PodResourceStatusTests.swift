import PodrigCore
import PodrigPod
import Testing

/// Quantities, resourceFieldRef values, QoS classes and kubectl's columns (pure logic).
@Suite struct PodResourceStatusTests {
    func q(_ s: String) -> Quantity { Quantity.parse(s)! }

    @Test func quantities() {
        #expect(q("125m").milliValue == 125 && q("125m").value == 1)
        #expect(q("0.1").milliValue == 100, "exact, not 100.00000000000001")
        #expect(q("1.5").milliValue == 1500 && q("2").value == 2)
        #expect(q("32Mi").value == 33_554_432 && q("1Gi").value == 1 << 30)
        #expect(q("1k").value == 1000 && q("2e3").value == 2000 && q("1M").value == 1_000_000)
        #expect(q("100Mi") == q("104857600") && !(q("100M") == q("100Mi")))
        for bad in ["", "-1", "1.2.3", "abc", "1Qi", "."] { #expect(Quantity.parse(bad) == nil, "\(bad)") }
        // Near Int64's max: rounding up (n + d - 1) and thousandths (×1000) overflowed, a trap.
        #expect(q("900719925474.0991Ki").value == 922_337_203_685_478)  // (2^53-1)×1024/10^4, rounded up
        #expect(q("5Ei").milliValue == .max && q("5Ei").value == 5 << 60)
    }

    /// Sums and products over absurd (but parseable) quantities stop at Int64's max, not trap.
    @Test func hugeQuantitiesDoNotTrap() throws {
        let m = try manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: h}
            spec:
              containers:
              - {name: a, command: [sh], resources: {requests: {memory: 1Ei, cpu: "9000000000000000"}, limits: {memory: 5Ei}}}
              - {name: b, command: [sh], resources: {limits: {memory: 5Ei, cpu: "9000000000000"}}}
            """)
        #expect(QOSClass.of(m.spec) == "Burstable")
        let node = NodeCapacity(cpus: 2, memoryBytes: 1 << 30, ephemeralStorageBytes: 1 << 30)
        let a = PodCgroups.container(m.spec.containers[0], pod: m.spec, node: node, version: .v2)
        #expect(a.cpuShares == 262_144 && a.oomScoreAdj == 3 && a.memoryLimit == 5 << 60)
        #expect(PodCgroups.container(m.spec.containers[1], pod: m.spec, node: node, version: .v2).cpuQuota == Int64.max / 1000)
        #expect(PodCgroups.pod(m.spec).memoryLimit == .max)
        #expect(ResourceFieldRef(resource: "limits.memory").value(m.spec.containers[0].resources, node: node) == String(5 << 60))
        // A damaged status's finishedAt year beyond Int32 reads as unknown.
        let st: JSON = ["phase": "Running", "containerStatuses": [["name": "a", "state": ["running": [:]], "restartCount": 1,
                        "lastState": ["terminated": ["finishedAt": "99999999999-01-01T00:00:00Z"]]]]]
        #expect(PodStatusView.display(m, status: st, terminating: false).restarts == "1")
    }

    func manifest(_ yaml: String) throws -> PodManifest {
        try PodManifestParser.parse(try ConfigText.parse(yaml, source: "t.yaml"))
    }

    @Test func resourceFieldRefValues() throws {
        let m = try manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: r}
            spec:
              containers:
              - name: c
                command: [sh]
                resources: {requests: {memory: 32Mi, cpu: 125m}, limits: {memory: 64Mi}}
                env:
                - {name: A, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}
                - {name: B, valueFrom: {resourceFieldRef: {containerName: c, resource: limits.memory, divisor: 1Mi}}}
            """)
        let c = m.spec.containers[0]
        let node = NodeCapacity(cpus: 2, memoryBytes: 8 << 30, ephemeralStorageBytes: 10 << 30)
        let value = { (i: Int) in c.env[i].resourceField!.value(c.resources, node: node) }
        #expect(value(0) == "125" && value(1) == "64")
        #expect(ResourceFieldRef(resource: "limits.cpu").value(c.resources, node: node) == "2", "an unset limit is the node's")
        #expect(ResourceFieldRef(resource: "requests.memory").value(c.resources, node: node) == "33554432")
        #expect(throws: PodrigError.self) {
            try manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec: {containers: [{name: c, command: [sh], env: [{name: A, valueFrom: {resourceFieldRef: {resource: limits.gpu}}}]}]}")
        }
        #expect(throws: PodrigError.self) {
            try manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec: {containers: [{name: c, command: [sh], resources: {requests: {cpu: 2}, limits: {cpu: 1}}}]}")
        }
    }

    @Test func qosClasses() throws {
        func qos(_ resources: String...) throws -> String {
            let containers = resources.enumerated().map { "  - {name: c\($0.offset), command: [sh], resources: \($0.element)}" }.joined(separator: "\n")
            return QOSClass.of(try manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  containers:\n\(containers)").spec)
        }
        #expect(try qos("{limits: {cpu: 700m, memory: 200Mi}, requests: {cpu: 700m, memory: 200Mi}}") == "Guaranteed")
        #expect(try qos("{limits: {cpu: 700m, memory: 200Mi}}") == "Guaranteed", "requests default to limits")
        #expect(try qos("{limits: {memory: 200Mi}, requests: {memory: 100Mi}}") == "Burstable")
        #expect(try qos("{}") == "BestEffort")
        #expect(try qos("{requests: {memory: 200Mi}}", "{}") == "Burstable")
        #expect(try qos("{limits: {cpu: 1, memory: 1Gi}}", "{}") == "Burstable")
    }

    @Test func argsAloneAreTheCommand() throws {
        let m = try manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, args: [/bin/sh, -c, 'true']}]}")
        #expect(m.spec.containers[0].command.isEmpty && m.spec.containers[0].args == ["/bin/sh", "-c", "true"])
        #expect(throws: PodrigError.self) { try manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}") }
    }

    /// kubectl's printPod over v1 statuses.
    @Test func kubectlColumns() throws {
        let m = try manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              initContainers:
              - {name: side, command: [sh], restartPolicy: Always}
              containers:
              - {name: web, command: [sh]}
              - {name: job, command: [sh]}
            """)
        func status(web: JSON, job: JSON, ready: Bool, side: JSON = ["state": ["running": [:]], "started": true, "ready": true, "restartCount": 2]) -> JSON {
            ["phase": "Running",
             "conditions": [["type": "Initialized", "status": "True"], ["type": "Ready", "status": .string(ready ? "True" : "False")]],
             "initContainerStatuses": [(["name": "side"] as JSON).merging(side)],
             "containerStatuses": [(["name": "web"] as JSON).merging(web), (["name": "job"] as JSON).merging(job)]]
        }
        let running: JSON = ["state": ["running": [:]], "ready": true, "restartCount": 0]
        let completed: JSON = ["state": ["terminated": ["exitCode": 0, "reason": "Completed"]], "ready": false, "restartCount": 1,
                               "lastState": ["terminated": ["finishedAt": "2020-01-01T00:00:00Z"]]]
        var d = PodStatusView.display(m, status: status(web: running, job: running, ready: true), terminating: false)
        #expect(d.status == "Running" && d.ready == 3 && d.total == 3 && d.restarts.hasPrefix("2"), "\(d)")
        d = PodStatusView.display(m, status: status(web: running, job: completed, ready: false), terminating: false)
        #expect(d.status == "NotReady" && d.ready == 2 && d.restarts.hasPrefix("3 (") && d.restarts.hasSuffix(" ago)"), "\(d)")
        let crash: JSON = ["state": ["waiting": ["reason": "CrashLoopBackOff"]], "ready": false, "restartCount": 4]
        d = PodStatusView.display(m, status: status(web: running, job: crash, ready: false), terminating: false)
        #expect(d.status == "CrashLoopBackOff")
        let initWait: JSON = ["state": ["waiting": ["reason": "PodInitializing"]], "ready": false, "restartCount": 0, "started": false]
        var st = status(web: initWait, job: initWait, ready: false, side: ["state": ["waiting": ["reason": "PodInitializing"]], "started": false, "ready": false, "restartCount": 0])
        st["conditions"] = [["type": "Initialized", "status": "False"]]
        #expect(PodStatusView.display(m, status: st, terminating: false).status == "Init:0/1")
        #expect(PodStatusView.display(m, status: st, terminating: true).status == "Terminating")
        #expect(PodStatusView.age(45_000_000_000) == "45s" && PodStatusView.age(190_000_000_000) == "3m10s")
    }
}

extension JSON {
    func merging(_ other: JSON) -> JSON {
        var o = self
        for (k, v) in other.object ?? JSONObject() { o[k] = v }
        return o
    }
}
