import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

@Suite struct PodManifestTests {
    func pod(_ yaml: String) throws -> PodManifest {
        let docs = try ConfigText.parseAll(yaml, source: "test.yaml")
        return try PodManifestParser.parse(docs[0])
    }

    func error(_ yaml: String) -> String {
        do { _ = try pod(yaml); return "" } catch { return error.asPodrigError.description }
    }

    let minimal = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - {name: c, image: nginx, command: [sh, -c, 'true']}
        """

    @Test func procMountChoosesMaskedPaths() throws {
        func sc(_ extra: String) throws -> SecurityContext {
            try pod(minimal.replacing("command: [sh, -c, 'true']}", with: "command: [sh, -c, 'true'], securityContext: {\(extra)}}")).spec.containers[0].securityContext
        }
        #expect(try sc("").effectiveMaskedPaths == SecurityContext.defaultMaskedPaths)
        #expect(try sc("procMount: Default").effectiveReadonlyPaths.contains("/proc/sys"))
        #expect(try sc("procMount: Unmasked").effectiveMaskedPaths.isEmpty)
        #expect(try sc("privileged: true").effectiveReadonlyPaths.isEmpty)
        #expect(error(minimal.replacing("command: [sh, -c, 'true']}", with: "command: [sh], securityContext: {procMount: Open}}")).contains("procMount: Open is not Default or Unmasked"))
    }

    @Test func yamlBooleans() throws {
        let j = try ConfigText.parseAll("a: false\nb:\n  c: true\n", source: "x")
        #expect(j[0]["a"] == .bool(false))
        #expect(j[0]["b"]?["c"] == .bool(true))
    }

    @Test func minimalPodDefaults() throws {
        let p = try pod(minimal)
        #expect(p.name == "web" && p.namespace == "default" && !p.uid.isEmpty)
        #expect(p.spec.restartPolicy == .always && p.spec.terminationGracePeriodSeconds == 30 && p.spec.dnsPolicy == "ClusterFirst")
        #expect(p.spec.containers[0].image == "nginx" && p.spec.containers[0].terminationMessagePath == "/dev/termination-log")
    }

    @Test func otherKindsAreRefused() {
        #expect(error("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n").contains("kind Deployment is not supported"))
        #expect(error("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec: {}\n").contains("Job"))
        #expect(error("apiVersion: v2\nkind: Pod\nmetadata: {name: x}\nspec: {}\n").contains("apiVersion"))
    }

    @Test func unknownFieldsAreErrorsWithTheirPath() {
        #expect(error(minimal.replacingFirst("image: nginx", "imgae: nginx")).contains("spec.containers[0].imgae"))
        #expect(error(minimal + "\n  restartPolcy: Never").contains("spec.restartPolcy"))
    }

    @Test func ignoredFieldsBecomeNotes() throws {
        let p = try pod(minimal + "\n  nodeSelector: {disk: ssd}\n  tolerations: []")
        #expect(p.notes.contains { $0.contains("spec.nodeSelector") })
        #expect(p.notes.contains { $0.contains("spec.tolerations") })
    }

    @Test func invalidValuesNameTheField() {
        #expect(error(minimal + "\n  restartPolicy: Sometimes").contains("spec.restartPolicy"))
        // args alone are the command (no image ENTRYPOINT); neither is an error.
        #expect(error(minimal.replacingFirst("command: [sh, -c, 'true']", "args: [x]")).isEmpty)
        #expect(error(minimal.replacingFirst("command: [sh, -c, 'true']", "workingDir: /")).contains("command: required"))
        #expect(error(minimal.replacingFirst("name: c,", "name: C_bad,")).contains("spec.containers[0].name"))
        let pvc = minimal + "\n  volumes: [{name: s, persistentVolumeClaim: {claimName: x}}]"
        #expect(error(pvc).contains("persistentVolumeClaim volumes are not supported"))
        let sidecarProbe = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              initContainers:
              - {name: i, command: [x], readinessProbe: {exec: {command: [x]}}}
              containers: [{name: c, command: [x]}]
            """
        #expect(error(sidecarProbe).contains("init containers cannot have probes"))
    }

    /// The rest of validatePodSpec that podrig acts on: activeDeadlineSeconds, DNS limits, mounts, pull policy.
    @Test func podSpecLimitsAsKubernetesValidatesThem() throws {
        #expect(try pod(minimal + "\n  activeDeadlineSeconds: 30").spec.activeDeadlineSeconds == 30)
        #expect(try pod(minimal).spec.activeDeadlineSeconds == nil)
        for v in ["0", "-5", "2147483648"] {
            #expect(error(minimal + "\n  activeDeadlineSeconds: \(v)").contains("spec.activeDeadlineSeconds: \(v) must be between 1 and 2147483647"))
        }
        let dns = minimal + "\n  dnsPolicy: None\n  dnsConfig: "
        #expect(error(dns + "{nameservers: [192.0.2.1, 192.0.2.2, 192.0.2.3]}").isEmpty)
        #expect(error(dns + "{nameservers: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]}").contains("more than 3 nameservers"))
        #expect(error(dns + "{searches: [a.test]}").contains("at least one DNS nameserver"))
        let many = (0..<33).map { "s\($0).test" }.joined(separator: ", ")
        #expect(error(dns + "{nameservers: [192.0.2.1], searches: [\(many)]}").contains("more than 32 search paths"))
        let long = (0..<17).map { _ in String(repeating: "a", count: 60) + "." + String(repeating: "b", count: 60) + ".test" }.joined(separator: ", ")
        #expect(error(dns + "{nameservers: [192.0.2.1], searches: [\(long)]}").contains("2048 characters"))
        #expect(error(dns + "{nameservers: [192.0.2.1], searches: [Bad_Domain]}").contains("spec.dnsConfig.searches[0]"))
        #expect(error(dns + "{nameservers: [192.0.2.1], searches: [ok.test.]}").isEmpty)
        let mounts = minimal.replacingFirst("command: [sh, -c, 'true']", "command: [x], volumeMounts: [{name: v, mountPath: /x}, {name: v, mountPath: /x}]")
            + "\n  volumes: [{name: v, emptyDir: {}}]"
        #expect(error(mounts).contains("spec.containers[0].volumeMounts[1].mountPath: \"/x\" must be unique"))
        #expect(error(minimal.replacingFirst("image: nginx,", "image: nginx, imagePullPolicy: Sometimes,")).contains("imagePullPolicy: expected Always, IfNotPresent or Never"))
        #expect(error(minimal.replacingFirst("image: nginx,", "image: nginx, imagePullPolicy: IfNotPresent,")).isEmpty)
    }

    /// Kubernetes' validateContainerPorts, as the API server would refuse the manifest.
    @Test func containerPortsAsKubernetesValidatesThem() throws {
        func ports(_ list: String) -> String { error(minimal.replacingFirst("command: [sh, -c, 'true']", "command: [x], ports: \(list)")) }
        #expect(ports("[{containerPort: 80, name: http, protocol: TCP}, {containerPort: 53, name: dns, protocol: UDP, hostPort: 0}]").isEmpty)
        for (list, message) in [
            ("[{containerPort: 0}]", "ports[0].containerPort: 0 must be between 1 and 65535"),
            ("[{containerPort: 70000}]", "ports[0].containerPort: 70000 must be between"),
            ("[{name: x}]", "ports[0].containerPort: required"),
            ("[{containerPort: 80, hostPort: 99999}]", "ports[0].hostPort: 99999 must be between"),
            ("[{containerPort: 80, protocol: tcp}]", "ports[0].protocol: \"tcp\" is not TCP, UDP or SCTP"),
            ("[{containerPort: 80, name: HTTP}]", "ports[0].name \"HTTP\" is not a valid port name"),
            ("[{containerPort: 80, name: a-very-long-port-name}]", "1 to 15 characters"),
            ("[{containerPort: 80, name: '8080'}]", "at least one letter"),
            ("[{containerPort: 80, name: a--b}]", "two in a row"),
            ("[{containerPort: 80, name: web}, {containerPort: 81, name: web}]", "ports[1].name: duplicate port name \"web\""),
        ] {
            #expect(ports(list).contains("spec.containers[0]." + message) || ports(list).contains(message), "\(list): \(ports(list))")
        }
    }

    @Test func probesHandlersAndSidecars() throws {
        let p = try pod("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              restartPolicy: OnFailure
              initContainers:
              - {name: side, command: [x], restartPolicy: Always, startupProbe: {tcpSocket: {port: 80}}}
              containers:
              - name: c
                command: [x]
                ports: [{name: http, containerPort: 8080}]
                livenessProbe: {httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-A, value: b}]}, periodSeconds: 2}
                lifecycle: {preStop: {sleep: {seconds: 3}}}
            """)
        #expect(p.spec.initContainers[0].isSidecar)
        guard case .http(_, let port, let path, _, let headers)? = p.spec.containers[0].livenessProbe?.handler else {
            Issue.record("httpGet expected"); return
        }
        #expect(port == 8080 && path == "/healthz" && headers.first?.0 == "X-A")
        #expect(p.spec.containers[0].livenessProbe?.periodSeconds == 2 && p.spec.containers[0].livenessProbe?.failureThreshold == 3)
        guard case .sleep(3)? = p.spec.containers[0].preStop else { Issue.record("sleep hook expected"); return }
    }

    @Test func multiDocumentFiles() throws {
        let path = "/tmp/podrig-unit-\((try! Identifiers.newID()).prefix(8)).yaml"
        try Files.writeAtomic(path, minimal + "\n---\n" + minimal.replacingFirst("name: web", "name: api"))
        defer { try? Files.remove(path) }
        let pods = try PodManifestParser.load(path: path)
        #expect(pods.map(\.name) == ["web", "api"])
        try Files.writeAtomic(path, minimal + "\n---\n" + minimal)
        #expect(throws: PodrigError.self) { try PodManifestParser.load(path: path) }
    }
}

extension String {
    func replacingFirst(_ a: String, _ b: String) -> String {
        guard let r = firstRange(of: a) else { return self }
        return self[..<r.lowerBound] + b + self[r.upperBound...]
    }
}

@Suite struct CRIContainerConfigTests {
    @Test func crictlContainerConfig() throws {
        let json = try ConfigText.parse("""
            {"metadata": {"name": "busybox", "attempt": 1}, "image": {"image": "busybox"},
             "command": ["top"], "args": ["-b"], "working_dir": "/tmp", "envs": [{"key": "A", "value": "b"}],
             "mounts": [{"container_path": "/data", "host_path": "/srv/data", "readonly": true}],
             "log_path": "busybox/1.log", "labels": {"x": "y"},
             "linux": {"security_context": {"run_as_user": {"value": 1000}, "no_new_privs": true,
                       "capabilities": {"add_capabilities": ["NET_ADMIN"]}, "seccomp": {"profile_type": 1},
                       "namespace_options": {"pid": 0}}}}
            """, source: "c.json")
        let c = try CRIContainerConfig.parse(json)
        #expect(c.container.name == "busybox" && c.attempt == 1 && c.container.command == ["top"] && c.container.args == ["-b"])
        #expect(c.container.env.first?.value == "b" && c.container.workingDir == "/tmp")
        #expect(c.container.volumeMounts.first?.mountPath == "/data" && c.container.volumeMounts.first?.readOnly == true)
        #expect(c.container.securityContext.runAsUser == 1000 && c.container.securityContext.allowPrivilegeEscalation == false)
        #expect(c.container.securityContext.seccompProfile == .unconfined && c.pidMode == .pod)
        #expect(c.logPath == "busybox/1.log")
        #expect(throws: PodrigError.self) { try CRIContainerConfig.parse(try ConfigText.parse(#"{"metadata": {"name": "x"}, "imgae": {}}"#, source: "x")) }
    }
}
