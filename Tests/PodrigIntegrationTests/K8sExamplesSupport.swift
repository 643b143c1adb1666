#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// A node for the Kubernetes docs' examples: a throwaway netns `pr-k8sn<x>` standing in for the
/// node (its address 10.89.<60+x>.10 on a veth pair inside it is the hostIP), a bridge CNI
/// network with a gateway there (pods get 10.89.<40+x>.0/24), and the podrig CLI run inside it
/// with its own state root, CNI conf, cache and IPAM dirs. Nothing of it touches the host netns.
final class K8sNode {
    let x: Int
    let bed = PodBed()
    let node: String
    let dir: String

    init(_ x: Int) {
        precondition((0..<20).contains(x))
        self.x = x
        node = "pr-k8sn\(x)"
        dir = "/tmp/podrig-k8s-test-\(x)-\((try! Identifiers.newID()).prefix(6))"
        for sub in ["conf", "cache", "ipam"] { try! Files.makeDirectories(dir + "/" + sub, mode: 0o755) }
        let setup = sh("""
            ip netns del \(node) 2>/dev/null; ip netns add \(node) && ip -n \(node) link set lo up &&
            ip -n \(node) link add pr-k8sv\(x)a type veth peer name pr-k8sv\(x)b &&
            ip -n \(node) addr add \(hostIP)/24 dev pr-k8sv\(x)a &&
            ip -n \(node) link set pr-k8sv\(x)a up && ip -n \(node) link set pr-k8sv\(x)b up
            """)
        #expect(setup.code == 0, "node netns: \(setup.err)")
        // isGateway (and so ip_forward) only inside the node netns.
        let conf = #"{"cniVersion":"1.0.0","name":"pr-k8s\#(x)","plugins":[{"type":"bridge","bridge":"pr-k8s\#(x)","isGateway":true,"# +
            #""ipam":{"type":"host-local","dataDir":"\#(dir)/ipam","ranges":[[{"subnet":"\#(subnet).0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}}]}"#
        try! Files.writeAtomic(dir + "/conf/10-pr-k8s\(x).conflist", conf, mode: 0o644, sync: false)
    }

    deinit {
        sh("ip netns del \(node)")
        try? Files.removeTree(dir)
    }

    var subnet: String { "10.89.\(40 + x)" }
    var hostIP: String { "10.89.\(60 + x).10" }

    /// The podrig CLI inside the node netns; options go before a "--" (exec passes the rest on).
    @discardableResult
    func cli(_ args: String, timeout: Double = 60) -> (code: Int32, out: String, err: String) {
        let opts = "--root \(bed.root.path) --pause-path \(TestBinaries.pause) --cni-conf-dir \(dir)/conf --cni-cache-dir \(dir)/cache"
        let prefix = "PODRIG_NETWORK= nsenter --net=/run/netns/\(node) \(TestBinaries.podrig)"
        if let r = args.firstRange(of: " -- ") {
            return sh("\(prefix) \(args[..<r.lowerBound]) \(opts)\(args[r.lowerBound...])", timeout: timeout)
        }
        return sh("\(prefix) \(args) \(opts)", timeout: timeout)
    }

    /// A shell command in the node netns (curl to a pod IP, …).
    @discardableResult
    func inNode(_ command: String) -> (code: Int32, out: String, err: String) {
        sh("nsenter --net=/run/netns/\(node) sh -c '\(command)'")
    }

    /// examples/k8s/<name>.yaml of this repository.
    static func example(_ name: String, file: String = #filePath) -> String {
        let repo = Files.dirname(of: Files.dirname(of: Files.dirname(of: file)))
        return repo + "/examples/k8s/" + name + ".yaml"
    }

    /// A shortened copy of an example (the original's waits are long); every replacement must apply.
    func variant(_ name: String, _ replacements: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        var text = (try? Files.readString(K8sNode.example(name))) ?? ""
        for (from, to) in replacements {
            #expect(text.contains(from), "\(name).yaml has no \"\(from)\"", sourceLocation: sourceLocation)
            text = text.replacing(from, with: to)
        }
        return bed.manifest(text, name: name + "-short.yaml")
    }

    /// `podrig up -d` of an example (a name) or a manifest path.
    func up(_ nameOrPath: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let path = nameOrPath.hasPrefix("/") ? nameOrPath : K8sNode.example(nameOrPath)
        let r = cli("up -d \(path)")
        #expect(r.code == 0, "up \(nameOrPath): \(r.out)\n\(r.err)", sourceLocation: sourceLocation)
    }

    func get(_ name: String, namespace: String = "default") -> JSON? {
        try? JSONParser.parse(cli("get pod \(name) -o json -n \(namespace)").out)
    }

    func logs(_ pod: String, _ container: String? = nil, namespace: String = "default") -> [String] {
        cli("logs \(pod) -n \(namespace)" + (container.map { " -c \($0)" } ?? "")).out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func exec(_ pod: String, _ container: String? = nil, _ command: String) -> (code: Int32, out: String, err: String) {
        cli("exec \(pod)" + (container.map { " -c \($0)" } ?? "") + " -- " + command)
    }

    /// kubectl's row for a pod: [NAME, READY, STATUS, RESTARTS, AGE, IP].
    func row(_ name: String, namespace: String = "default") -> [String] {
        let out = cli("get pods -n \(namespace)").out
        let line = out.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == name }
        // RESTARTS may read "1 (3s ago)": keep it one column.
        var cols = (line ?? "").split(separator: " ").map(String.init)
        if let i = cols.firstIndex(where: { $0.hasPrefix("(") }), i + 1 < cols.count { cols[i - 1] += " " + cols[i] + " " + cols[i + 1]; cols.removeSubrange(i...(i + 1)) }
        return cols
    }

    @discardableResult
    func wait(_ timeout: Double = 15, _ cond: () -> Bool) -> Bool { bed.wait(timeout, cond) }

    /// `podrig down` of every pod, then: no process, pin, state, log, mount, CNI cache entry,
    /// IP lease or pod veth left.
    func downAll(sourceLocation: SourceLocation = #_sourceLocation) {
        let pods = (try? bed.pods.list()) ?? []
        for p in pods {
            let r = cli("down --grace-period 1 \(p.manifest.name) -n \(p.manifest.namespace)")
            #expect(r.code == 0, "down \(p.manifest.name): \(r.err)", sourceLocation: sourceLocation)
        }
        for p in pods {
            bed.checkGone(p, containerPids: (p.status?.containers ?? []).map(\.pid).filter { $0 > 0 }, sourceLocation: sourceLocation)
        }
        let cache = (try? Files.list(dir + "/cache/results")) ?? []
        #expect(cache.isEmpty, "CNI cache entries left: \(cache)", sourceLocation: sourceLocation)
        let leases = ((try? Files.list(dir + "/ipam/pr-k8s\(x)")) ?? []).filter { IPAddress.family($0) != nil }
        #expect(leases.isEmpty, "IP leases left: \(leases)", sourceLocation: sourceLocation)
        let veths = inNode("ip -o link show master pr-k8s\(x) 2>/dev/null").out
        #expect(veths.isEmpty, "pod veths left on the bridge: \(veths)", sourceLocation: sourceLocation)
    }

    // MARK: the shape kubectl shows

    /// `podrig get pod -o json` has what `kubectl get pod -o json` has, consistent with itself.
    func expectKubectlShape(_ pod: JSON, phase: String, qos: String = "BestEffort", sourceLocation: SourceLocation = #_sourceLocation) {
        func check(_ ok: Bool, _ what: String) { #expect(ok, "\(what)", sourceLocation: sourceLocation) }
        func isTime(_ v: JSON?) -> Bool {  // 2026-01-02T03:04:05Z
            guard let t = v?.string.map(Array.init), t.count == 20 else { return false }
            return t.enumerated().allSatisfy { i, ch in
                switch i { case 4, 7: ch == "-"; case 10: ch == "T"; case 13, 16: ch == ":"; case 19: ch == "Z"; default: ch.isNumber }
            }
        }
        check(pod["apiVersion"]?.string == "v1" && pod["kind"]?.string == "Pod", "apiVersion/kind")
        let meta = pod["metadata"]
        check(meta?["name"]?.string != nil && meta?["namespace"]?.string != nil && meta?["uid"]?.string != nil, "metadata name/namespace/uid")
        check(isTime(meta?["creationTimestamp"]), "metadata.creationTimestamp")
        guard let st = pod["status"] else { check(false, "no status"); return }
        check(st["phase"]?.string == phase, "phase \(st["phase"]?.string ?? "-") != \(phase)")
        let conditions = st["conditions"]?.array ?? []
        check(Set(conditions.compactMap { $0["type"]?.string }) == ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"],
              "condition types: \(conditions.compactMap { $0["type"]?.string })")
        for c in conditions {
            check(["True", "False"].contains(c["status"]?.string ?? ""), "condition \(c.compact): status")
            check(isTime(c["lastTransitionTime"]), "condition \(c.compact): lastTransitionTime")
            check(c["lastProbeTime"]?.isNull == true, "condition \(c.compact): lastProbeTime null")
            if c["status"]?.string == "False", ["Ready", "ContainersReady"].contains(c["type"]?.string ?? "") {
                check(c["reason"]?.string != nil, "condition \(c.compact): a False Ready has a reason")
            }
        }
        check(st["hostIP"]?.string == hostIP && st["hostIPs"]?[0]?["ip"]?.string == hostIP, "hostIP \(st["hostIP"]?.compact ?? "-")")
        let podIP = st["podIP"]?.string ?? ""
        check(podIP.hasPrefix(subnet + "."), "podIP \(podIP) in \(subnet).0/24")
        check(st["podIPs"]?.array?.compactMap { $0["ip"]?.string }.first == podIP, "podIPs[0] == podIP")
        check(isTime(st["startTime"]), "startTime")
        check(st["qosClass"]?.string == qos, "qosClass \(st["qosClass"]?.string ?? "-") != \(qos)")
        let spec = pod["spec"]
        check(spec?["nodeName"]?.string?.isEmpty == false, "spec.nodeName")
        check(["Always", "OnFailure", "Never"].contains(spec?["restartPolicy"]?.string ?? ""), "spec.restartPolicy defaulted")
        check(spec?["containers"]?.array?.allSatisfy { $0["terminationMessagePath"]?.string != nil } == true, "containers[].terminationMessagePath defaulted")
        for (key, specKey) in [("containerStatuses", "containers"), ("initContainerStatuses", "initContainers")] {
            let statuses = st[key]?.array ?? []
            let names = (spec?[specKey]?.array ?? []).compactMap { $0["name"]?.string }
            check(statuses.compactMap { $0["name"]?.string } == names, "\(key) names \(statuses.compactMap { $0["name"]?.string }) != \(names)")
            for cs in statuses {
                let n = cs["name"]?.string ?? "?"
                for k in ["state", "lastState", "ready", "restartCount", "started", "image", "imageID"] {
                    check(cs[k] != nil, "\(key) \(n): \(k) missing")
                }
                let state = cs["state"]?.object
                check(state?.count == 1 && ["running", "waiting", "terminated"].contains(state?.keys.first ?? ""), "\(n): state \(cs["state"]?.compact ?? "-")")
                if let r = cs["state"]?["running"] { check(isTime(r["startedAt"]), "\(n): running.startedAt") }
                for t in [cs["state"]?["terminated"], cs["lastState"]?["terminated"]].compactMap({ $0 }) {
                    check(t["exitCode"]?.int != nil && t["reason"]?.string != nil && isTime(t["startedAt"]) && isTime(t["finishedAt"]),
                          "\(n): terminated \(t.compact)")
                    check(t["containerID"]?.string == cs["containerID"]?.string, "\(n): terminated.containerID")
                }
                if cs["state"]?["waiting"] == nil { check(cs["containerID"]?.string?.hasPrefix("podrig://") == true, "\(n): containerID") }
                if cs["state"]?["running"] == nil { check(cs["started"]?.bool == false, "\(n): started is false unless running") }
            }
        }
    }
}

extension JSON {
    func conditionJSON(_ type: String) -> JSON? {
        self["status"]?["conditions"]?.array?.first { $0["type"]?.string == type }
    }
}
