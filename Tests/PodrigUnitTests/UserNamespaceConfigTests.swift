import PodrigCore
import PodrigSandbox
import Testing

/// userns_options as containerd checks them, several mapping lines, the kernel's map format and
/// the record round trip.
@Suite struct UserNamespaceConfigTests {
    func parse(_ userns: String, extra: String = "") throws(PodrigError) -> PodSandboxConfig {
        try PodSandboxConfig.parse(try ConfigText.parse(#"{"metadata": {"name": "u"}, "linux": {"security_context": {"namespace_options": {\#(extra)"userns_options": \#(userns)}}}}"#, source: "t"))
    }

    @Test func podModeWithSeveralLines() throws {
        let c = try parse(#"{"mode": "POD", "uids": [{"container_id": 0, "host_id": 100000, "length": 1000}, {"container_id": 1000, "host_id": 300000, "length": 64536}], "gids": [{"host_id": 100000, "length": 65536}]}"#)
        let u = try #require(c.userNamespace)
        #expect(UserNamespaceConfig.procMap(u.uids) == "0 100000 1000\n1000 300000 64536\n")
        #expect(UserNamespaceConfig.host(0, in: u.uids) == 100000 && UserNamespaceConfig.host(1500, in: u.uids) == 300500)
        #expect(UserNamespaceConfig.host(65536, in: u.uids) == nil && UserNamespaceConfig.host(65535, in: u.gids) == 165535)
        #expect(try parse(#"{"mode": 2}"#).userNamespace == nil)
    }

    @Test(arguments: [
        (#"{"mode": 1}"#, "CONTAINER is not a valid user namespace mode"),
        (#"{"mode": 0}"#, "uids: mode POD needs uid and gid mappings"),
        (#"{"mode": 0, "uids": [{"host_id": 1, "length": 10}], "gids": []}"#, "gids: mode POD needs uid and gid mappings"),
        (#"{"mode": 0, "uids": [{"container_id": 5, "host_id": 1, "length": 10}], "gids": [{"host_id": 1, "length": 10}]}"#, "container ID 0 must be mapped"),
        (#"{"mode": 0, "uids": [{"host_id": 1, "length": 10}, {"container_id": 10, "host_id": 5, "length": 10}], "gids": [{"host_id": 1, "length": 10}]}"#, "uids[1]: host IDs overlap"),
        (#"{"mode": 0, "uids": [{"host_id": 4294967290, "length": 10}], "gids": [{"host_id": 1, "length": 10}]}"#, "exceed 32 bits"),
        (#"{"mode": 0, "uids": [{"host_id": 1, "length": -1}], "gids": [{"host_id": 1, "length": 10}]}"#, "length: must be at least 1"),
        // ID + length overflowed Int for these (a trap), rather than exceeding 32 bits.
        (#"{"mode": 0, "uids": [{"container_id": 9223372036854775807, "host_id": 0, "length": 1}], "gids": [{"host_id": 1, "length": 10}]}"#, "exceed 32 bits"),
        (#"{"mode": 0, "uids": [{"host_id": 1, "length": 9223372036854775807}], "gids": [{"host_id": 1, "length": 10}]}"#, "exceed 32 bits"),
        (#"{"mode": 2, "gids": [{"host_id": 1, "length": 10}]}"#, "NODE takes no uids/gids mappings"),
        (#"{"mode": 0, "uids": [{"host_id": 1, "length": 10, "size": 3}], "gids": [{"host_id": 1, "length": 10}]}"#, "size"),
    ])
    func refused(_ userns: String, _ message: String) {
        #expect { _ = try parse(userns) } throws: { ($0 as? PodrigError)?.message.contains(message) == true }
    }

    @Test func hostNamespacesRefusedWithPodMode() {
        let m = #"{"mode": 0, "uids": [{"host_id": 100000, "length": 65536}], "gids": [{"host_id": 100000, "length": 65536}]}"#
        for key in ["network", "pid", "ipc"] {
            #expect { _ = try parse(m, extra: #""\#(key)": 2, "#) } throws: { ($0 as? PodrigError)?.message.contains("with \(key) NODE") == true }
        }
    }

    @Test func recordRoundTrip() throws {
        var r = SandboxRecord(id: String(repeating: "a", count: 64), config: try parse(#"{"mode": 0, "uids": [{"host_id": 65536, "length": 65536}], "gids": [{"host_id": 131072, "length": 65536}]}"#), createdAt: 1)
        r.state = .ready
        let back = try SandboxRecord(json: try JSONParser.parse(r.json.compact))
        #expect(back.config.userNamespace == r.config.userNamespace && back.config.userNamespace?.gids.first?.hostID == 131072)
        var node = r
        node.config.userNamespace = nil
        #expect(try SandboxRecord(json: try JSONParser.parse(node.json.compact)).config.userNamespace == nil)
        // A damaged record's mapping (length -5) is refused with a line; its range trapped the next pick.
        var damaged = try JSONParser.parse(r.json.compact)
        var config = try #require(damaged["config"]), userns = try #require(config["userNamespace"])
        userns["uids"] = [["containerId": 0, "hostId": 65536, "length": -5]]
        config["userNamespace"] = userns
        damaged["config"] = config
        #expect { _ = try SandboxRecord(json: damaged) } throws: { ($0 as? PodrigError)?.message.contains("config.userNamespace.uids[0].length") == true }
    }
}
