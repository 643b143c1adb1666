#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// What a container sees: identity, capabilities, no_new_privs, seccomp, PID namespace, files, env.
@Suite(.serialized) struct PodSecurityTests {
    /// Runs a one-shot pod (restartPolicy Never) and returns its `up` output.
    func run(_ bed: PodBed, _ name: String, _ spec: String) -> String {
        let file = bed.manifest("""
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name), namespace: team-a, uid: 0b7c5a0e-1111-4222-8333-944455556666, labels: {app: probe}}
            spec:
              restartPolicy: Never
            \(spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
            """)
        let r = bed.cli("up \(file)")
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        return r.out
    }

    func lines(_ out: String, _ container: String) -> [String] {
        out.split(separator: "\n").filter { $0.hasPrefix(container + " | ") }.map { String($0.dropFirst(container.count + 3)) }
    }

    @Test(.enabled(if: isRoot)) func userGroupsCapabilitiesNoNewPrivsSeccomp() throws {
        let bed = PodBed()
        bed.namespace = "team-a"
        let out = run(bed, "ids", """
            securityContext: {supplementalGroups: [3456, 4567]}
            containers:
            - name: user
              command: [sh, -c, 'id -u; id -g; id -G; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status']
              securityContext: {runAsUser: 1234, runAsGroup: 2345}
            - name: root
              command: [sh, -c, 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; unshare -n true 2>/dev/null && echo unshare-allowed || echo unshare-denied']
              securityContext:
                allowPrivilegeEscalation: false
                capabilities: {add: [NET_ADMIN], drop: [CHOWN, KILL]}
            - name: privileged
              command: [sh, -c, 'grep -E "^(Seccomp):" /proc/self/status; unshare -n true && echo unshare-allowed']
              securityContext: {privileged: true}
            """)
        let user = lines(out, "user")
        #expect(Array(user.prefix(3)) == ["1234", "2345", "2345 3456 4567"], "\(out)")
        #expect(user.contains("CapEff:\t0000000000000000"))
        #expect(user.contains("Seccomp:\t2"))
        var mask = Capabilities.defaultMask | (1 << UInt64(try Capabilities.number("NET_ADMIN")))
        mask &= ~((1 << UInt64(try Capabilities.number("CHOWN"))) | (1 << UInt64(try Capabilities.number("KILL"))))
        let hex = String(mask, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let root = lines(out, "root")
        #expect(root.contains("CapEff:\t\(padded)"), "\(root)")
        #expect(root.contains("CapBnd:\t\(padded)"), "\(root)")
        #expect(root.contains("NoNewPrivs:\t1"))
        #expect(root.contains("Seccomp:\t2"))
        #expect(root.contains("unshare-denied"), "RuntimeDefault must refuse unshare without CAP_SYS_ADMIN")
        let priv = lines(out, "privileged")
        #expect(priv.contains("Seccomp:\t0") && priv.contains("unshare-allowed"), "\(priv)")
        bed.downAndCheck("ids")
    }

    @Test(.enabled(if: isRoot)) func sharedProcessNamespaceShowsPauseAsPID1() throws {
        let bed = PodBed()
        bed.namespace = "team-a"
        let shared = run(bed, "shared", """
            shareProcessNamespace: true
            containers:
            - {name: c, command: [sh, -c, 'cat /proc/1/comm; echo me=$$$$']}
            """)
        #expect(lines(shared, "c").first == "podrig-pause", "\(shared)")
        #expect(lines(shared, "c").last != "me=1")
        bed.downAndCheck("shared")
        let own = run(bed, "own", """
            containers:
            - {name: c, command: [sh, -c, 'echo me=$$$$']}
            """)
        #expect(lines(own, "c") == ["me=1"], "without shareProcessNamespace a container is PID 1 of its own namespace")
        bed.downAndCheck("own")
    }

    @Test(.enabled(if: isRoot)) func hostsResolvHostnameAndDownwardAPI() throws {
        let bed = PodBed()
        bed.namespace = "team-a"
        let out = run(bed, "files", """
            hostname: web-0
            subdomain: svc
            hostAliases:
            - {ip: 10.89.7.7, hostnames: [foo.local, bar]}
            dnsPolicy: None
            dnsConfig: {nameservers: [10.89.0.53], searches: [example.test], options: [{name: ndots, value: "2"}]}
            containers:
            - name: c
              command: [sh, -c, 'hostname; cat /etc/hostname; grep -v "^#" /etc/hosts | grep -E "foo|web"; cat /etc/resolv.conf; echo "$(POD)|$POD_NS|$POD_UID|$NODE|$POD_IP|$POD_IPS|$HOST_IP|$APP|$GREETING"; env | grep -c ^']
              env:
              - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
              - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
              - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
              - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
              - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
              - {name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}
              - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
              - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
              - {name: GREETING, value: "hello $(POD) $$(POD)"}
            """)
        let c = lines(out, "c")
        #expect(c.prefix(2) == ["web-0", "web-0"], "\(out)")
        #expect(c.contains("10.89.7.7\tfoo.local\tbar"))
        #expect(c.contains("nameserver 10.89.0.53") && c.contains("search example.test") && c.contains("options ndots:2"))
        let pod = try #require(bed.pod("files"))
        let podIP = pod.record.podIPs.first ?? ""
        if let ip = pod.record.podIPs.first { #expect(c.contains("\(ip)\tweb-0.svc.team-a.svc.cluster.local\tweb-0")) }
        let hostIP = NodeAddresses.discover().first ?? ""
        #expect(c.contains("files|team-a|0b7c5a0e-1111-4222-8333-944455556666|\(PodFiles.nodeName())|\(podIP)|\(pod.record.podIPs.joined(separator: ","))|\(hostIP)|probe|hello files $(POD)"), "\(c)")
        // The spec's env plus PATH and HOSTNAME (and what sh itself sets: PWD, SHLVL, _).
        #expect(Int(c.last ?? "") ?? 99 <= 9 + 2 + 3, "\(c)")
        bed.downAndCheck("files")
    }
}
