import PodrigCore
import PodrigSandbox

/// A pod's v1 status, computed the way kubelet and kubectl do from the supervisor's container states.
public enum PodStatusView {
    /// kubelet's getPhase over the main containers.
    public static func phase(restartPolicy: RestartPolicy, status: SupervisorStatus?, mainNames: [String], stopped finished: Bool = false) -> String {
        guard let status else { return "Pending" }
        if let r = status.result { return r }
        if status.initializedAt == 0 && !finished { return "Pending" }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for name in mainNames {
            guard let c = status.container(name) else { waiting += 1; continue }
            switch c.state {
            case "running": running += 1
            case "terminated":
                stopped += 1
                if c.terminated?.exitCode == 0 { succeeded += 1 }
            default:
                if let last = c.lastTerminated {
                    stopped += 1
                    if last.exitCode == 0 { succeeded += 1 }
                } else { waiting += 1 }
            }
        }
        if finished {
            // The supervisor is gone after a stop: nothing runs any more.
            return stopped > 0 && stopped == succeeded && waiting == 0 ? "Succeeded" : "Failed"
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            if restartPolicy == .always { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if restartPolicy == .never { return "Failed" }
            return "Running"
        }
        return "Pending"
    }

    static func time(_ ns: Int64) -> JSON { ns > 0 ? .string(Time.rfc3339(ns)) : .null }

    static func termJSON(_ t: SupervisorStatus.Termination, containerID: String) -> JSON {
        var o: JSON = ["exitCode": .int(t.exitCode)]
        if t.signal != 0 { o["signal"] = .int(t.signal) }
        o["reason"] = .string(t.reason)
        if !t.message.isEmpty { o["message"] = .string(t.message) }
        o["startedAt"] = time(t.startedAt)
        o["finishedAt"] = time(t.finishedAt)
        o["containerID"] = .string(containerID)
        return o
    }

    public static func containerID(_ sandboxID: String, _ name: String) -> String { "podrig://\(sandboxID.prefix(12))-\(name)" }

    static func containerStatus(_ spec: ContainerSpec, _ c: SupervisorStatus.Container?, sandboxID: String, waitingReason: String) -> JSON {
        let id = containerID(sandboxID, spec.name)
        var state: JSON
        if let c {
            switch c.state {
            case "running": state = ["running": ["startedAt": time(c.startedAt)]]
            case "terminated": state = ["terminated": c.terminated.map { termJSON($0, containerID: id) } ?? [:]]
            default:
                var w: JSON = ["reason": .string(c.reason ?? waitingReason)]
                if let m = c.message { w["message"] = .string(m) }
                state = ["waiting": w]
            }
        } else {
            state = ["waiting": ["reason": .string(waitingReason)]]
        }
        var o: JSON = ["name": .string(spec.name), "state": state,
                       "lastState": c?.lastTerminated.map { ["terminated": termJSON($0, containerID: id)] } ?? [:],
                       "ready": .bool(c?.ready ?? false), "restartCount": .int(c?.restartCount ?? 0),
                       "image": .string(spec.image ?? ""), "imageID": ""]
        if c?.state == "running" || c?.state == "terminated" { o["containerID"] = .string(id) }
        if c?.state == "running" { o["started"] = .bool(c?.started ?? false) }
        return o
    }

    /// The v1 Pod status object.
    public static func status(_ m: PodManifest, record: SandboxRecord, status s: SupervisorStatus?, supervisorAlive: Bool) -> JSON {
        let mains = m.spec.containers.map(\.name)
        let finished = !supervisorAlive && s != nil && s?.result == nil
        let phase = phase(restartPolicy: m.spec.restartPolicy, status: s, mainNames: mains, stopped: finished)
        let initialized = (s?.initializedAt ?? 0) > 0 || (finished && m.spec.initContainers.isEmpty)
        let unready = mains.filter { !(s?.container($0)?.ready ?? false) }
        let done = phase == "Succeeded" || phase == "Failed"
        let start = s?.startTime ?? record.createdAt
        func cond(_ type: String, _ ok: Bool, _ at: Int64, reason: String? = nil, message: String? = nil) -> JSON {
            var o: JSON = ["type": .string(type), "status": .string(ok ? "True" : "False"), "lastProbeTime": nil,
                           "lastTransitionTime": time(at)]
            if !ok, let reason { o["reason"] = .string(reason) }
            if !ok, let message { o["message"] = .string(message) }
            return o
        }
        let readyReason = done ? "PodCompleted" : "ContainersNotReady"
        let readyMessage = done ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
        let readyAt = mains.compactMap { s?.container($0)?.startedAt }.max() ?? start
        let conditions: JSON = [
            cond("PodReadyToStartContainers", record.effectiveState == .ready, record.createdAt),
            cond("Initialized", initialized, s?.initializedAt ?? start, reason: "ContainersNotInitialized",
                 message: "containers with incomplete status: [\(m.spec.initContainers.map(\.name).joined(separator: " "))]"),
            cond("Ready", unready.isEmpty && !done, readyAt, reason: readyReason, message: readyMessage),
            cond("ContainersReady", unready.isEmpty && !done, readyAt, reason: readyReason, message: readyMessage),
            cond("PodScheduled", true, record.createdAt),
        ]
        let initWaiting = "PodInitializing"
        let mainWaiting = initialized ? "ContainerCreating" : "PodInitializing"
        var o: JSON = ["phase": .string(phase), "conditions": conditions]
        let hostIPs = m.spec.hostNetwork ? record.podIPs : NodeAddresses.discover()
        if let h = hostIPs.first { o["hostIP"] = .string(h) }
        o["hostIPs"] = .array(hostIPs.map { ["ip": .string($0)] })
        if let ip = record.podIPs.first { o["podIP"] = .string(ip) }
        o["podIPs"] = .array(record.podIPs.map { ["ip": .string($0)] })
        o["startTime"] = time(start)
        if !m.spec.initContainers.isEmpty {
            o["initContainerStatuses"] = .array(m.spec.initContainers.map { containerStatus($0, s?.container($0.name), sandboxID: record.id, waitingReason: initWaiting) })
        }
        o["containerStatuses"] = .array(m.spec.containers.map { containerStatus($0, s?.container($0.name), sandboxID: record.id, waitingReason: mainWaiting) })
        o["qosClass"] = "BestEffort"
        return o
    }

    /// kubectl's STATUS column.
    public static func display(_ m: PodManifest, status s: SupervisorStatus?, phase: String, terminating: Bool) -> (status: String, ready: Int, restarts: Int) {
        var reason = phase
        var restarts = 0
        var initializing = false
        for (i, spec) in m.spec.initContainers.enumerated() {
            let c = s?.container(spec.name)
            restarts += c?.restartCount ?? 0
            if c?.state == "terminated", c?.terminated?.exitCode == 0 { continue }
            if spec.isSidecar, c?.started == true { continue }
            if c?.state == "terminated", let t = c?.terminated {
                reason = t.reason.isEmpty ? (t.signal != 0 ? "Init:Signal:\(t.signal)" : "Init:ExitCode:\(t.exitCode)") : "Init:" + t.reason
            } else if let r = c?.reason, c?.state == "waiting", r != "PodInitializing" {
                reason = "Init:" + r
            } else {
                reason = "Init:\(i)/\(m.spec.initContainers.count)"
            }
            initializing = true
            break
        }
        var ready = 0
        if !initializing {
            restarts = 0
            var hasRunning = false
            for spec in m.spec.containers.reversed() {
                let c = s?.container(spec.name)
                restarts += c?.restartCount ?? 0
                if c?.state == "waiting", let r = c?.reason, !r.isEmpty { reason = r }
                else if c?.state == "terminated", let t = c?.terminated {
                    reason = t.reason.isEmpty ? (t.signal != 0 ? "Signal:\(t.signal)" : "ExitCode:\(t.exitCode)") : t.reason
                } else if c?.state == "running" {
                    hasRunning = true
                    if c?.ready == true { ready += 1 }
                }
            }
            if reason == "Completed" && hasRunning { reason = "Running" }
            if c0IsPending(s, m) { reason = phase == "Pending" ? "ContainerCreating" : reason }
        }
        if terminating { reason = "Terminating" }
        return (reason, ready, restarts)
    }

    static func c0IsPending(_ s: SupervisorStatus?, _ m: PodManifest) -> Bool {
        guard let s else { return true }
        return m.spec.containers.allSatisfy { s.container($0.name)?.state == "waiting" && s.container($0.name)?.lastTerminated == nil && s.container($0.name)?.reason == "PodInitializing" }
    }
}
