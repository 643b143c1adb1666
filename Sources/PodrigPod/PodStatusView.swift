#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox

/// A pod's v1 status, computed the way kubelet and kubectl do from the supervisor's container states.
public enum PodStatusView {
    /// kubelet's getPhase over the main containers (KubeletRules: defined once, in C, with the supervisor).
    public static func phase(restartPolicy: RestartPolicy, status: SupervisorStatus?, mainNames: [String], stopped finished: Bool = false) -> String {
        guard let status else { return PodPhase.pending.rawValue }
        if let r = status.result { return r }
        return KubeletRules.phase(restartPolicy, mains: mainNames.map { status.container($0) }, initialized: status.initializedAt != 0,
                                  terminal: finished).rawValue
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

    /// The spec as the API server would hand it back: the defaults podrig applies written out
    /// (kubectl shows them too), and spec.nodeName set to this node.
    public static func defaultedSpec(_ m: PodManifest, nodeName: String) -> JSON {
        var spec = m.raw["spec"] ?? [:]
        func setDefault(_ o: inout JSON, _ key: String, _ value: JSON) { if o[key] == nil { o[key] = value } }
        for key in ["initContainers", "containers"] {
            guard let list = spec[key]?.array else { continue }
            spec[key] = .array(list.map { c in
                var c = c
                setDefault(&c, "resources", [:])
                setDefault(&c, "terminationMessagePath", "/dev/termination-log")
                setDefault(&c, "terminationMessagePolicy", "File")
                return c
            })
        }
        setDefault(&spec, "dnsPolicy", .string(m.spec.dnsPolicy))
        setDefault(&spec, "enableServiceLinks", true)
        setDefault(&spec, "nodeName", .string(nodeName))
        setDefault(&spec, "restartPolicy", .string(m.spec.restartPolicy.rawValue))
        setDefault(&spec, "schedulerName", "default-scheduler")
        setDefault(&spec, "securityContext", [:])
        setDefault(&spec, "serviceAccountName", .string(m.spec.serviceAccountName ?? "default"))
        setDefault(&spec, "terminationGracePeriodSeconds", .int(m.spec.terminationGracePeriodSeconds))
        return spec
    }

    /// One entry of containerStatuses / initContainerStatuses, with the fields kubelet fills.
    static func containerStatus(_ spec: ContainerSpec, _ c: SupervisorStatus.Container?, sandboxID: String, waitingReason: String,
                                user: JSON?, cgroup: JSON? = nil) -> JSON {
        let id = containerID(sandboxID, spec.name)
        var state: JSON
        if let c {
            switch c.state {
            case .running: state = ["running": ["startedAt": time(c.startedAt)]]
            case .terminated: state = ["terminated": c.terminated.map { termJSON($0, containerID: id) } ?? [:]]
            case .waiting:
                var w: JSON = ["reason": .string(c.reason ?? waitingReason)]
                if let m = c.message { w["message"] = .string(m) }
                state = ["waiting": w]
            }
        } else {
            state = ["waiting": ["reason": .string(waitingReason)]]
        }
        let created = c.map { $0.state != .waiting || $0.lastTerminated != nil } ?? false
        var o: JSON = ["name": .string(spec.name), "state": state,
                       "lastState": c?.lastTerminated.map { ["terminated": termJSON($0, containerID: id)] } ?? [:],
                       "ready": .bool(c?.ready ?? false), "restartCount": .int(c?.restartCount ?? 0),
                       "image": .string(spec.image ?? ""), "imageID": ""]
        if created { o["containerID"] = .string(id) }
        // kubelet sets `started` on every status: true once a running container passed its startup probe.
        o["started"] = .bool(c?.state == .running && (c?.started ?? false))
        if created {
            if !spec.resources.requests.isEmpty {
                o["allocatedResources"] = .object(JSONObject(spec.resources.requests.map { ($0.name, JSON.string($0.quantity.text)) }))
            }
            o["resources"] = spec.resources.json
            if let user { o["user"] = user }
            // podrig's own: the container's cgroup and the values written there (kubectl has no field for them).
            if let cgroup { o["cgroup"] = ["path": cgroup["path"] ?? nil, "files": cgroup["files"] ?? [:]] }
            if !spec.volumeMounts.isEmpty {
                o["volumeMounts"] = .array(spec.volumeMounts.map { vm in
                    var m: JSON = ["name": .string(vm.name), "mountPath": .string(vm.mountPath)]
                    if vm.readOnly {
                        m["readOnly"] = true
                        m["recursiveReadOnly"] = "Disabled"
                    }
                    return m
                })
            }
        }
        return o
    }

    /// The plan's cgroup of a container (path, resources, files written).
    public static func cgroup(_ plan: JSON?, _ name: String) -> JSON? {
        plan?["containers"]?.array?.first(where: { $0["name"]?.string == name })?["cgroup"]
    }

    /// status.containerStatuses[].user.linux from the plan: the ids the container runs with.
    static func user(_ plan: JSON?, _ name: String) -> JSON? {
        guard let u = plan?["containers"]?.array?.first(where: { $0["name"]?.string == name })?["spawn"]?["user"],
              let uid = u["uid"]?.int, let gid = u["gid"]?.int else { return nil }
        let groups = Set([gid] + (u["groups"]?.array ?? []).compactMap(\.int)).sorted()
        return ["linux": ["uid": .int(uid), "gid": .int(gid), "supplementalGroups": .array(groups.map { .int($0) })]]
    }

    /// The v1 Pod status object.
    public static func status(_ m: PodManifest, record: SandboxRecord, status s: SupervisorStatus?, supervisorAlive: Bool,
                              plan: JSON? = nil) -> JSON {
        let mains = m.spec.containers.map(\.name)
        let finished = !supervisorAlive && s != nil && s?.result == nil
        let phase = phase(restartPolicy: m.spec.restartPolicy, status: s, mainNames: mains, stopped: finished)
        let initialized = (s?.initializedAt ?? 0) > 0 || (finished && m.spec.initContainers.isEmpty)
        let sidecars = m.spec.initContainers.filter(\.isSidecar).map(\.name)
        // ContainersReady counts the main containers and the sidecars (kubelet's GenerateContainersReadyCondition).
        let unready = (sidecars + mains).filter { !(s?.container($0)?.ready ?? false) }
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
        // When readiness last changed: the last container start, or its end once the pod is done.
        let containers = (sidecars + mains).compactMap { s?.container($0) }
        let lastStart = containers.map(\.startedAt).max() ?? start
        let lastEnd = containers.compactMap { $0.terminated?.finishedAt ?? $0.lastTerminated?.finishedAt }.max()
        let readyAt = unready.isEmpty && !done ? lastStart : max(start, lastEnd ?? start)
        let incomplete = m.spec.initContainers.filter { !(s?.container($0.name)?.terminated?.exitCode == 0 || (s?.container($0.name)?.started ?? false)) }
        let conditions: JSON = [
            cond("PodReadyToStartContainers", record.effectiveState == .ready, record.createdAt),
            cond("Initialized", initialized, s.map { $0.initializedAt > 0 ? $0.initializedAt : start } ?? start, reason: "ContainersNotInitialized",
                 message: "containers with incomplete status: [\(incomplete.map(\.name).joined(separator: " "))]"),
            cond("Ready", unready.isEmpty && !done, readyAt, reason: readyReason, message: readyMessage),
            cond("ContainersReady", unready.isEmpty && !done, readyAt, reason: readyReason, message: readyMessage),
            cond("PodScheduled", true, record.createdAt),
        ]
        let initWaiting = "PodInitializing"
        let mainWaiting = initialized ? "ContainerCreating" : "PodInitializing"
        var o: JSON = ["phase": .string(phase), "conditions": conditions]
        if let r = s?.reason { o["reason"] = .string(r) }
        if let msg = s?.message { o["message"] = .string(msg) }
        let hostIPs = record.node?.hostIPs ?? (m.spec.hostNetwork ? record.podIPs : NodeAddresses.discover())
        if let h = hostIPs.first { o["hostIP"] = .string(h) }
        if !hostIPs.isEmpty { o["hostIPs"] = .array(hostIPs.map { ["ip": .string($0)] }) }
        if let ip = record.podIPs.first {
            o["podIP"] = .string(ip)
            o["podIPs"] = .array(record.podIPs.map { ["ip": .string($0)] })
        }
        o["startTime"] = time(start)
        if !m.spec.initContainers.isEmpty {
            o["initContainerStatuses"] = .array(m.spec.initContainers.map {
                containerStatus($0, s?.container($0.name), sandboxID: record.id, waitingReason: initWaiting, user: user(plan, $0.name),
                                cgroup: cgroup(plan, $0.name))
            })
        }
        o["containerStatuses"] = .array(m.spec.containers.map {
            containerStatus($0, s?.container($0.name), sandboxID: record.id, waitingReason: mainWaiting, user: user(plan, $0.name),
                            cgroup: cgroup(plan, $0.name))
        })
        o["qosClass"] = .string(QOSClass.of(m.spec))
        return o
    }

    /// kubectl's READY, STATUS and RESTARTS columns, computed from the v1 status the way kubectl's
    /// printPod does (sidecars count in READY; "NotReady" when a container completed and the pod is not Ready).
    public static func display(_ m: PodManifest, status st: JSON, terminating: Bool, now: Int64 = Time.nowNanos())
        -> (status: String, ready: Int, total: Int, restarts: String) {
        var reason = st["phase"]?.string ?? "Pending"
        if let r = st["reason"]?.string, !r.isEmpty { reason = r }  // printPod: status.reason over the phase
        var total = m.spec.containers.count + m.spec.initContainers.filter(\.isSidecar).count
        var ready = 0, restarts = 0, sidecarRestarts = 0
        var lastRestart: Int64 = 0, lastSidecarRestart: Int64 = 0
        func finished(_ c: JSON) -> Int64 {
            guard let t = c["lastState"]?["terminated"]?["finishedAt"]?.string else { return 0 }
            return parseTime(t)
        }
        var initializing = false
        let inits = st["initContainerStatuses"]?.array ?? []
        for (i, c) in inits.enumerated() {
            let spec = m.spec.initContainers.first { $0.name == c["name"]?.string }
            let n = c["restartCount"]?.int ?? 0
            restarts += n
            lastRestart = max(lastRestart, finished(c))
            if spec?.isSidecar == true {
                sidecarRestarts += n
                lastSidecarRestart = max(lastSidecarRestart, finished(c))
            }
            let term = c["state"]?["terminated"], wait = c["state"]?["waiting"]
            if let term, term["exitCode"]?.int == 0 { continue }
            if spec?.isSidecar == true, c["started"]?.bool == true {
                if c["ready"]?.bool == true { ready += 1 }
                continue
            }
            if let term {
                let r = term["reason"]?.string ?? ""
                let sig = term["signal"]?.int ?? 0
                reason = r.isEmpty ? (sig != 0 ? "Init:Signal:\(sig)" : "Init:ExitCode:\(term["exitCode"]?.int ?? 0)") : "Init:" + r
            } else if let r = wait?["reason"]?.string, !r.isEmpty, r != "PodInitializing" {
                reason = "Init:" + r
            } else {
                reason = "Init:\(i)/\(m.spec.initContainers.count)"
            }
            initializing = true
            break
        }
        let initializedTrue = st["conditions"]?.array?.contains { $0["type"]?.string == "Initialized" && $0["status"]?.string == "True" } ?? false
        if !initializing || initializedTrue {
            restarts = sidecarRestarts
            lastRestart = lastSidecarRestart
            var hasRunning = false
            for c in (st["containerStatuses"]?.array ?? []).reversed() {
                restarts += c["restartCount"]?.int ?? 0
                lastRestart = max(lastRestart, finished(c))
                if let r = c["state"]?["waiting"]?["reason"]?.string, !r.isEmpty {
                    reason = r
                } else if let t = c["state"]?["terminated"] {
                    let r = t["reason"]?.string ?? ""
                    let sig = t["signal"]?.int ?? 0
                    reason = !r.isEmpty ? r : sig != 0 ? "Signal:\(sig)" : "ExitCode:\(t["exitCode"]?.int ?? 0)"
                } else if c["ready"]?.bool == true, c["state"]?["running"] != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed" && hasRunning {
                let podReady = st["conditions"]?.array?.contains { $0["type"]?.string == "Ready" && $0["status"]?.string == "True" } ?? false
                reason = podReady ? "Running" : "NotReady"
            }
        }
        if terminating { reason = "Terminating" }
        var r = String(restarts)
        if restarts > 0, lastRestart > 0 { r += " (\(age(now - lastRestart)) ago)" }
        total = max(total, 0)
        return (reason, ready, total, r)
    }

    /// "2026-01-02T03:04:05Z" (what `time` writes) → nanoseconds; 0 when unreadable.
    static func parseTime(_ t: String) -> Int64 {
        let f = t.split(whereSeparator: { "-T:Z.".contains($0) }).map { Int($0) ?? -1 }
        // A damaged status's year 99999999999 is beyond Int32, whose conversion trapped.
        guard f.count >= 6, !f.prefix(6).contains(-1), f.prefix(6).allSatisfy({ $0 <= 100_000 }) else { return 0 }
        var tm = Glibc.tm()
        tm.tm_year = Int32(f[0] - 1900); tm.tm_mon = Int32(f[1] - 1); tm.tm_mday = Int32(f[2])
        tm.tm_hour = Int32(f[3]); tm.tm_min = Int32(f[4]); tm.tm_sec = Int32(f[5])
        return Int64(timegm(&tm)).multiplied(saturating: 1_000_000_000)
    }

    /// kubectl's short durations: 45s, 3m10s, 2h5m, 4d.
    /// The age of what was made at `createdAt` (nanoseconds), kubectl's way. Saturating: a
    /// damaged record's time (-9e18) would overflow now − createdAt.
    public static func age(since createdAt: Int64) -> String { age(Time.nowNanos().subtracting(saturating: createdAt)) }

    public static func age(_ nanos: Int64) -> String {
        let s = max(0, Int(nanos / 1_000_000_000))
        if s < 120 { return "\(s)s" }
        if s < 600 { return "\(s / 60)m\(s % 60 == 0 ? "" : "\(s % 60)s")" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 8 * 3600 { return "\(s / 3600)h\(s % 3600 / 60 == 0 ? "" : "\(s % 3600 / 60)m")" }
        if s < 86400 * 2 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}
