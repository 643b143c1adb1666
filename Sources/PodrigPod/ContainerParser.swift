import PodrigCore

extension PodManifestParser {
    static func parseContainer(_ json: JSON, path: String, isInit: Bool, notes: inout [String]) throws(PodrigError) -> ContainerSpec {
        var r = ConfigReader(json, path: path)
        guard let name = try r.string("name") else { throw PodrigError.invalid("\(path).name: required") }
        try Validate.dns1123Label(name, what: "\(path).name")
        var c = ContainerSpec(name: name)
        c.image = try r.string("image")
        if let policy = try r.string("imagePullPolicy"), !["Always", "IfNotPresent", "Never"].contains(policy) {
            throw PodrigError.invalid("\(path).imagePullPolicy: expected Always, IfNotPresent or Never, got \"\(policy)\"")
        }
        c.command = try r.strings("command") ?? []
        c.args = try r.strings("args") ?? []
        // No image, so no ENTRYPOINT/CMD: `args` alone run as the command, as they do with images
        // that have no ENTRYPOINT (busybox, debian — what the Kubernetes docs' examples use).
        if c.command.isEmpty && c.args.isEmpty {
            throw PodrigError.invalid("\(path).command: required (podrig runs host programs and has no image entrypoint)")
        }
        c.workingDir = try r.string("workingDir")
        if let w = c.workingDir, !w.hasPrefix("/") { throw PodrigError.invalid("\(path).workingDir: must be an absolute path") }
        for (i, e) in (try r.array("env") ?? []).enumerated() {
            c.env.append(try parseEnv(e, path: "\(path).env[\(i)]"))
        }
        c.envFrom = try parseEnvFrom(try r.array("envFrom") ?? [], path: "\(path).envFrom")
        for (i, m) in (try r.array("volumeMounts") ?? []).enumerated() {
            var mr = ConfigReader(m, path: "\(path).volumeMounts[\(i)]")
            guard let n = try mr.string("name"), let mp = try mr.string("mountPath") else {
                throw PodrigError.invalid("\(path).volumeMounts[\(i)]: name and mountPath are required")
            }
            guard mp.hasPrefix("/"), !mp.split(separator: "/").contains("..") else {
                throw PodrigError.invalid("\(path).volumeMounts[\(i)].mountPath: must be an absolute path without '..'")
            }
            // validateVolumeMounts: one mount per path in a container.
            if c.volumeMounts.contains(where: { $0.mountPath == mp }) {
                throw PodrigError.invalid("\(path).volumeMounts[\(i)].mountPath: \"\(mp)\" must be unique")
            }
            var vm = VolumeMount(name: n, mountPath: mp)
            vm.readOnly = try mr.bool("readOnly") ?? false
            vm.subPath = try mr.string("subPath")
            if let sp = vm.subPath, sp.hasPrefix("/") || sp.split(separator: "/").contains("..") {
                throw PodrigError.invalid("\(path).volumeMounts[\(i)].subPath: must be a relative path without '..'")
            }
            for k in ["mountPropagation", "recursiveReadOnly", "subPathExpr"] where mr.take(k) != nil {
                notes.append("\(path).volumeMounts[\(i)].\(k) is ignored")
            }
            try mr.finish()
            c.volumeMounts.append(vm)
        }
        if let sc = try r.object("securityContext") { c.securityContext = try parseSecurity(.object(sc), path: "\(path).securityContext", notes: &notes) }
        for (i, p) in (try r.array("ports") ?? []).enumerated() {
            var pr = ConfigReader(p, path: "\(path).ports[\(i)]")
            // Kubernetes' validateContainerPorts: numbers in range, IANA names unique in the container.
            let at = "\(path).ports[\(i)]"
            guard let port = try pr.int("containerPort") else { throw PodrigError.invalid("\(at).containerPort: required") }
            guard (1...65535).contains(port) else { throw PodrigError.invalid("\(at).containerPort: \(port) must be between 1 and 65535, inclusive") }
            let pname = try pr.string("name")
            if let pname {
                try Validate.portName(pname, what: "\(at).name")
                if c.ports.contains(where: { $0.name == pname }) { throw PodrigError.invalid("\(at).name: duplicate port name \"\(pname)\"") }
            }
            if let proto = try pr.string("protocol"), !["TCP", "UDP", "SCTP"].contains(proto) {
                throw PodrigError.invalid("\(at).protocol: \"\(proto)\" is not TCP, UDP or SCTP")
            }
            if let hostPort = try pr.int("hostPort"), hostPort != 0 {
                guard (1...65535).contains(hostPort) else { throw PodrigError.invalid("\(at).hostPort: \(hostPort) must be between 1 and 65535, inclusive") }
                notes.append("\(at).hostPort is ignored (no port mapping without CNI portmap)")
            }
            _ = pr.take("hostIP")
            try pr.finish()
            c.ports.append((pname, port))
        }
        for (key, assign) in [("startupProbe", 0), ("readinessProbe", 1), ("livenessProbe", 2)] {
            guard let p = try r.object(key) else { continue }
            let probe = try parseProbe(.object(p), path: "\(path).\(key)", ports: c.ports, isLiveness: key != "readinessProbe")
            switch assign {
            case 0: c.startupProbe = probe
            case 1: c.readinessProbe = probe
            default: c.livenessProbe = probe
            }
        }
        if let l = try r.object("lifecycle") {
            var lr = ConfigReader(.object(l), path: "\(path).lifecycle")
            if let h = try lr.object("postStart") { c.postStart = try parseHandler(.object(h), path: "\(path).lifecycle.postStart", ports: c.ports) }
            if let h = try lr.object("preStop") { c.preStop = try parseHandler(.object(h), path: "\(path).lifecycle.preStop", ports: c.ports) }
            _ = lr.take("stopSignal")
            try lr.finish()
            for h in [c.postStart, c.preStop].compactMap({ $0 }) {
                if case .exec = h { continue }
                if case .sleep = h { continue }
                throw PodrigError.invalid("\(path).lifecycle: only exec and sleep hooks are supported")
            }
        }
        c.restartPolicy = try r.string("restartPolicy")
        if let rp = c.restartPolicy {
            guard isInit, rp == "Always" else {
                throw PodrigError.invalid("\(path).restartPolicy: only init containers may set it, and only to Always (a sidecar)")
            }
        }
        if !isInit || c.isSidecar {} else if c.readinessProbe != nil || c.livenessProbe != nil || c.startupProbe != nil {
            throw PodrigError.invalid("\(path): init containers cannot have probes (unless restartPolicy: Always)")
        }
        if let p = try r.string("terminationMessagePath") {
            guard p.hasPrefix("/") else { throw PodrigError.invalid("\(path).terminationMessagePath: must be an absolute path") }
            c.terminationMessagePath = p
        }
        if let p = try r.string("terminationMessagePolicy") {
            guard p == "File" || p == "FallbackToLogsOnError" else { throw PodrigError.invalid("\(path).terminationMessagePolicy: expected File or FallbackToLogsOnError") }
            c.terminationMessagePolicy = p
        }
        _ = r.take("resizePolicy")
        if let res = try r.object("resources") {
            c.resources = try parseResources(.object(res), path: "\(path).resources")
        }
        c.stdin = try r.bool("stdin") ?? false
        c.stdinOnce = try r.bool("stdinOnce") ?? false
        c.tty = try r.bool("tty") ?? false
        if r.take("volumeDevices") != nil { throw PodrigError.invalid("\(path).volumeDevices: not supported") }
        try r.finish()
        return c
    }

    static func parseEnv(_ json: JSON, path: String) throws(PodrigError) -> EnvVar {
        var r = ConfigReader(json, path: path)
        guard let name = try r.string("name"), !name.isEmpty, !name.contains("=") else {
            throw PodrigError.invalid("\(path).name: required, without '='")
        }
        var e = EnvVar(name: name)
        if let v = r.take("value") {
            switch v {
            case .string(let s): e.value = s
            case .number(let n): e.value = n
            case .bool(let b): e.value = b ? "true" : "false"
            default: throw PodrigError.invalid("\(path).value: expected a string, got \(v.kindName)")
            }
        }
        if let vf = try r.object("valueFrom") {
            var vr = ConfigReader(.object(vf), path: "\(path).valueFrom")
            if let f = try vr.object("fieldRef") {
                var fr = ConfigReader(.object(f), path: "\(path).valueFrom.fieldRef")
                guard let fp = try fr.string("fieldPath") else { throw PodrigError.invalid("\(path).valueFrom.fieldRef.fieldPath: required") }
                _ = fr.take("apiVersion")
                try fr.finish()
                guard FieldRef.isSupported(fp) else { throw PodrigError.invalid("\(path).valueFrom.fieldRef.fieldPath: \"\(fp)\" is not supported") }
                e.fieldPath = fp
            }
            if let f = try vr.object("resourceFieldRef") {
                var fr = ConfigReader(.object(f), path: "\(path).valueFrom.resourceFieldRef")
                guard let res = try fr.string("resource") else { throw PodrigError.invalid("\(path).valueFrom.resourceFieldRef.resource: required") }
                guard ResourceFieldRef.supported.contains(res) else {
                    throw PodrigError.invalid("\(path).valueFrom.resourceFieldRef.resource: \"\(res)\" is not supported (one of \(ResourceFieldRef.supported.joined(separator: ", ")))")
                }
                var divisor: Quantity?
                if let d = fr.take("divisor") {
                    guard let q = quantity(d), !q.isZero else { throw PodrigError.invalid("\(path).valueFrom.resourceFieldRef.divisor: not a positive quantity") }
                    divisor = q
                }
                e.resourceField = ResourceFieldRef(containerName: try fr.string("containerName"), resource: res, divisor: divisor)
                try fr.finish()
            }
            if let o = try vr.object("configMapKeyRef") { e.keyRef = try parseKeyRef(o, kind: .configMap, path: "\(path).valueFrom.configMapKeyRef") }
            if let o = try vr.object("secretKeyRef") {
                if e.keyRef != nil { throw PodrigError.invalid("\(path).valueFrom: one source only") }
                e.keyRef = try parseKeyRef(o, kind: .secret, path: "\(path).valueFrom.secretKeyRef")
            }
            if [e.fieldPath != nil, e.resourceField != nil, e.keyRef != nil].filter({ $0 }).count > 1 { throw PodrigError.invalid("\(path).valueFrom: one source only") }
            if vr.take("fileKeyRef") != nil { throw PodrigError.invalid("\(path).valueFrom.fileKeyRef: not supported") }
            try vr.finish()
        }
        try r.finish()
        return e
    }

    static func quantity(_ v: JSON) -> Quantity? {
        switch v {
        case .string(let s): return Quantity.parse(s)
        case .number(let n): return Quantity.parse(n)
        default: return nil
        }
    }

    static func parseResources(_ json: JSON, path: String) throws(PodrigError) -> ResourceRequirements {
        var r = ConfigReader(json, path: path)
        var out = ResourceRequirements()
        for key in ["limits", "requests"] {
            guard let m = try r.object(key) else { continue }
            var list: [(name: String, quantity: Quantity)] = []
            for (name, v) in m {
                guard let q = quantity(v) else { throw PodrigError.invalid("\(path).\(key).\(name): \(v.compact) is not a quantity") }
                list.append((name, q))
            }
            if key == "limits" { out.limits = list } else { out.requests = list }
        }
        _ = r.take("claims")
        try r.finish()
        for l in out.limits {
            if let q = out.request(l.name), l.quantity.milliValue < q.milliValue {
                throw PodrigError.invalid("\(path).requests.\(l.name): must be less than or equal to the limit \(l.quantity.text)")
            }
        }
        out.defaultRequests()
        return out
    }

    static func parseSecurity(_ json: JSON, path: String, notes: inout [String]) throws(PodrigError) -> SecurityContext {
        var r = ConfigReader(json, path: path)
        var s = SecurityContext()
        s.runAsUser = try id(&r, "runAsUser")
        s.runAsGroup = try id(&r, "runAsGroup")
        s.runAsNonRoot = try r.bool("runAsNonRoot")
        s.privileged = try r.bool("privileged") ?? false
        s.allowPrivilegeEscalation = try r.bool("allowPrivilegeEscalation")
        s.readOnlyRootFilesystem = try r.bool("readOnlyRootFilesystem") ?? false
        if let caps = try r.object("capabilities") {
            var cr = ConfigReader(.object(caps), path: "\(path).capabilities")
            s.capabilitiesAdd = try cr.strings("add") ?? []
            s.capabilitiesDrop = try cr.strings("drop") ?? []
            try cr.finish()
        }
        if let p = try r.object("seccompProfile") { s.seccompProfile = try seccomp(.object(p), path: "\(path).seccompProfile") }
        if s.privileged && s.allowPrivilegeEscalation == false {
            throw PodrigError.invalid("\(path): allowPrivilegeEscalation cannot be false with privileged: true")
        }
        switch try r.string("procMount") {
        case nil, "Default": break
        case "Unmasked": s.maskedPaths = []; s.readonlyPaths = []
        case let v?: throw PodrigError.invalid("\(path).procMount: \(v) is not Default or Unmasked")
        }
        for k in ["seLinuxOptions", "appArmorProfile", "windowsOptions"] where r.take(k) != nil {
            notes.append("\(path).\(k) is ignored")
        }
        try r.finish()
        return s
    }

    static func port(_ v: JSON?, path: String, ports: [(name: String?, port: Int)]) throws(PodrigError) -> Int {
        guard let v else { throw PodrigError.invalid("\(path).port: required") }
        if let n = v.int ?? v.string.flatMap({ Int($0) }), (1...65535).contains(n) { return n }
        if let s = v.string, let p = ports.first(where: { $0.name == s }) { return p.port }
        throw PodrigError.invalid("\(path).port: \(v.compact) is neither a port number nor a named container port")
    }

    static func parseHandler(_ json: JSON, path: String, ports: [(name: String?, port: Int)]) throws(PodrigError) -> Handler {
        var r = ConfigReader(json, path: path)
        var found: [Handler] = []
        if let e = try r.object("exec") {
            var er = ConfigReader(.object(e), path: "\(path).exec")
            let cmd = try er.strings("command") ?? []
            try er.finish()
            if cmd.isEmpty { throw PodrigError.invalid("\(path).exec.command: required") }
            found.append(.exec(cmd))
        }
        if let t = try r.object("tcpSocket") {
            var tr = ConfigReader(.object(t), path: "\(path).tcpSocket")
            let p = try port(tr.take("port"), path: "\(path).tcpSocket", ports: ports)
            let host = try tr.string("host")
            try tr.finish()
            found.append(.tcp(host: host, port: p))
        }
        if let h = try r.object("httpGet") {
            var hr = ConfigReader(.object(h), path: "\(path).httpGet")
            let p = try port(hr.take("port"), path: "\(path).httpGet", ports: ports)
            let host = try hr.string("host")
            let hpath = try hr.string("path") ?? "/"
            let scheme = try hr.string("scheme") ?? "HTTP"
            guard scheme == "HTTP" || scheme == "HTTPS" else { throw PodrigError.invalid("\(path).httpGet.scheme: expected HTTP or HTTPS") }
            if scheme == "HTTPS" { throw PodrigError.invalid("\(path).httpGet.scheme: HTTPS probes are not supported (use tcpSocket)") }
            var headers: [(String, String)] = []
            for (i, hh) in (try hr.array("httpHeaders") ?? []).enumerated() {
                var xr = ConfigReader(hh, path: "\(path).httpGet.httpHeaders[\(i)]")
                guard let n = try xr.string("name"), let v = try xr.string("value"),
                      !n.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }), !v.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    throw PodrigError.invalid("\(path).httpGet.httpHeaders[\(i)]: name and value are required, on one line")
                }
                try xr.finish()
                headers.append((n, v))
            }
            try hr.finish()
            guard hpath.hasPrefix("/"), !hpath.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else {
                throw PodrigError.invalid("\(path).httpGet.path: must start with / and hold no spaces")
            }
            found.append(.http(host: host, port: p, path: hpath, scheme: scheme, headers: headers))
        }
        if let s = try r.object("sleep") {
            var sr = ConfigReader(.object(s), path: "\(path).sleep")
            guard let secs = try sr.int("seconds"), secs >= 0 else { throw PodrigError.invalid("\(path).sleep.seconds: required, ≥ 0") }
            try sr.finish()
            found.append(.sleep(secs))
        }
        if r.take("grpc") != nil { throw PodrigError.invalid("\(path).grpc: gRPC probes are not supported") }
        try r.finish()
        guard found.count == 1, let h = found.first else {
            throw PodrigError.invalid("\(path): exactly one of exec, tcpSocket, httpGet\(path.contains("lifecycle") ? " or sleep" : "") is required")
        }
        return h
    }

    static func parseProbe(_ json: JSON, path: String, ports: [(name: String?, port: Int)], isLiveness: Bool) throws(PodrigError) -> Probe {
        guard var o = json.object else { throw PodrigError.invalid("\(path): expected an object") }
        var timing = JSONObject()
        for k in ["initialDelaySeconds", "periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"] {
            if let v = o[k] { timing[k] = v; o[k] = nil }
        }
        let handler = try parseHandler(.object(o), path: path, ports: ports)
        if case .sleep = handler { throw PodrigError.invalid("\(path): sleep is a lifecycle hook, not a probe") }
        var r = ConfigReader(.object(timing), path: path)
        var p = Probe(handler: handler)
        func positive(_ key: String, _ dflt: Int, min: Int) throws(PodrigError) -> Int {
            let v = try r.int(key) ?? dflt
            guard v >= min else { throw PodrigError.invalid("\(path).\(key): must be ≥ \(min)") }
            // int32 in the API: a larger number is the decode error kubectl would give.
            guard v <= Int(Int32.max) else { throw PodrigError.invalid("\(path).\(key): \(v) does not fit an int32 (at most 2147483647)") }
            return v
        }
        p.initialDelaySeconds = try positive("initialDelaySeconds", 0, min: 0)
        p.periodSeconds = try positive("periodSeconds", 10, min: 1)
        p.timeoutSeconds = try positive("timeoutSeconds", 1, min: 1)
        p.successThreshold = try positive("successThreshold", 1, min: 1)
        p.failureThreshold = try positive("failureThreshold", 3, min: 1)
        _ = r.take("terminationGracePeriodSeconds")
        if isLiveness && p.successThreshold != 1 { throw PodrigError.invalid("\(path).successThreshold: must be 1 for liveness and startup probes") }
        try r.finish()
        return p
    }
}
