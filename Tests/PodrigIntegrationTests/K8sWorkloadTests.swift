#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// Workload kinds with podrig as their controller (in K8sConfigTests' serialized suite: the same
/// node netns numbers). StatefulSet basics and the pi Job from the Kubernetes docs, the
/// acceptance stack (ConfigMap, Secret, Deployment ×3, StatefulSet ×2), sticky IPs with podrig-ipam.
extension K8sConfigTests {
    func names(_ n: K8sNode, _ args: String) -> [String] {
        n.cli("get pods \(args)").out.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// "StatefulSet Basics": ordered creation, stable names and hostnames, a deleted pod comes back as itself.
    @Test(.enabled(if: isRoot)) func statefulSetBasics() throws {
        let n = K8sNode(16)
        let up = n.cli("up -d \(K8sNode.example("web-statefulset"))")
        #expect(up.code == 0, "\(up.out)\n\(up.err)")
        #expect(up.err.contains("ignored Service/nginx: podrig has no Services"), "\(up.err)")
        #expect(up.err.contains("volumeClaimTemplates"), "\(up.err)")
        // web-1 was created only once web-0 was Ready.
        let lines = up.out.split(separator: "\n")
        let ready0 = lines.firstIndex { $0.contains("pod web-0 Ready") }, made1 = lines.firstIndex { $0.contains("created pod web-1") }
        #expect(ready0 != nil && made1 != nil && ready0! < made1!, "\(up.out)")
        for i in 0...1 {
            #expect(n.exec("web-\(i)", nil, "sh -c hostname").out == "web-\(i)\n")
            #expect(n.exec("web-\(i)", nil, "cat /etc/hosts").out.contains("web-\(i).nginx.default.svc.cluster.local\tweb-\(i)"))
            n.exec("web-\(i)", nil, "sh -c 'echo \"$(hostname)\" > /usr/share/nginx/html/index.html'")
            let pod = try #require(n.get("web-\(i)"))
            n.expectKubectlShape(pod, phase: "Running")
            #expect(pod["metadata"]?["labels"]?["statefulset.kubernetes.io/pod-name"]?.string == "web-\(i)")
            #expect(pod["metadata"]?["labels"]?["apps.kubernetes.io/pod-index"]?.string == "\(i)")
            #expect(pod["metadata"]?["labels"]?["controller-revision-hash"]?.string?.hasPrefix("web-") == true)
            #expect(pod["metadata"]?["ownerReferences"]?[0]?["kind"]?.string == "StatefulSet" && pod["metadata"]?["ownerReferences"]?[0]?["name"]?.string == "web")
            #expect(pod["spec"]?["hostname"]?.string == "web-\(i)" && pod["spec"]?["subdomain"]?.string == "nginx")
            let ip = pod["status"]?["podIP"]?.string ?? "-"
            var page = ""
            n.wait(10) { page = n.inNode("curl -s http://\(ip):80/").out; return !page.isEmpty }
            #expect(page == "web-\(i)\n")
        }
        let sts = n.cli("get statefulsets").out
        #expect(sts.contains("NAME") && sts.split(separator: "\n").last?.split(separator: " ").prefix(2) == ["web", "2/2"], "\(sts)")
        // Delete web-0; `up` again (the controller's next pass) re-creates it, same name and hostname.
        #expect(n.cli("down --grace-period 1 web-0").code == 0)
        let again = n.cli("up -d \(K8sNode.example("web-statefulset"))")
        #expect(again.code == 0 && again.out.contains("created pod web-0") && !again.out.contains("created pod web-1"), "\(again.out)\n\(again.err)")
        #expect(n.exec("web-0", nil, "sh -c hostname").out == "web-0\n")
        let down = n.cli("down -f \(K8sNode.example("web-statefulset")) --grace-period 1")
        #expect(down.code == 0 && down.out.contains("statefulset.apps \"web\" deleted"), "\(down.out)\n\(down.err)")
        #expect(((try? n.bed.pods.list()) ?? []).isEmpty)
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }

    /// With podrig-ipam's reservations, a re-created StatefulSet pod keeps its IP.
    @Test(.enabled(if: isRoot)) func statefulSetPodKeepsItsIPWithPodrigIPAM() throws {
        let n = K8sNode(17)
        let conf = #"{"cniVersion":"1.0.0","name":"pr-k8s17","plugins":[{"type":"bridge","bridge":"pr-k8s17","isGateway":true,"# +
            #""ipam":{"type":"podrig-ipam","dataDir":"\#(n.dir)/ipam","reservation":{"ttl":"1h"},"ranges":[[{"subnet":"\#(n.subnet).0/24"}]]}}]}"#
        try Files.writeAtomic(n.dir + "/conf/10-pr-k8s17.conflist", conf, mode: 0o644, sync: false)
        let bin = "--cni-bin-dir /usr/lib/cni:\(TestBinaries.directory)"
        let file = n.bed.manifest("""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db}
            spec:
              serviceName: db
              replicas: 2
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec: {containers: [{name: c, command: [sleep, "3600"]}]}
            """, name: "db.yaml")
        #expect(n.cli("up -d \(bin) \(file)").code == 0)
        let ip0 = n.get("db-0")?["status"]?["podIP"]?.string ?? "-", ip1 = n.get("db-1")?["status"]?["podIP"]?.string ?? "-"
        #expect(ip0.hasPrefix(n.subnet) && ip1.hasPrefix(n.subnet) && ip0 != ip1)
        // db-1 goes first, then db-0: without reservations db-0 would come back on db-1's old address.
        #expect(n.cli("down --grace-period 1 \(bin) db-1").code == 0)
        #expect(n.cli("down --grace-period 1 \(bin) db-0").code == 0)
        let r = n.cli("up -d \(bin) \(file)")
        #expect(r.code == 0, "\(r.err)")
        #expect(n.get("db-0")?["status"]?["podIP"]?.string == ip0)
        #expect(n.get("db-1")?["status"]?["podIP"]?.string == ip1)
        #expect(n.exec("db-0", nil, "hostname").out == "db-0\n")
        #expect(n.cli("down -f \(file) --grace-period 1 \(bin)").code == 0)
        for p in (try? n.bed.pods.list()) ?? [] { n.cli("down --grace-period 1 \(bin) \(p.manifest.name)") }  // whatever a failure left
        #expect(((try? n.bed.pods.list()) ?? []).isEmpty)
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }

    /// "Jobs": the pi Job with completions 3, parallelism 2; a failing Job stops at backoffLimit.
    @Test(.enabled(if: isRoot)) func jobCompletionsAndBackoff() throws {
        let n = K8sNode(18)
        let r = n.cli("up \(K8sNode.example("job-pi"))", timeout: 90)
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        #expect(r.out.contains("job pi: Complete"), "\(r.out)")
        let pods = names(n, "-l job-name=pi")
        #expect(pods.count == 3 && pods.allSatisfy { $0.hasPrefix("pi-") && $0.count == 8 }, "\(pods)")
        var spans: [(String, String)] = []
        for p in pods {
            let pod = try #require(n.get(p))
            #expect(pod["status"]?["phase"]?.string == "Succeeded")
            #expect(pod["metadata"]?["labels"]?["batch.kubernetes.io/job-name"]?.string == "pi")
            #expect(pod["metadata"]?["ownerReferences"]?[0]?["kind"]?.string == "Job")
            #expect(n.logs(p).first?.hasPrefix("3.14159265358979323846") == true)
            let t = pod.containerStatus("pi")?["state"]?["terminated"]
            spans.append((t?["startedAt"]?.string ?? "", t?["finishedAt"]?.string ?? ""))
        }
        // Never three at once (parallelism 2): the third started after one of the first two finished.
        spans.sort { $0.0 < $1.0 }
        if spans.count == 3 { #expect(spans[2].0 >= min(spans[0].1, spans[1].1), "\(spans)") }
        let jobs = n.cli("get jobs").out
        #expect(jobs.contains("STATUS") && jobs.contains("COMPLETIONS"), "\(jobs)")
        #expect(jobs.split(separator: "\n").last?.split(separator: " ").prefix(3) == ["pi", "Complete", "3/3"], "\(jobs)")
        let job = try JSONParser.parse(n.cli("get job pi -o json").out)
        #expect(job["status"]?["succeeded"]?.int == 3 && job["status"]?["conditions"]?[0]?["type"]?.string == "Complete")
        #expect(n.cli("down -f \(K8sNode.example("job-pi"))").out.contains("job.batch \"pi\" deleted"))

        let failing = n.bed.manifest("""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: fails}
            spec:
              backoffLimit: 1
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: c, command: [sh, -c, "exit 3"]}]
            """, name: "fails.yaml")
        let f = n.cli("up \(failing)", timeout: 60)
        #expect(f.code != 0 && f.out.contains("job fails: Failed (BackoffLimitExceeded"), "\(f.out)")
        #expect(names(n, "-l job-name=fails").count == 2)
        #expect(n.cli("get jobs").out.contains("Failed"))
        n.cli("down -f \(failing)")
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }

    /// Acceptance: ConfigMap + Secret + Deployment ×3 + StatefulSet ×2 from one file; `get all` as
    /// kubectl shows it; selectors; `get -o yaml` round trips through `up`; `down -f` removes all.
    @Test(.enabled(if: isRoot)) func appStackUpGetAllDown() throws {
        let n = K8sNode(19)
        let repo = Files.dirname(of: Files.dirname(of: K8sNode.example("x")))
        let stack = repo + "/app-stack.yaml"
        let up = n.cli("up -d \(stack)")
        #expect(up.code == 0, "\(up.out)\n\(up.err)")
        let all = n.cli("get all").out
        let rows = all.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: " ").map(String.init) }
        func row(_ prefix: String) -> [String]? { rows.first { $0.first?.hasPrefix(prefix) == true } }
        #expect(rows.first == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], "\(all)")
        #expect(rows.filter { $0.first?.hasPrefix("pod/web-") == true }.count == 3, "\(all)")
        #expect(row("pod/db-0")?.prefix(3) == ["pod/db-0", "1/1", "Running"] && row("pod/db-1") != nil, "\(all)")
        #expect(rows.contains(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]) && rows.contains(["NAME", "DESIRED", "CURRENT", "READY", "AGE"]))
        n.wait(10) { n.cli("get deployments").out.contains("3/3") }
        let all2 = n.cli("get all").out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(all2.first { $0.first == "deployment.apps/web" }?.prefix(4) == ["deployment.apps/web", "3/3", "3", "3"], "\(all2)")
        let rs = all2.first { $0.first?.hasPrefix("replicaset.apps/web-") == true }
        #expect(rs?.prefix(4).dropFirst() == ["3", "3", "3"], "\(all2)")
        #expect(all2.first { $0.first == "statefulset.apps/db" }?.prefix(2) == ["statefulset.apps/db", "2/2"], "\(all2)")
        // Pod names <rs>-<5 chars>, rs = web-<pod-template-hash>, owned by the ReplicaSet.
        let rsName = String((rs?.first ?? "").dropFirst("replicaset.apps/".count))
        let web = names(n, "-l app=web")
        #expect(web.count == 3 && web.allSatisfy { $0.hasPrefix(rsName + "-") && $0.count == rsName.count + 6 }, "\(web) \(rsName)")
        let pod = try #require(n.get(web.first ?? "-"))
        #expect(pod["metadata"]?["labels"]?["pod-template-hash"]?.string == String(rsName.dropFirst(4)))
        #expect(pod["metadata"]?["ownerReferences"]?[0]?["kind"]?.string == "ReplicaSet" && pod["metadata"]?["ownerReferences"]?[0]?["name"]?.string == rsName)
        #expect(pod["metadata"]?["ownerReferences"]?[0]?["controller"]?.bool == true)
        #expect(n.exec(web.first ?? "-", nil, "printenv GREETING").out == "hello\n")
        #expect(n.exec("db-1", nil, "printenv DB_PASSWORD").out == "s3cr3t\n")
        let ip = pod["status"]?["podIP"]?.string ?? "-"
        #expect(n.inNode("curl -s http://\(ip):8080/index.html").out == "<h1>podrig</h1>\n")
        // Selectors.
        #expect(names(n, "-l tier=backend") == ["db-0", "db-1"])
        #expect(names(n, "-l 'tier in (frontend,backend),app!=web'") == ["db-0", "db-1"])
        #expect(names(n, "--field-selector metadata.name=db-0") == ["db-0"])
        #expect(names(n, "--field-selector spec.nodeName=\(PodFiles.nodeName()) -l app=db").count == 2)
        #expect(n.cli("get pods --field-selector spec.bogus=1").err.contains("not a field selector"))
        #expect(n.cli("get configmaps").out.contains("web-config"))
        #expect(n.cli("get secrets").out.split(separator: "\n").last?.split(separator: " ").prefix(3) == ["db-credentials", "Opaque", "1"])
        // get -o yaml → up: the Deployment comes back from its own output.
        let yaml = n.cli("get deployment web -o yaml").out
        #expect(yaml.contains("kind: Deployment") && yaml.contains("readyReplicas: 3"), "\(yaml)")
        let down = n.cli("down -f \(stack) --grace-period 1")
        #expect(down.code == 0, "\(down.err)")
        for l in ["deployment.apps \"web\" deleted", "statefulset.apps \"db\" deleted", "configmap \"web-config\" deleted", "secret \"db-credentials\" deleted"] {
            #expect(down.out.contains(l), "\(down.out)")
        }
        #expect(((try? n.bed.pods.list()) ?? []).isEmpty)
        #expect(n.cli("get all").err.contains("No resources found"))
        let cm = n.bed.manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {GREETING: hi, index.html: x}\n", name: "cm.yaml")
        let again = n.cli("up -d --configmap \(cm) \(n.bed.manifest(yaml, name: "web-out.yaml"))")
        #expect(again.code == 0, "\(again.err)")
        #expect(names(n, "-l app=web").count == 3)
        #expect(n.cli("get deployments").out.contains("web"))
        // A DaemonSet: one pod (no cluster here).
        let ds = n.bed.manifest("""
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent}
            spec:
              selector: {matchLabels: {app: agent}}
              template:
                metadata: {labels: {app: agent}}
                spec: {containers: [{name: c, command: [sleep, "3600"]}]}
            """, name: "ds.yaml")
        #expect(n.cli("up -d \(ds)").code == 0)
        let dsRow = n.cli("get ds").out.split(separator: "\n").last?.split(separator: " ").map(String.init) ?? []
        #expect(dsRow.prefix(2) == ["agent", "1"] && dsRow.contains("<none>"), "\(dsRow)")
        #expect(n.get(names(n, "-l app=agent").first ?? "-")?["metadata"]?["labels"]?["pod-template-generation"]?.string == "1")
        n.cli("down -f \(ds) --grace-period 1")
        n.cli("down -f \(n.bed.root.path)/web-out.yaml --grace-period 1")
        #expect(((try? n.bed.pods.list()) ?? []).isEmpty)
        #expect(((try? Files.list(n.bed.root.path + "/workloads")) ?? []).filter { !$0.contains("ConfigMap") }.isEmpty)
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }

    /// A DaemonSet on a cluster in a box: one pod per node, each with spec.nodeName, on that node's podCIDR.
    @Test(.enabled(if: isRoot)) func daemonSetOnePodPerClusterNode() throws {
        let root = TestRoot()
        let create = podrig("cluster create wlds --cluster-cidr 10.77.0.0/16 --nodes 2 --node-network 172.31.77.0/24", root: root)
        #expect(create.code == 0, "\(create.err)")
        let file = root.path + "/ds.yaml"
        try Files.writeAtomic(file, """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent}
            spec:
              selector: {matchLabels: {app: agent}}
              template:
                metadata: {labels: {app: agent}}
                spec: {containers: [{name: c, command: [sleep, "3600"]}]}
            """)
        let up = podrig("up -d \(file)", root: root)
        #expect(up.code == 0, "\(up.out)\n\(up.err)")
        let list = try JSONParser.parse(podrig("get pods -o json", root: root).out)["items"]?.array ?? []
        #expect(list.compactMap { $0["spec"]?["nodeName"]?.string }.sorted() == ["node-1", "node-2"], "\(up.out)")
        for p in list {
            let node = p["spec"]?["nodeName"]?.string ?? "-"
            let ip = p["status"]?["podIP"]?.string ?? "-"
            #expect(ip.hasPrefix(node == "node-1" ? "10.77.0." : "10.77.1."), "\(node): \(ip)")
            #expect(p["metadata"]?["ownerReferences"]?[0]?["kind"]?.string == "DaemonSet")
        }
        let sel = podrig("get pods --field-selector spec.nodeName=node-2", root: root).out.split(separator: "\n")
        #expect(sel.count == 2 && sel[1].hasPrefix("agent-"), "\(sel)")
        let ds = podrig("get daemonsets", root: root).out.split(separator: "\n").last?.split(separator: " ").map(String.init) ?? []
        #expect(ds.prefix(4) == ["agent", "2", "2", "2"], "\(ds)")
        #expect(podrig("down -f \(file) --grace-period 1", root: root).code == 0)
        #expect(podrig("cluster delete wlds", root: root).code == 0)
        LeakCheck.doctorClean(root: root)
    }
}
