import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

@Suite struct CNIInvocationTests {
    @Test func runtimeConfigCarriesOnlyDeclaredCapabilities() {
        let plugin: JSONObject = JSONObject([("type", "portmap"), ("capabilities", ["portMappings": true, "bandwidth": false]), ("snat", true)])
        let caps = JSONObject([("portMappings", [["hostPort": 8080]]), ("bandwidth", ["ingressRate": 1]), ("dns", ["servers": []])])
        let j = CNIPluginConfig.build(plugin, name: "n", cniVersion: "1.0.0", prevResult: ["cniVersion": "1.0.0"], capabilityArgs: caps)
        #expect(j["runtimeConfig"]?.object?.keys == ["portMappings"])
        #expect(j["snat"] == true && j["name"] == "n" && j["cniVersion"] == "1.0.0" && j["prevResult"] != nil)
        let none = CNIPluginConfig.build(JSONObject([("type", "bridge")]), name: "n", cniVersion: "1.0.0", prevResult: nil, capabilityArgs: caps)
        #expect(none["runtimeConfig"] == nil && none["prevResult"] == nil)
    }

    @Test func cniArgsFromASandbox() throws {
        var config = PodSandboxConfig(name: "web", namespace: "prod", uid: "u-1")
        config.portMappings = [PortMapping(protocol: "UDP", containerPort: 53, hostPort: 5353), PortMapping(containerPort: 80, hostPort: 0)]
        config.annotations = ["kubernetes.io/ingress-bandwidth": "1M", "podrig.io/ips": "10.88.9.9/24, fd00:88:9::9/64"]
        config.dns = DNSConfig(servers: ["10.0.0.10"], searches: ["svc"], options: ["ndots:5"])
        let record = SandboxRecord(id: String(repeating: "a", count: 64), config: config, createdAt: 0)
        let args = CNISandboxArgs.cniArgs(record, extra: try CNIRuntimeConf.parseArgs(["FOO=bar;K8S_POD_NAME=override"]))
        let rt = CNIRuntimeConf(containerID: record.id, netns: "/x", ifName: "eth0", args: args)
        #expect(rt.cniArgsString == "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=override;K8S_POD_INFRA_CONTAINER_ID=\(record.id);K8S_POD_UID=u-1;FOO=bar")
        let caps = try CNISandboxArgs.capabilityArgs(record)
        #expect(caps["portMappings"] == [["hostPort": 5353, "containerPort": 53, "protocol": "udp"]])
        #expect(caps["bandwidth"]?["ingressRate"] == .int(1_000_000))
        #expect(caps["ips"] == ["10.88.9.9/24", "fd00:88:9::9/64"])
        #expect(caps["dns"]?["servers"] == ["10.0.0.10"])
        #expect(caps["io.kubernetes.cri.pod-annotations"]?["podrig.io/ips"] != nil)
    }

    @Test func badArgsAreRejected() {
        #expect(throws: PodrigError.self) { try CNIRuntimeConf.parseArgs(["novalue"]) }
        #expect(throws: PodrigError.self) { try CNIRuntimeConf.parseArgs(["A=b=c"]) }
        #expect(throws: PodrigError.self) { try CNISandboxArgs.quantity("fast", what: "x") }
        #expect((try? CNISandboxArgs.quantity("2Mi", what: "x")) == 2 << 20)
        // Beyond Int: Int(Double) trapped.
        for huge in ["1e300", "inf", "99999999999T"] {
            #expect(throws: PodrigError.self, "\(huge)") { try CNISandboxArgs.quantity(huge, what: "x") }
        }
    }

    @Test func cacheEntryRoundTripsInLibcniFormat() throws {
        let dir = "/tmp/podrig-unit-cache-\((try! Identifiers.newID()).prefix(8))"
        defer { try? Files.removeTree(dir) }
        let cache = CNICache(directory: dir, sync: false)
        let config = Array(#"{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}"#.utf8) + [10]
        let entry = CNICacheEntry(containerID: "abc", config: config, ifName: "eth0", networkName: "n", netns: "/run/netns/x",
                                  cniArgs: [("IgnoreUnknown", "1")], capabilityArgs: JSONObject([("portMappings", [])]),
                                  result: ["cniVersion": "1.0.0"], podrigRoot: "/run/podrig")
        try cache.write(entry)
        #expect(try cache.entryPaths() == [dir + "/results/n-abc-eth0"])
        let raw = try JSONParser.parse(bytes: try Files.read(dir + "/results/n-abc-eth0"))
        #expect(raw["kind"] == "cniCacheV1" && raw["containerId"] == "abc" && raw["ifName"] == "eth0" && raw["networkName"] == "n")
        #expect(raw["cniArgs"] == [["IgnoreUnknown", "1"]])
        // Go encodes []byte as padded standard base64.
        #expect(raw["config"]?.string?.hasPrefix("eyJjbmlWZXJzaW9uIjoi") == true)
        let back = try #require(try cache.read(network: "n", containerID: "abc", ifName: "eth0"))
        #expect(back.config == config && back.netns == "/run/netns/x" && back.podrigRoot == "/run/podrig" && back.result == entry.result)
        try cache.remove(network: "n", containerID: "abc", ifName: "eth0")
        #expect(try cache.read(network: "n", containerID: "abc", ifName: "eth0") == nil)
        #expect(throws: PodrigError.self) { try CNICacheEntry.parse([], source: "empty") }
        // A cluster node's attachment names the netns its plugins ran in (gc DELs there).
        #expect(back.pluginNetns == nil && raw["podrigPluginNetns"] == nil)
        var onNode = entry
        onNode.pluginNetns = "/run/netns/pr-c-node-1"
        let parsed = try CNICacheEntry.parse(Array(onNode.json.compact.utf8), source: "t")
        #expect(parsed.pluginNetns == "/run/netns/pr-c-node-1" && onNode.json["podrigPluginNetns"] == "/run/netns/pr-c-node-1")
    }

    @Test func traceReplayScriptQuotes() {
        let rec: JSON = ["command": "ADD", "plugin": "bridge", "network": "n", "path": "/usr/lib/cni/bridge",
                         "env": ["CNI_COMMAND=ADD", "CNI_ARGS=a='b'"], "stdin": #"{"x":"it's"}"#, "exitCode": 0]
        let s = CNITrace.replayScript(rec, number: 3)
        #expect(s.contains(#"printf '%s' '{"x":"it'\''s"}' |"#))
        #expect(s.contains(#"'CNI_ARGS=a='\''b'\'''"#))
        #expect(s.contains("env -i") && s.hasSuffix("'/usr/lib/cni/bridge'\n"))
    }
}
