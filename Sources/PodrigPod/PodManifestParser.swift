import PodrigCore

/// Kubernetes v1 Pod documents → `PodManifest`. Unknown fields are errors (as kubectl's strict
/// validation makes them); fields podrig accepts but cannot honour become notes.
public enum PodManifestParser {
    /// Every Pod in a (multi-document) YAML or JSON file; other kinds are refused.
    public static func load(path: String) throws(PodrigError) -> [PodManifest] {
        let text: String
        do { text = try Files.readString(path) } catch {
            if error.code == .notFound { throw PodrigError(.notFound, "\(path): no such file") }
            throw error
        }
        let docs = try ConfigText.parseAll(text, source: path)
        if docs.isEmpty { throw PodrigError.invalid("\(path): no documents") }
        var pods: [PodManifest] = []
        for (i, doc) in docs.enumerated() {
            let items: [JSON] = doc["kind"]?.string == "List" ? (doc["items"]?.array ?? []) : [doc]
            for item in items {
                do { pods.append(try parse(item)) } catch {
                    throw error.context(docs.count > 1 ? "\(path) (document \(i + 1))" : path)
                }
            }
        }
        var seen: Set<String> = []
        for p in pods where !seen.insert(p.namespace + "/" + p.name).inserted {
            throw PodrigError.invalid("\(path): pod \(p.namespace)/\(p.name) appears twice")
        }
        return pods
    }

    public static func parse(_ json: JSON) throws(PodrigError) -> PodManifest {
        guard json.object != nil else { throw PodrigError.invalid("expected a Pod object, got \(json.kindName)") }
        var r = ConfigReader(json, path: "")
        let kind = try r.string("kind")
        let apiVersion = try r.string("apiVersion")
        guard kind == "Pod" else {
            let k = kind ?? "(no kind)"
            if ["Deployment", "Job", "CronJob", "StatefulSet", "DaemonSet", "ReplicaSet"].contains(k) {
                throw PodrigError.invalid("kind \(k) is not supported: podrig runs Pods (copy its spec.template into a kind: Pod document)")
            }
            throw PodrigError.invalid("kind \(k) is not supported: podrig runs kind: Pod documents only")
        }
        guard apiVersion == "v1" else { throw PodrigError.invalid("apiVersion: expected v1 for a Pod, got \(apiVersion ?? "nothing")") }
        var notes: [String] = []
        let meta = try r.object("metadata") ?? JSONObject()
        var m = ConfigReader(.object(meta), path: "metadata")
        var name = try m.string("name")
        if name == nil, let prefix = try m.string("generateName") {
            name = prefix + String(try Identifiers.newID().prefix(5))
        }
        guard let name else { throw PodrigError.invalid("metadata.name: required") }
        try Validate.dns1123Subdomain(name, what: "metadata.name")
        let namespace = try m.string("namespace") ?? "default"
        try Validate.dns1123Label(namespace, what: "metadata.namespace")
        let uid: String
        if let given = try m.string("uid") { uid = given } else { uid = try Identifiers.newUUID() }
        try Validate.cniArgValue(uid, what: "metadata.uid")
        let labels = try m.stringMap("labels") ?? [:]
        let annotations = try m.stringMap("annotations") ?? [:]
        for k in ["creationTimestamp", "resourceVersion", "generation", "ownerReferences", "finalizers", "managedFields",
                  "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"] { _ = m.take(k) }
        try m.finish()
        let specJSON = try r.object("spec")
        guard let specJSON else { throw PodrigError.invalid("spec: required") }
        _ = r.take("status")
        try r.finish()
        let spec = try parseSpec(.object(specJSON), notes: &notes)
        var raw = json
        raw["status"] = nil
        var manifest = PodManifest(raw: raw, name: name, namespace: namespace, uid: uid, spec: spec, notes: notes)
        manifest.labels = labels
        manifest.annotations = annotations
        return manifest
    }

    static func parseSpec(_ json: JSON, notes: inout [String]) throws(PodrigError) -> PodSpec {
        var r = ConfigReader(json, path: "spec")
        var s = PodSpec()
        var names: Set<String> = []
        for (key, isInit) in [("initContainers", true), ("containers", false)] {
            for (i, item) in (try r.array(key) ?? []).enumerated() {
                let c = try parseContainer(item, path: "spec.\(key)[\(i)]", isInit: isInit, notes: &notes)
                guard names.insert(c.name).inserted else { throw PodrigError.invalid("spec.\(key)[\(i)].name: duplicate container name \"\(c.name)\"") }
                if isInit { s.initContainers.append(c) } else { s.containers.append(c) }
            }
        }
        if s.containers.isEmpty { throw PodrigError.invalid("spec.containers: at least one container is required") }
        if let p = try r.string("restartPolicy") {
            guard let rp = RestartPolicy(rawValue: p) else { throw PodrigError.invalid("spec.restartPolicy: expected Always, OnFailure or Never, got \"\(p)\"") }
            s.restartPolicy = rp
        }
        if let d = try r.int("activeDeadlineSeconds") {
            guard (1...Int(Int32.max)).contains(d) else {
                throw PodrigError.invalid("spec.activeDeadlineSeconds: \(d) must be between 1 and 2147483647, inclusive")
            }
            s.activeDeadlineSeconds = d
        }
        if let g = try r.int("terminationGracePeriodSeconds") {
            guard g >= 0 else { throw PodrigError.invalid("spec.terminationGracePeriodSeconds: must be ≥ 0") }
            s.terminationGracePeriodSeconds = g
        }
        s.hostname = try r.string("hostname")
        if let h = s.hostname { try Validate.dns1123Label(h, what: "spec.hostname") }
        s.subdomain = try r.string("subdomain")
        if let d = s.subdomain { try Validate.dns1123Label(d, what: "spec.subdomain") }
        for (i, a) in (try r.array("hostAliases") ?? []).enumerated() {
            var ar = ConfigReader(a, path: "spec.hostAliases[\(i)]")
            guard let ip = try ar.string("ip"), IPAddress.family(ip) != nil, !ip.contains("/") else {
                throw PodrigError.invalid("spec.hostAliases[\(i)].ip: required, an IP address")
            }
            let hostnames = try ar.strings("hostnames") ?? []
            for h in hostnames where h.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                throw PodrigError.invalid("spec.hostAliases[\(i)].hostnames: \"\(h)\" is not a host name")
            }
            try ar.finish()
            s.hostAliases.append((ip, hostnames))
        }
        if let p = try r.string("dnsPolicy") {
            guard ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"].contains(p) else {
                throw PodrigError.invalid("spec.dnsPolicy: expected ClusterFirst, ClusterFirstWithHostNet, Default or None, got \"\(p)\"")
            }
            s.dnsPolicy = p
        }
        if let d = try r.object("dnsConfig") {
            var dr = ConfigReader(.object(d), path: "spec.dnsConfig")
            let servers = try dr.strings("nameservers") ?? []
            for ip in servers where IPAddress.family(ip) == nil { throw PodrigError.invalid("spec.dnsConfig.nameservers: \"\(ip)\" is not an IP address") }
            // validatePodDNSConfig's limits (the resolver's): 3 nameservers, 32 search paths of 2048 characters in all.
            if servers.count > 3 { throw PodrigError.invalid("spec.dnsConfig.nameservers: must not have more than 3 nameservers, got \(servers.count)") }
            let searches = try dr.strings("searches") ?? []
            if searches.count > 32 { throw PodrigError.invalid("spec.dnsConfig.searches: must not have more than 32 search paths, got \(searches.count)") }
            if searches.joined(separator: " ").utf8.count > 2048 {
                throw PodrigError.invalid("spec.dnsConfig.searches: must not have more than 2048 characters (including spaces) in the search list")
            }
            for (i, d) in searches.enumerated() {
                try Validate.dns1123Subdomain(d.hasSuffix(".") ? String(d.dropLast()) : d, what: "spec.dnsConfig.searches[\(i)]")
            }
            var options: [String] = []
            for (i, o) in (try dr.array("options") ?? []).enumerated() {
                var or = ConfigReader(o, path: "spec.dnsConfig.options[\(i)]")
                guard let n = try or.string("name") else { throw PodrigError.invalid("spec.dnsConfig.options[\(i)].name: required") }
                let v = try or.string("value")
                try or.finish()
                options.append(v.map { "\(n):\($0)" } ?? n)
            }
            try dr.finish()
            s.dnsConfig = (servers, searches, options)
        }
        if s.dnsPolicy == "None" && s.dnsConfig == nil { throw PodrigError.invalid("spec.dnsConfig: required when dnsPolicy is None") }
        if s.dnsPolicy == "None" && s.dnsConfig?.nameservers.isEmpty == true {
            throw PodrigError.invalid("spec.dnsConfig.nameservers: must provide at least one DNS nameserver when dnsPolicy is None")
        }
        s.hostNetwork = try r.bool("hostNetwork") ?? false
        s.hostPID = try r.bool("hostPID") ?? false
        s.hostIPC = try r.bool("hostIPC") ?? false
        s.shareProcessNamespace = try r.bool("shareProcessNamespace") ?? false
        if s.hostPID && s.shareProcessNamespace { throw PodrigError.invalid("spec.shareProcessNamespace: cannot be combined with hostPID") }
        s.hostUsers = try r.bool("hostUsers") ?? true
        // The apiserver's validateHostUsers: no host namespace goes with the pod's own user namespace.
        for (key, on) in [("hostNetwork", s.hostNetwork), ("hostPID", s.hostPID), ("hostIPC", s.hostIPC)] where on && !s.hostUsers {
            throw PodrigError.invalid("spec.\(key): Forbidden when spec.hostUsers is false")
        }
        s.nodeName = try r.string("nodeName")
        let sa = try r.string("serviceAccountName")
        let saOld = try r.string("serviceAccount")
        s.serviceAccountName = sa ?? saOld
        if let sc = try r.object("securityContext") { s.securityContext = try parsePodSecurity(.object(sc), notes: &notes, sysctls: &s.sysctls) }
        var volumeNames: Set<String> = []
        for (i, v) in (try r.array("volumes") ?? []).enumerated() {
            let vol = try parseVolume(v, path: "spec.volumes[\(i)]")
            guard volumeNames.insert(vol.name).inserted else { throw PodrigError.invalid("spec.volumes[\(i)].name: duplicate volume \"\(vol.name)\"") }
            s.volumes.append(vol)
        }
        for c in s.initContainers + s.containers {
            for m in c.volumeMounts where !volumeNames.contains(m.name) {
                throw PodrigError.invalid("container \(c.name): volumeMounts names volume \"\(m.name)\", which spec.volumes does not define")
            }
        }
        for k in ["enableServiceLinks", "automountServiceAccountToken", "imagePullSecrets", "schedulerName", "priority",
                  "priorityClassName", "preemptionPolicy", "os", "setHostnameAsFQDN", "schedulingGates"] { _ = r.take(k) }
        for k in ["nodeSelector", "affinity", "tolerations", "topologySpreadConstraints", "runtimeClassName", "overhead",
                  "readinessGates", "resourceClaims", "resources"] where r.take(k) != nil {
            notes.append("spec.\(k) is ignored (one node, no scheduler or resource control)")
        }
        if r.take("ephemeralContainers") != nil { throw PodrigError.invalid("spec.ephemeralContainers: not supported") }
        try r.finish()
        return s
    }

    static func parsePodSecurity(_ json: JSON, notes: inout [String], sysctls: inout [String: String]) throws(PodrigError) -> PodSecurityContext {
        var r = ConfigReader(json, path: "spec.securityContext")
        var s = PodSecurityContext()
        s.runAsUser = try id(&r, "runAsUser")
        s.runAsGroup = try id(&r, "runAsGroup")
        s.runAsNonRoot = try r.bool("runAsNonRoot")
        for (i, g) in (try r.array("supplementalGroups") ?? []).enumerated() {
            guard let n = g.int else { throw PodrigError.invalid("spec.securityContext.supplementalGroups[\(i)]: expected a group ID, got \(g.kindName)") }
            s.supplementalGroups.append(try Validate.linuxID(n, what: "spec.securityContext.supplementalGroups[\(i)]"))
        }
        s.fsGroup = try id(&r, "fsGroup")
        if let p = try r.object("seccompProfile") { s.seccompProfile = try seccomp(.object(p), path: "spec.securityContext.seccompProfile") }
        for (i, item) in (try r.array("sysctls") ?? []).enumerated() {
            var sr = ConfigReader(item, path: "spec.securityContext.sysctls[\(i)]")
            guard let n = try sr.string("name"), let v = try sr.string("value") else { throw PodrigError.invalid("spec.securityContext.sysctls[\(i)]: name and value are required") }
            try sr.finish()
            sysctls[n] = v
        }
        if let p = try r.string("supplementalGroupsPolicy") {
            guard p == "Merge" || p == "Strict" else { throw PodrigError.invalid("spec.securityContext.supplementalGroupsPolicy: expected Merge or Strict, got \"\(p)\"") }
            s.supplementalGroupsPolicy = p
        }
        for k in ["fsGroupChangePolicy", "seLinuxChangePolicy"] { _ = r.take(k) }
        for k in ["seLinuxOptions", "appArmorProfile", "windowsOptions"] where r.take(k) != nil {
            notes.append("spec.securityContext.\(k) is ignored")
        }
        try r.finish()
        return s
    }

    static func id(_ r: inout ConfigReader, _ key: String) throws(PodrigError) -> Int? {
        guard let v = try r.int(key) else { return nil }
        return try Validate.linuxID(v, what: "\(r.path).\(key)")
    }

    static func seccomp(_ json: JSON, path: String) throws(PodrigError) -> SeccompChoice {
        var r = ConfigReader(json, path: path)
        let type = try r.string("type")
        let profile = try r.string("localhostProfile")
        try r.finish()
        switch type {
        case "RuntimeDefault": return .runtimeDefault
        case "Unconfined": return .unconfined
        case "Localhost":
            guard let profile, !profile.isEmpty else { throw PodrigError.invalid("\(path).localhostProfile: required for type Localhost") }
            return .localhost(profile)
        default: throw PodrigError.invalid("\(path).type: expected RuntimeDefault, Unconfined or Localhost, got \(type ?? "nothing")")
        }
    }

    static func parseVolume(_ json: JSON, path: String) throws(PodrigError) -> Volume {
        var r = ConfigReader(json, path: path)
        guard let name = try r.string("name") else { throw PodrigError.invalid("\(path).name: required") }
        try Validate.dns1123Label(name, what: "\(path).name")
        var source: Volume.Source?
        var sizeLimit: Quantity?
        if let e = try r.object("emptyDir") {
            var er = ConfigReader(.object(e), path: "\(path).emptyDir")
            let medium = try er.string("medium") ?? ""
            guard medium == "" || medium == "Memory" else { throw PodrigError.invalid("\(path).emptyDir.medium: expected \"\" or Memory") }
            if let q = er.take("sizeLimit") {
                guard let v = quantity(q), v.value > 0 else { throw PodrigError.invalid("\(path).emptyDir.sizeLimit: not a positive quantity") }
                sizeLimit = v
            }
            try er.finish()
            source = .emptyDir(medium: medium)
        }
        if let h = try r.object("hostPath") {
            var hr = ConfigReader(.object(h), path: "\(path).hostPath")
            guard let p = try hr.string("path"), p.hasPrefix("/") else { throw PodrigError.invalid("\(path).hostPath.path: required, an absolute path") }
            let type = try hr.string("type") ?? ""
            let types = ["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"]
            guard types.contains(type) else { throw PodrigError.invalid("\(path).hostPath.type: unknown type \"\(type)\"") }
            try hr.finish()
            source = .hostPath(path: p, type: type)
        }
        if let p = try parseProjectedSource(&r, path: path) {
            if source != nil { throw PodrigError.invalid("\(path): one volume source only") }
            source = p
        }
        for k in ["persistentVolumeClaim", "nfs", "csi", "ephemeral", "image"] where r.take(k) != nil {
            throw PodrigError.invalid("\(path): \(k) volumes are not supported (podrig has emptyDir, hostPath, configMap, secret, downwardAPI and projected)")
        }
        try r.finish()
        guard let source else { throw PodrigError.invalid("\(path): needs emptyDir, hostPath, configMap, secret, downwardAPI or projected") }
        return Volume(name: name, source: source, sizeLimit: sizeLimit)
    }
}
