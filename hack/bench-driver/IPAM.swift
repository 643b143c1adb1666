import Foundation

// podrig-ipam against host-local, exec'd as a runtime execs an IPAM plugin (env + stdin), on the
// same dual-stack range with the same background of live leases, interleaved round by round.
func ipamBench(_ results: inout Results, n: Int, work: String, binDir: String, plugin: String) throws {
    let dir = work + "/ipam-bench"
    func config(_ type: String) -> String {
        let o: [String: Any] = [
            "cniVersion": "1.0.0", "name": "pr-bench-\(type)",
            "ipam": ["type": type, "dataDir": dir,
                     "ranges": [[["subnet": "10.91.0.0/16"]], [["subnet": "fd00:91::/64"]]],
                     "routes": [["dst": "0.0.0.0/0"]]] as [String: Any],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }
    let plugins = [("hostlocal", binDir + "/host-local", config("host-local")), ("podrig", plugin, config("podrig-ipam"))]
    func exec(_ p: (String, String, String), _ command: String, _ id: String) throws -> Double {
        let env = baseEnv + ["CNI_COMMAND=" + command, "CNI_CONTAINERID=" + id, "CNI_NETNS=/run/netns/none",
                             "CNI_IFNAME=eth0", "CNI_PATH=" + binDir, "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=" + id]
        let r = run([p.1], env: env, input: p.2)
        if !r.ok { throw BenchError("\(p.1) \(command) \(id): \(r.stdout) \(r.stderr)") }
        return r.seconds
    }
    // A node with pods on it: 30 live attachments in each, untimed.
    for p in plugins { for i in 0..<30 { _ = try exec(p, "ADD", "live-\(i)") } }
    for i in -3..<n {
        let order = i % 2 == 0 ? plugins : plugins.reversed()
        var round: [String: Double] = [:]
        for p in order {
            round["\(p.0).add"] = try exec(p, "ADD", "b-\(i)")
        }
        for p in order.reversed() {
            round["\(p.0).del"] = try exec(p, "DEL", "b-\(i)")
        }
        guard i >= 0 else { continue }
        for (key, seconds) in round { results.add("ipam." + key, seconds) }
        // The same round's two execs, as the latency section pairs runp with the floor: one
        // plugin's slow exec (this machine's tail) then moves one round's ratio, not a median.
        for verb in ["add", "del"] {
            if let p = round["podrig.\(verb)"], let h = round["hostlocal.\(verb)"], h > 0 {
                results.add("ratio.ipam.podrig.\(verb)", p / h)
            }
        }
    }
    for p in plugins { for i in 0..<30 { _ = try exec(p, "DEL", "live-\(i)") } }
    let left = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/pr-bench-host-local"))?.filter { $0.first?.isNumber == true || $0.contains(":") } ?? []
    if !left.isEmpty { throw BenchError("host-local leases left: \(left)") }
    try? FileManager.default.removeItem(atPath: dir)
}
