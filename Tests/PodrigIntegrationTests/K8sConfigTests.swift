#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import Testing

/// ConfigMaps, Secrets and the downward API volume: the Kubernetes docs' examples (examples/k8s/)
/// checked for what their pages say one observes, and the file layout kubelet's atomic writer makes.
@Suite(.serialized) struct K8sConfigTests {
    func finished(_ n: K8sNode, _ name: String) -> Bool {
        n.get(name)?["status"]?["phase"]?.string == "Succeeded"
    }

    /// "Configure a Pod to Use a ConfigMap": envFrom, configMapKeyRef, a configMap volume.
    @Test(.enabled(if: isRoot)) func configMapPodsSeeTheirData() throws {
        let n = K8sNode(16)
        n.up("configmap-pod")
        #expect(n.wait(20) { ["dapi-test-pod", "dapi-test-pod-single", "dapi-test-pod-volume"].allSatisfy { finished(n, $0) } })
        let env = n.logs("dapi-test-pod")
        #expect(env.contains("SPECIAL_LEVEL=very") && env.contains("SPECIAL_TYPE=charm"), "\(env)")
        #expect(n.logs("dapi-test-pod-single").contains("SPECIAL_LEVEL_KEY=very"))
        #expect(n.logs("dapi-test-pod-volume").prefix(2) == ["SPECIAL_LEVEL", "SPECIAL_TYPE"])
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }

    /// "Distribute Credentials Securely Using Secrets": data decoded, stringData, secretKeyRef, read-only volume.
    @Test(.enabled(if: isRoot)) func secretVolumeAndEnv() throws {
        let n = K8sNode(17)
        n.up("secret-pod")
        #expect(n.exec("secret-test-pod", nil, "ls /etc/secret-volume").out == "password\nusername\n")
        #expect(n.exec("secret-test-pod", nil, "cat /etc/secret-volume/username").out == "my-app")
        #expect(n.exec("secret-test-pod", nil, "cat /etc/secret-volume/password").out == "39528$vdg7Jb")
        #expect(n.exec("secret-test-pod", nil, "stat -L -c %a /etc/secret-volume/password").out == "644\n")
        #expect(n.exec("secret-test-pod", nil, "touch /etc/secret-volume/x").code != 0, "readOnly mount")
        #expect(n.exec("env-single-secret", nil, "printenv SECRET_USERNAME").out == "backend-admin\n")
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }

    /// "Expose Pod Information to Containers Through Files": labels and annotations, kubelet's layout.
    @Test(.enabled(if: isRoot)) func downwardAPIVolumeFiles() throws {
        let n = K8sNode(18)
        n.up("dapi-volume")
        let pod = "kubernetes-downwardapi-volume-example"
        var logs: [String] = []
        // The files end without a newline (as kubelet writes them), so dash's literal "-en" follows the last line.
        func has(_ line: String) -> Bool { logs.contains { $0 == line || $0.hasPrefix(line + "-en") } }
        n.wait(10) { logs = n.logs(pod); return has("builder=\"john-doe\"") }
        #expect(has("cluster=\"test-cluster1\"") && has("rack=\"rack-22\"") && has("zone=\"us-est-coast\""), "\(logs)")
        #expect(has("build=\"two\"") && has("builder=\"john-doe\""), "\(logs)")
        #expect(n.exec(pod, nil, "cat /etc/podinfo/labels").out == "cluster=\"test-cluster1\"\nrack=\"rack-22\"\nzone=\"us-est-coast\"")
        #expect(n.exec(pod, nil, "readlink /etc/podinfo/labels").out == "..data/labels\n")
        let data = n.exec(pod, nil, "readlink /etc/podinfo/..data").out
        #expect(data.hasPrefix("..20") && data.count == "..2026_12_02_15_26_25.123456789\n".count, "..data -> \(data)")
        #expect(n.exec(pod, nil, "ls -A /etc/podinfo").out.split(separator: "\n").count == 4)
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }

    /// projected (configMap items + secret + downwardAPI), defaultMode/mode, optional, subPath, a
    /// memory emptyDir with its size, envFrom prefix.
    @Test(.enabled(if: isRoot)) func projectedSubPathAndMemoryEmptyDir() throws {
        let n = K8sNode(19)
        let path = n.bed.manifest("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: app}
            data: {a.conf: "alpha\\n", b.conf: "beta\\n", LEVEL: "$(X)"}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            data: {token: c2VjcmV0}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: proj, labels: {app: p}}
            spec:
              containers:
              - name: c
                command: [sleep, "3600"]
                envFrom: [{prefix: CFG_, configMapRef: {name: app}}, {secretRef: {name: nope, optional: true}}]
                env:
                - {name: OPT, valueFrom: {configMapKeyRef: {name: app, key: missing, optional: true}}}
                - {name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}
                volumeMounts:
                - {name: all, mountPath: /all}
                - {name: cfg, mountPath: /etc/a.conf, subPath: a.conf}
                - {name: mem, mountPath: /mem}
              volumes:
              - name: all
                projected:
                  defaultMode: 0440
                  sources:
                  - configMap: {name: app, items: [{key: b.conf, path: sub/b.conf, mode: 0600}]}
                  - secret: {name: creds}
                  - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}, {path: app, fieldRef: {fieldPath: "metadata.labels['app']"}}]}
                  - configMap: {name: absent, optional: true}
              - {name: cfg, configMap: {name: app}}
              - {name: mem, emptyDir: {medium: Memory, sizeLimit: 4Mi}}
            """, name: "proj.yaml")
        n.up(path)
        #expect(n.exec("proj", nil, "cat /etc/a.conf").out == "alpha\n")
        #expect(n.exec("proj", nil, "cat /all/sub/b.conf /all/token /all/name /all/app").out == "beta\nsecretprojp")
        #expect(n.exec("proj", nil, "stat -L -c %a /all/sub/b.conf /all/token").out == "600\n440\n")
        #expect(n.exec("proj", nil, "readlink /all/sub").out == "..data/sub\n")
        let env = n.exec("proj", nil, "env").out
        #expect(env.contains("CFG_a.conf=alpha") && env.contains("CFG_LEVEL=$(X)") && env.contains("TOKEN=secret"), "\(env)")
        #expect(!env.contains("OPT="))
        let df = n.exec("proj", nil, "df -k /mem").out
        #expect(df.contains("tmpfs") && df.contains("4096"), "df /mem: \(df)")
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
        let mounts = (try? Files.readString("/proc/self/mountinfo")) ?? ""
        #expect(!mounts.contains(n.bed.root.path), "a memory emptyDir is still mounted")
    }

    /// A missing key, bad base64, an unknown kind: one line naming document and path, nothing started.
    @Test(.enabled(if: isRoot)) func badReferencesStartNothing() throws {
        let n = K8sNode(19)
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: bad}
            spec:
              containers:
              - name: c
                command: [sleep, "1"]
                env: [{name: X, valueFrom: {configMapKeyRef: {name: cm, key: nokey}}}]
            """
        let cases: [(String, String)] = [
            ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {k: v}\n---\n" + pod,
             "(document 2): pod default/bad: spec.containers[0].env[0].valueFrom.configMapKeyRef: key \"nokey\" is not in ConfigMap default/cm"),
            ("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: '!!notbase64'}\n---\n" + pod, "(document 1): data.k: not valid base64"),
            ("apiVersion: v1\nkind: Frobnicator\nmetadata: {name: f}\n---\n" + pod, "(document 1): kind Frobnicator is not supported"),
        ]
        for (i, (yaml, message)) in cases.enumerated() {
            let r = n.cli("up -d \(n.bed.manifest(yaml, name: "bad\(i).yaml"))")
            #expect(r.code != 0 && r.err.contains(message), "\(r.err)")
            #expect(r.err.split(separator: "\n").count == 1, "one line: \(r.err)")
            #expect(((try? n.bed.pods.list()) ?? []).isEmpty, "nothing started")
        }
        // Services are ignored with why (once); --strict refuses them.
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\n" + pod.replacing("env: [{name: X, valueFrom: {configMapKeyRef: {name: cm, key: nokey}}}]", with: "env: []")
        let strict = n.cli("up -d --strict \(n.bed.manifest(svc, name: "svc.yaml"))")
        #expect(strict.code != 0 && strict.err.contains("kind Service (web) cannot run here"), "\(strict.err)")
        let lax = n.cli("up -d \(n.bed.manifest(svc, name: "svc.yaml"))")
        #expect(lax.err.contains("ignored Service/web: podrig has no Services"), "\(lax.err)")
        n.downAll()
        LeakCheck.doctorClean(root: n.bed.root, netns: n.node)
    }
}
