import PodrigCore
import PodrigSandbox
import Testing

@Suite struct SandboxConfigTests {
    @Test func parsesCrictlConfig() throws {
        let c = try PodSandboxConfig.parse(try ConfigText.parse("""
            metadata:
              name: nginx-sandbox
              namespace: default
              attempt: 1
              uid: hdishd83djaidwnduwk28bcsb
            hostname: web-1
            log_directory: /tmp
            dns_config:
              servers: [10.0.0.10]
              searches: [default.svc.cluster.local]
            port_mappings:
            - protocol: 0
              container_port: 80
              host_port: 8080
            labels:
              app: nginx
            annotations:
              example.com/owner: me
            linux:
              cgroup_parent: /podrig
              security_context:
                namespace_options:
                  network: 2
                  pid: 0
                  ipc: 0
                privileged: false
            """, source: "p.yaml"))
        #expect(c.name == "nginx-sandbox")
        #expect(c.attempt == 1)
        #expect(c.hostname == "web-1")
        #expect(c.dns?.servers == ["10.0.0.10"])
        #expect(c.portMappings == [PortMapping(protocol: "TCP", containerPort: 80, hostPort: 8080)])
        #expect(c.hostNetwork)
        #expect(c.namespaceOptions.pid == .pod)
        #expect(c.labels["app"] == "nginx")
    }

    /// CRI sets no length or case limit on names (critest's are 68 mixed-case characters).
    @Test func criNamesAndDerivedHostname() throws {
        let name = "create-PodSandbox-for-container-0b6ad7c4-0dde-4a25-9c35-23f2a8d1a5b0"
        let c = try PodSandboxConfig.parse(["metadata": ["name": .string(name), "namespace": "cri-test-namespace-0b6ad7c4-0dde-4a25-9c35-23f2a8d1a5b0"]])
        #expect(c.name == name)
        #expect(c.hostname == "create-PodSandbox-for-container-0b6ad7c4-0dde-4a25-9c35-23f2a8d")
        #expect(Validate.hostname(fromName: "a_b.-") == "a-b")
        #expect(Validate.hostname(fromName: String(repeating: "x", count: 62) + "-y") == String(repeating: "x", count: 62))
        #expect(throws: PodrigError.self) { _ = try PodSandboxConfig.parse(["metadata": ["name": "a"], "hostname": .string(String(repeating: "h", count: 65))]) }
    }

    @Test func hostnameDefaultsToName() throws {
        let c = try PodSandboxConfig.parse(["metadata": ["name": "busybox"]])
        #expect(c.hostname == "busybox")
        #expect(c.namespace == "default")
        #expect(c.namespaceOptions == NamespaceOptions(network: .pod, pid: .pod, ipc: .pod))  // CRI zero values
    }

    @Test(arguments: [
        (#"{"metadata":{"name":"bad;name"}}"#, "metadata.name"),
        (#"{"metadata":{"name":""}}"#, "metadata.name"),
        (#"{"metadata":{}}"#, "metadata.name: required"),
        (#"{"hostname":"x"}"#, "metadata: required"),
        (#"{"metadata":{"name":"a"},"linux":{"security_context":{"namespace_options":{"network":7}}}}"#, "unknown namespace mode"),
        (#"{"metadata":{"name":"a"},"linux":{"security_context":{"namespace_options":{"pid":"HOST"}}}}"#, "unknown namespace mode"),
        (#"{"metadata":{"name":"a"},"log_dir":"/tmp"}"#, "unknown field log_dir"),
        (#"{"metadata":{"name":"a"},"port_mappings":[{"container_port":0}]}"#, "port_mappings[0].container_port"),
        (#"{"metadata":{"name":"a","namespace":"a;b"}}"#, "metadata.namespace"),
        (#"{"metadata":{"name":"a"},"log_directory":"relative"}"#, "log_directory"),
        (#"{"metadata":{"name":"a"},"linux":{"security_context":{"namespace_options":{"network":1}}}}"#, "must be POD or NODE"),
    ])
    func rejectsBadConfig(_ text: String, _ expected: String) throws {
        do {
            _ = try PodSandboxConfig.parse(try JSONParser.parse(text))
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.code == .invalidInput)
        }
    }

    @Test func missingFileIsNotFound() {
        #expect(throws: PodrigError.self) { try PodSandboxConfig.load(path: "/nonexistent/pod.json") }
    }
}

@Suite struct ValidationTests {
    @Test(arguments: ["a", "web-1", "x.y", String(repeating: "a", count: 63)])
    func acceptsNames(_ n: String) throws {
        try Validate.dns1123Subdomain(n, what: "name")
    }

    @Test(arguments: ["", "-a", "a-", "A", "a_b", "a..b", "../x", "a/b", String(repeating: "a", count: 64)])
    func rejectsNames(_ n: String) {
        #expect(throws: PodrigError.self) { try Validate.dns1123Subdomain(n, what: "name") }
    }

    @Test func resolvesPrefixes() throws {
        let ids = ["abc1", "abc2", "def0"]
        #expect(try Identifiers.resolve("d", among: ids, kind: "sandbox") == "def0")
        #expect(throws: PodrigError.self) { try Identifiers.resolve("abc", among: ids, kind: "sandbox") }
        #expect(throws: PodrigError.self) { try Identifiers.resolve("zzz", among: ids, kind: "sandbox") }
    }

    @Test func newIDsAreHex() {
        let id = (try! Identifiers.newID())
        #expect(Identifiers.isHexID(id))
        #expect(id != (try! Identifiers.newID()))
        #expect((try! Identifiers.newUUID()).count == 36)
    }

    @Test func formatsTimes() {
        #expect(Time.rfc3339Nano(1_700_000_000_000_000_123) == "2023-11-14T22:13:20.000000123Z")
        #expect(Time.rfc3339(1_700_000_000_000_000_123) == "2023-11-14T22:13:20Z")
        // Before the epoch (a damaged record's createdAt): the fraction's padding count went negative, a trap.
        #expect(Time.rfc3339Nano(-999_999_999) == "1969-12-31T23:59:59.000000001Z")
        #expect(Time.rfc3339Nano(-1_000_000_000) == "1969-12-31T23:59:59.000000000Z")
        #expect(Time.rfc3339Nano(.min).hasSuffix(".145224192Z"))
        // Ages of a damaged record's time (now − createdAt) saturate rather than overflow.
        #expect(Int64(1_796_000_000_000_000_000).subtracting(saturating: -9_000_000_000_000_000_000) == .max)
        #expect(Int64(-5).subtracting(saturating: .max) == .min && UInt64(1).subtracting(saturating: 2) == 0)
        #expect(Int64.max.adding(saturating: 1) == .max && Int64.min.multiplied(saturating: 2) == .min)
    }
}

@Suite struct SandboxRecordTests {
    @Test func roundTripsThroughJSON() throws {
        var c = PodSandboxConfig(name: "rt", namespace: "ns", uid: "u", attempt: 3, hostname: "h", logDirectory: "/l",
                                 dns: DNSConfig(servers: ["1.1.1.1"], searches: ["s"], options: ["o"]),
                                 portMappings: [PortMapping(protocol: "UDP", containerPort: 53, hostPort: 5353, hostIP: "127.0.0.1")],
                                 labels: ["a": "b"], annotations: ["x/y": "z"], cgroupParent: "/cg",
                                 namespaceOptions: NamespaceOptions(network: .node, pid: .pod, ipc: .container))
        c.sysctls = ["net.ipv4.ip_forward": "1"]
        var r = SandboxRecord(id: (try! Identifiers.newID()), config: c, createdAt: 1_700_000_000_123_456_789)
        r.state = .ready
        r.pause = ProcessIdentity(pid: 42, startTime: 12_345_678_901)
        r.netnsPath = "/run/netns/podrig-x"
        r.podIPs = ["10.0.0.2", "fd00::2"]
        r.network = ["kind": "podrigCNI", "n": .number("1.50")]
        r.networkAttached = true
        let back = try SandboxRecord(json: try JSONParser.parse(r.json.compact))
        #expect(back.config == r.config)
        #expect(back.id == r.id && back.state == r.state && back.createdAt == r.createdAt)
        #expect(back.pause == r.pause && back.netnsPath == r.netnsPath && back.podIPs == r.podIPs)
        #expect(back.network == r.network && back.networkAttached)
    }

    @Test func rejectsGarbage() {
        #expect(throws: PodrigError.self) { try SandboxRecord(json: ["id": 1]) }
    }
}

@Suite struct ScratchNetnsTests {
    @Test func namesSayWhichGCMadeThem() throws {
        let name = try ScratchNetns.newName()
        let owner = try #require(ScratchNetns.owner(of: name))
        #expect(owner.isAlive && name.hasPrefix("pr-gc-"))
        #expect(ScratchNetns.owner(of: "pr-gc-123-456-abcdef") == ProcessIdentity(pid: 123, startTime: 456))
        // Not ours to judge: other names, and the old pr-gc-<hex> ones that name no process.
        for other in ["pr-gc-0a1b2c3d4e5f", "pr-gc--1-2-x", "pr-gc-1-2-", "pr-gcx-1-2-a", "podrig-123", "pr-gc-1-2-3-4"] {
            #expect(ScratchNetns.owner(of: other) == nil, "\(other)")
        }
    }
}
