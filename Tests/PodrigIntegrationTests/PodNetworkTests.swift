#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// A stand-in for CNI until it lands: puts one address (10.89.5.x) on the pod's own loopback,
/// inside the pod's network namespace only, and reports it as the Pod IP.
struct StaticPodIP: SandboxNetworkProvider {
    let ip: String
    func attach(_ context: SandboxNetworkContext) throws(PodrigError) -> NetworkAttachment {
        guard let netns = context.record.netnsPath else { return NetworkAttachment(podIPs: [], state: .null) }
        let r = sh("ip -n \(Files.basename(of: netns)) addr add \(ip)/32 dev lo")
        guard r.code == 0 else { throw PodrigError(.system, "ip addr add", cause: r.err) }
        return NetworkAttachment(podIPs: [ip], state: .null)
    }
    func detach(_ context: SandboxNetworkContext) throws(PodrigError) {}
}

@Suite(.serialized) struct PodNetworkTests {
    @Test(.enabled(if: isRoot)) func downwardAPIHostsAndProbesUseThePodIP() throws {
        let bed = PodBed()
        var o = PodManager.Options()
        o.logRoot = bed.logRoot
        o.supervisorPath = TestBinaries.directory + "/podrig-supervisor"
        let pods = PodManager(sandboxOptions: bed.root.manager.options, network: StaticPodIP(ip: "10.89.5.7"), options: o)
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: ipcheck}
            spec:
              restartPolicy: Never
              containers:
              - name: c
                command: [sh, -c, 'echo "ip=$POD_IP ips=$POD_IPS"; grep ipcheck /etc/hosts; /usr/bin/python3 -m http.server 8090 --bind $(POD_IP) --directory /etc & sleep 3; echo done > /dev/termination-log; exit 0']
                env:
                - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                - {name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}
                readinessProbe: {httpGet: {path: /hostname, port: 8090}, periodSeconds: 1}
            """
        let manifest = try PodManifestParser.parse(try ConfigText.parse(yaml, source: "ipcheck.yaml"))
        let pod = try pods.up(manifest, manifestDirectory: bed.root.path)
        #expect(pod.record.podIPs == ["10.89.5.7"])
        var sawReady = false
        bed.wait(15) {
            guard let p = try? pods.load(pod.record.id) else { return true }
            if p.status?.container("c")?.ready == true { sawReady = true }
            return p.status?.result != nil
        }
        #expect(sawReady, "the readiness probe reached the server on the pod IP")
        let p = try pods.load(pod.record.id)
        let log = (try? Files.readString(p.logDirectory + "/c/0.log")) ?? ""
        let lines = log.split(separator: "\n").compactMap { CRILogLine.parse($0)?.message }
        #expect(lines.contains("ip=10.89.5.7 ips=10.89.5.7"), "\(lines)")
        #expect(lines.contains("10.89.5.7\tipcheck"), "\(lines)")
        #expect(p.status?.container("c")?.terminated?.message == "done\n", "terminationMessagePath")
        let status = PodStatusView.status(p.manifest, record: p.record, status: p.status, supervisorAlive: p.supervisorAlive)
        #expect(status["podIP"]?.string == "10.89.5.7")
        #expect(status["podIPs"]?.array?.first?["ip"]?.string == "10.89.5.7")
        let pids = (p.status?.containers ?? []).map(\.pid).filter { $0 > 0 }
        try pods.down(p)
        bed.checkGone(p, containerPids: pids)
    }
}
