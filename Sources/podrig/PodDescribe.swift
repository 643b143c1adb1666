import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod

/// kubectl describe pod: the v1 Pod that `get -o json` prints, as kubectl's describer lays it out,
/// with the supervisor's events (events.log) as the Events table.
struct PodDescribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show pods in detail, like `kubectl describe pod`: spec, status, containers, conditions, volumes, events."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("The pods whose labels match.", valueName: "selector"))
    var selector: String?

    @Argument(help: ArgumentHelp("pods (or pod, po), then optional pod names (or pod/NAME).", valueName: "resource"))
    var resource: String

    @Argument(help: ArgumentHelp("Pod names.", valueName: "name"))
    var names: [String] = []

    func validate() throws {
        let r = resource.lowercased()
        guard ["pods", "pod", "po"].contains(r) || r.hasPrefix("pod/") || r.hasPrefix("pods/") || r.hasPrefix("po/") else {
            throw ValidationError("podrig describes pods (got \"\(resource)\")")
        }
        try SelectorOption.check(selector)
    }

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        let namespace = pod.namespace ?? "default"
        var wanted = names
        if let slash = resource.firstIndex(of: "/") { wanted.insert(String(resource[resource.index(after: slash)...]), at: 0) }
        var pods: [PodManager.Pod]
        if wanted.isEmpty {
            pods = try manager.pods(in: namespace, matching: selector)
            if pods.isEmpty { Log.write("No resources found in \(namespace) namespace.\n"); return }
        } else {
            pods = try wanted.map { try manager.find($0, namespace: namespace) }
        }
        var text = ""
        for (i, p) in pods.enumerated() {
            if i > 0 { text += "\n\n" }
            text += PodDescription.text(p.document, events: (try? Files.readString(p.layout.events)) ?? "")
        }
        _ = Files.writeAll(1, Array(text.utf8), what: "stdout")
    }
}

/// The layout of kubectl's pod describer (k8s.io/kubectl/pkg/describe), from a v1 Pod document.
enum PodDescription {
    static func text(_ doc: JSON, events: String, now: Int64 = Time.nowNanos()) -> String {
        var out = ""
        func line(_ indent: Int, _ key: String, _ value: String = "") {
            let label = key.isEmpty ? "" : key + ":"
            let pad = value.isEmpty ? "" : String(repeating: " ", count: max(1, (indent == 0 ? 18 : 16) - label.count))
            out += String(repeating: "  ", count: indent) + label + pad + value + "\n"
        }
        let meta = doc["metadata"] ?? [:], spec = doc["spec"] ?? [:], status = doc["status"] ?? [:]
        line(0, "Name", meta["name"]?.string ?? "")
        line(0, "Namespace", meta["namespace"]?.string ?? "default")
        line(0, "Priority", String(spec["priority"]?.int ?? 0))
        line(0, "Service Account", spec["serviceAccountName"]?.string ?? "default")
        line(0, "Node", (spec["nodeName"]?.string ?? "<none>") + (status["hostIP"]?.string.map { "/" + $0 } ?? ""))
        line(0, "Start Time", status["startTime"]?.string.map(rfc1123) ?? "<unset>")
        mapLines(0, "Labels", meta["labels"], &out)
        mapLines(0, "Annotations", meta["annotations"], &out)
        line(0, "Status", status["phase"]?.string ?? "Pending")
        if let r = status["reason"]?.string { line(0, "Reason", r) }
        if let m = status["message"]?.string { line(0, "Message", m) }
        line(0, "IP", status["podIP"]?.string ?? "")
        line(0, "IPs", (status["podIPs"]?.array ?? []).isEmpty ? "<none>" : "")
        for ip in status["podIPs"]?.array ?? [] { out += "  IP:  \(ip["ip"]?.string ?? "")\n" }
        for (key, statusKey, title) in [("initContainers", "initContainerStatuses", "Init Containers"), ("containers", "containerStatuses", "Containers")] {
            guard let list = spec[key]?.array, !list.isEmpty else { continue }
            line(0, title)
            let statuses = status[statusKey]?.array ?? []
            for c in list {
                let name = c["name"]?.string ?? ""
                let s = statuses.first { $0["name"]?.string == name }
                container(c, status: s, name: name, &out)
            }
        }
        line(0, "Conditions")
        let conditions = (status["conditions"]?.array ?? []).map { [$0["type"]?.string ?? "", $0["status"]?.string ?? ""] }
        out += TableLayout(["Type", "Status"], conditions).text(["Type", "Status"], conditions)
            .split(separator: "\n").map { "  " + $0 + "\n" }.joined()
        line(0, "Volumes", (spec["volumes"]?.array ?? []).isEmpty ? "<none>" : "")
        for v in spec["volumes"]?.array ?? [] {
            out += "  \(v["name"]?.string ?? ""):\n"
            if let o = v.object, let kind = o.keys.first(where: { $0 != "name" }) {
                out += "    Type:  \(kind.prefix(1).uppercased() + kind.dropFirst())\n"
                let fields: [(key: String, value: JSON)] = v[kind]?.object?.entries ?? []
                for f in fields { out += "    \(f.key):  \(f.value.string ?? f.value.compact)\n" }
            }
        }
        line(0, "QoS Class", status["qosClass"]?.string ?? "BestEffort")
        line(0, "Node-Selectors", "<none>")
        line(0, "Tolerations", "<none>")
        let rows: [[String]] = PodEvent.parse(events).map { e in
            [e.type, e.reason, e.time.map { PodStatusView.age(now.subtracting(saturating: $0)) } ?? "<unknown>", "podrig-supervisor", e.message]
        }
        if rows.isEmpty {
            line(0, "Events", "<none>")
        } else {
            line(0, "Events")
            let header = ["Type", "Reason", "Age", "From", "Message"]
            let rule = ["----", "------", "----", "----", "-------"]
            out += TableLayout(header, [rule] + rows).text(header, [rule] + rows).split(separator: "\n").map { "  " + $0 + "\n" }.joined()
        }
        return out
    }

    static func container(_ c: JSON, status s: JSON?, name: String, _ out: inout String) {
        func line(_ key: String, _ value: String = "", indent: Int = 2) {
            let label = key + ":"
            let pad = value.isEmpty ? "" : String(repeating: " ", count: max(1, 16 - label.count))
            out += String(repeating: "  ", count: indent) + label + pad + value + "\n"
        }
        out += "  \(name):\n"
        line("Container ID", s?["containerID"]?.string ?? "")
        line("Image", c["image"]?.string ?? "")
        for key in ["command", "args"] {
            guard let list = c[key]?.array, !list.isEmpty else { continue }
            line(key == "command" ? "Command" : "Args")
            for a in list { out += "      \(a.string ?? a.compact)\n" }
        }
        func state(_ title: String, _ st: JSON?) {
            guard let st, let o = st.object, let kind = o.keys.first else {
                if title == "State" { line(title, "Waiting") }
                return
            }
            let v = st[kind] ?? [:]
            line(title, kind.prefix(1).uppercased() + kind.dropFirst())
            if let r = v["reason"]?.string { line("Reason", r, indent: 3) }
            if let m = v["message"]?.string { line("Message", m, indent: 3) }
            if let code = v["exitCode"]?.int { line("Exit Code", String(code), indent: 3) }
            if let t = v["startedAt"]?.string { line("Started", rfc1123(t), indent: 3) }
            if let t = v["finishedAt"]?.string { line("Finished", rfc1123(t), indent: 3) }
        }
        state("State", s?["state"])
        if let last = s?["lastState"], last.object?.isEmpty == false { state("Last State", last) }
        line("Ready", (s?["ready"]?.bool ?? false) ? "True" : "False")
        line("Restart Count", String(s?["restartCount"]?.int ?? 0))
        for key in ["limits", "requests"] {
            guard let m = c["resources"]?[key]?.object, !m.isEmpty else { continue }
            line(key == "limits" ? "Limits" : "Requests")
            for f in m.entries { out += "      \(f.key):  \(f.value.string ?? f.value.compact)\n" }
        }
        for (key, title) in [("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"), ("startupProbe", "Startup")] {
            guard let p = c[key] else { continue }
            line(title, probe(p))
        }
        let env = c["env"]?.array ?? []
        line("Environment", env.isEmpty ? "<none>" : "")
        for e in env {
            let value = e["value"]?.string ?? (e["valueFrom"].map { from in
                if let f = from["fieldRef"]?["fieldPath"]?.string { return "(v1:\(f))" }
                if let r = from["resourceFieldRef"]?["resource"]?.string { return "\(r) (resource)" }
                if let k = from["configMapKeyRef"] { return "<set to the key '\(k["key"]?.string ?? "")' of config map '\(k["name"]?.string ?? "")'>" }
                if let k = from["secretKeyRef"] { return "<set to the key '\(k["key"]?.string ?? "")' in secret '\(k["name"]?.string ?? "")'>" }
                return "<from a source>"
            } ?? "")
            out += "      \(e["name"]?.string ?? ""):  \(value)\n"
        }
        let mounts = c["volumeMounts"]?.array ?? []
        line("Mounts", mounts.isEmpty ? "<none>" : "")
        for m in mounts {
            let ro = m["readOnly"]?.bool ?? false
            out += "      \(m["mountPath"]?.string ?? "") from \(m["name"]?.string ?? "") (\(ro ? "ro" : "rw"))\n"
        }
    }

    /// kubectl's probe line: `exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3`.
    static func probe(_ p: JSON) -> String {
        var what = "unknown"
        if let cmd = p["exec"]?["command"]?.array { what = "exec [\(cmd.map { $0.string ?? $0.compact }.joined(separator: " "))]" }
        if let h = p["httpGet"] {
            let port = h["port"]?.int.map(String.init) ?? h["port"]?.string ?? ""
            what = "http-get \((h["scheme"]?.string ?? "HTTP").lowercased())://\(h["host"]?.string ?? ""):\(port)\(h["path"]?.string ?? "/")"
        }
        if let t = p["tcpSocket"] { what = "tcp-socket \(t["host"]?.string ?? ""):\(t["port"]?.int.map(String.init) ?? t["port"]?.string ?? "")" }
        if let g = p["grpc"] { what = "grpc <pod>:\(g["port"]?.int ?? 0) \(g["service"]?.string ?? "")" }
        func n(_ k: String, _ d: Int) -> Int { p[k]?.int ?? d }
        return "\(what) delay=\(n("initialDelaySeconds", 0))s timeout=\(n("timeoutSeconds", 1))s period=\(n("periodSeconds", 10))s #success=\(n("successThreshold", 1)) #failure=\(n("failureThreshold", 3))"
    }

    /// RFC 3339 as kubectl describe prints times: "Fri, 04 Dec 2026 20:27:00 +0000" (UTC).
    static func rfc1123(_ text: String) -> String {
        guard let ns = Time.parseRFC3339(text) else { return text }
        var secs = time_t(ns / 1_000_000_000)
        var tm = tm()
        gmtime_r(&secs, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tm.tm_wday) % 7]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon) % 12]) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) +0000"
    }

    static func mapLines(_ indent: Int, _ key: String, _ m: JSON?, _ out: inout String) {
        let pairs: [(key: String, value: JSON)] = (m?.object?.entries ?? []).sorted { $0.key < $1.key }
        let label = key + ":"
        let pad = String(repeating: " ", count: max(1, 18 - label.count))
        if pairs.isEmpty { out += label + pad + "<none>\n"; return }
        for (i, p) in pairs.enumerated() {
            out += (i == 0 ? label + pad : String(repeating: " ", count: 18)) + "\(p.key)=\(p.value.string ?? p.value.compact)\n"
        }
    }
}

/// One line of a pod's events.log ("<RFC 3339 time>\t<container or ->\t<message>") as kubectl
/// shows events: a type (Warning for failures), a reason (the message's first word), the message.
struct PodEvent {
    var time: Int64?
    var type: String
    var reason: String
    var message: String

    static let warnings = ["Failed", "BackOff", "Back-off", "Unhealthy", "OOMKilled", "DeadlineExceeded", "Error", "Killing"]

    static func parse(_ text: String) -> [PodEvent] {
        text.split(separator: "\n").compactMap { l in
            let f = l.split(separator: "\t", maxSplits: 2).map(String.init)
            guard f.count == 3 else { return nil }
            let reason = String(f[2].prefix { $0 != " " && $0 != ":" && $0 != "(" })
            return PodEvent(time: Time.parseRFC3339(f[0]), type: warnings.contains { f[2].hasPrefix($0) } ? "Warning" : "Normal",
                            reason: reason, message: f[1] == "-" ? f[2] : "\(f[1]): \(f[2])")
        }
    }
}
