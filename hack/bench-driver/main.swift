import Foundation

// hack/bench's measuring program. Runs inside the bench's node netns (hack/bench sets it up and
// tears it down); arguments: --podrig P --work DIR --bin-dir D [--n 30] [--throughput 200]
// [--concurrency 1,4,8] [--pods 1000] [--json FILE] [--machine TEXT].

func benchMain() throws {
    var args: [String: String] = [:]
    var it = CommandLine.arguments.dropFirst().makeIterator()
    while let k = it.next() { if k.hasPrefix("--") { args[String(k.dropFirst(2))] = it.next() ?? "" } }
    let n = Int(args["n"] ?? "30")!
    let total = Int(args["throughput"] ?? "200")!
    let concurrencies = (args["concurrency"] ?? "1,4,8").split(separator: ",").map { Int($0)! }
    let podsCount = Int(args["pods"] ?? "1000")!
    let work = args["work"]!
    let binDir = args["bin-dir"] ?? "/usr/lib/cni"
    try FileManager.default.createDirectory(atPath: work + "/pods", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: work + "/net.d", withIntermediateDirectories: true)

    func log(_ s: String) { FileHandle.standardError.write(Data(("bench: " + s + "\n").utf8)) }

    // The network under test: the bridge with host-local, dual-stack, gateway and masquerade —
    // containerd's default shape — on bench-only names and subnets, inside the node netns.
    func benchConflist(name: String, bridge: String, ipam: String, dataDir: String, v4: String, v6: String) -> [String: Any] {
        [
            "cniVersion": "1.0.0", "name": name,
            "plugins": [[
                "type": "bridge", "bridge": bridge, "isGateway": true, "ipMasq": true, "hairpinMode": true,
                "ipam": ["type": ipam, "dataDir": dataDir,
                         "ranges": [[["subnet": v4]], [["subnet": v6]]],
                         "routes": [["dst": "0.0.0.0/0"], ["dst": "::/0"]]] as [String: Any],
            ] as [String: Any]],
        ]
    }
    func write(_ conflist: [String: Any], _ file: String) throws {
        try JSONSerialization.data(withJSONObject: conflist, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: work + "/net.d/" + file))
    }
    let conflist = benchConflist(name: "pr-bench", bridge: "pr-bench0", ipam: "host-local", dataDir: work + "/ipam",
                                 v4: "10.90.0.0/16", v6: "fd00:90::/64")
    try write(conflist, "10-bench.conflist")
    // The same network with podrig-ipam in host-local's place (what `podrig net default --ipam
    // podrig` does to the built-in one), on its own bridge and subnets; runp picks it by name.
    let ipamPlugin = args["ipam-plugin"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    if ipamPlugin != nil {
        try write(benchConflist(name: "pr-bench-pipam", bridge: "pr-bench1", ipam: "podrig-ipam", dataDir: work + "/ipam-p",
                                v4: "10.92.0.0/16", v6: "fd00:92::/64"), "20-bench-pipam.conflist")
    }

    let exe = args["podrig"]!
    let hasCNI = run([exe, "runp", "--help"]).stdout.contains("--cni-conf-dir")
    let netFlags = hasCNI ? ["--cni-conf-dir", work + "/net.d", "--cni-bin-dir", binDir, "--cni-cache-dir", work + "/cache"] : []
    let podrig = Podrig(exe: exe, root: work + "/root", work: work, netFlags: netFlags)
    // runp on the podrig-ipam network: podrig-ipam's directory joins the bin dirs (the bridge
    // plugin finds its IPAM through CNI_PATH).
    let podrigIPAM = ipamPlugin.flatMap { plugin -> Podrig? in
        guard hasCNI else { return nil }
        let dir = (plugin as NSString).deletingLastPathComponent
        return Podrig(exe: exe, root: work + "/root", work: work,
                      netFlags: ["--cni-conf-dir", work + "/net.d", "--cni-bin-dir", binDir + ":" + dir,
                                 "--cni-cache-dir", work + "/cache", "--network", "pr-bench-pipam"])
    }
    let floor = Floor(binDir: binDir, conflist: conflist)
    if !hasCNI { log("this podrig has no CNI yet: its runp measures a loopback-only sandbox (marked in the table)") }

    var results = Results()
    // MARK: podrig pods with many sandboxes (`--only pods` runs just this section)

    func podsBench() throws {
        if podsCount > 0 {
            log("pods: creating \(podsCount) hostNetwork sandboxes")
            let configs = try (0..<podsCount).map { try podrig.config("many\($0)", hostNetwork: true) }
            _ = try parallel(podsCount, workers: 8) { i in _ = try podrig.runp(configs[i]) }
            var times: [Double] = []
            var jsonTimes: [Double] = []
            for _ in 0..<n {
                let r = try must(run([exe, "pods", "--root", podrig.root]), "podrig pods")
                let lines = r.stdout.split(separator: "\n").count - 1
                if lines != podsCount { throw BenchError("podrig pods listed \(lines) sandboxes, expected \(podsCount)") }
                times.append(r.seconds)
                jsonTimes.append(try must(run([exe, "pods", "--root", podrig.root, "-o", "json"]), "podrig pods -o json").seconds)
            }
            results.add("pods.\(podsCount)", times)
            results.add("pods.\(podsCount).json", jsonTimes)
            log("pods: removing them (rmp -f --all)")
            let rm = try must(run(podrig.command("rmp", ["-f", "--all"])), "podrig rmp --all")
            results.note("rmp -f --all of \(podsCount) hostNetwork sandboxes: \(ms(rm.seconds)) ms")
        }
    }
    if args["only"] == "pods" {
        try podsBench()
        results.machine = args["machine"] ?? ""
        print(results.table())
        return
    }
    // podrig-ipam vs host-local (`--only ipam` runs just this section).
    if let plugin = ipamPlugin, args["only"] == nil || args["only"] == "ipam" {
        let ipamN = Int(args["ipam-n"] ?? "\(n)")!
        log("ipam: podrig-ipam vs host-local ADD/DEL, \(ipamN) rounds (+3 warm-up), interleaved")
        try ipamBench(&results, n: ipamN, work: work, binDir: binDir, plugin: plugin)
    }
    if args["only"] == "ipam" {
        results.machine = args["machine"] ?? ""
        print(results.table())
        return
    }
    // MARK: process start and exit: podrig --version against a static C hello-world

    if let hello = args["hello"], FileManager.default.isExecutableFile(atPath: hello) {
        log("process: \(n) runs each of a static C hello-world, /bin/true and podrig --version, interleaved")
        let progs: [(String, [String])] = [("proc.hello", [hello]), ("proc.true", ["/bin/true"]), ("podrig.version", [exe, "--version"])]
        for i in -3..<n {
            for (key, argv) in progs.shifted(by: i < 0 ? 0 : i % 3) {
                let r = try must(run(argv), argv.joined(separator: " "))
                if i >= 0 { results.add(key, r.seconds) }
            }
        }
    }

    var tagCounter = 0
    func tag() -> String { tagCounter += 1; return "\(tagCounter)" }

    // MARK: latency, interleaved

    // Paired rounds: each round runs the floor and podrig (and podrig on the podrig-ipam network)
    // back to back, the floor first in even rounds and last in odd ones, so slow drift in the
    // machine's load (other builds, the bridge plugin's 45-130 ms ADD) hits both sides of a pair
    // alike; the targets are the median of the per-round ratios, with their spread. Before each
    // timed step the driver waits `settle` ms: the kernel destroys a deleted netns asynchronously
    // (cleanup_net, under rtnl), and whatever runs right after a teardown would pay for it.
    let settle = UInt32(args["settle-ms"] ?? "30")!
    func pause() { usleep(settle * 1000) }
    log("latency: \(n) paired rounds (+3 warm-up), floor first and last in turn, \(settle) ms settle between steps")
    var memSamples: [(rss: Int, pss: Int)] = []
    var ipsChecked = false
    for i in -3..<n {
        var round: [String: Double] = [:]
        let paired = podrigIPAM == nil ? [0, 1] : [0, 1, 4]
        // The informational cases (hostNetwork, netns-first floor) after the pair, outside it.
        for which in (i % 2 == 0 ? paired : paired.reversed()) + [2, 3] {
            pause()
            switch which {
            case 4:
                let (id, up, _) = try podrigIPAM!.runp(try podrig.config(tag(), hostNetwork: false))
                if i == -3 {
                    let ips = try podrig.podIPs(id)
                    if ips.count != 2 || !ips.allSatisfy({ $0.hasPrefix("10.92.") || $0.hasPrefix("fd00:92:") }) {
                        throw BenchError("runp on pr-bench-pipam recorded Pod IPs \(ips), expected one per family from podrig-ipam")
                    }
                }
                pause()
                let (down, _) = try podrigIPAM!.down(id)
                round["podrig.ipam.up"] = up; round["podrig.ipam.down"] = down
            case 0:
                let t0 = now()
                let a = try floor.add(tag())
                let up = now() - t0
                pause()
                let t1 = now()
                try floor.del(a)
                round["floor.up"] = up; round["floor.down"] = now() - t1
            case 3:
                let a = try floor.add(tag())
                pause()
                let t1 = now()
                try floor.delNetnsFirst(a)
                round["floor.down.netnsFirst"] = now() - t1
            case 1:
                let (id, up, _) = try podrig.runp(try podrig.config(tag(), hostNetwork: false))
                if !ipsChecked {
                    let ips = try podrig.podIPs(id)
                    if hasCNI && ips.count != 2 { throw BenchError("runp recorded Pod IPs \(ips), expected one per family") }
                    results.note("podIPs of a bench sandbox: \(ips)")
                    ipsChecked = true
                }
                if i >= 0 && memSamples.count < 5, let m = memory(try podrig.pausePid(id)) { memSamples.append(m) }
                pause()
                let (down, _) = try podrig.down(id)
                round["podrig.up"] = up; round["podrig.down"] = down
            default:
                let (id, up, _) = try podrig.runp(try podrig.config(tag(), hostNetwork: true))
                pause()
                let (down, _) = try podrig.down(id)
                round["podrig.hostNetwork.up"] = up; round["podrig.hostNetwork.down"] = down
            }
        }
        guard i >= 0 else { continue }
        for (k, v) in round { results.add(k, v) }
        for (key, base) in Results.pairs {
            if let p = round[key], let f = round[base] { results.add("ratio." + key, p / f) }
        }
    }
    results.memory = memSamples
    if args["only"] == "latency" {
        results.hasCNI = hasCNI
        results.machine = args["machine"] ?? ""
        print(results.table())
        if let path = args["json"] {
            try JSONSerialization.data(withJSONObject: results.json(), options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
            log("wrote \(path)")
        }
        return
    }

    // MARK: pause + supervisor of a running pod (podrig up)

    if run([exe, "up", "--help"]).ok {
        log("memory: pause + supervisor of a one-container pod")
        let upRoot = podrig.root  // empty between the sections
        let manifest = work + "/pods/up.yaml"
        try """
            apiVersion: v1
            kind: Pod
            metadata: {name: bench-mem, namespace: bench}
            spec:
              containers:
              - {name: sleeper, image: none, command: [sleep, "3600"]}
            """.write(toFile: manifest, atomically: false, encoding: .utf8)
        try must(run([exe, "up", "-d", "--root", upRoot] + netFlags + [manifest]), "podrig up -d")
        let dir = try FileManager.default.contentsOfDirectory(atPath: upRoot + "/sandboxes").first { $0.count == 64 }!
        func pid(_ file: String, _ path: [String]) throws -> Int32 {
            var v: Any? = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))
            for k in path { v = (v as? [String: Any])?[k] }
            return Int32(v as? Int ?? 0)
        }
        let sandboxDir = upRoot + "/sandboxes/" + dir
        if let p = memory(try pid(sandboxDir + "/sandbox.json", ["pause", "pid"])),
           let sup = memory(try pid(sandboxDir + "/pod/supervisor.json", ["pid"])) {
            results.podMemory = (p, sup)
        }
        try must(run([exe, "down", "--root", upRoot] + netFlags + ["bench-mem", "-n", "bench"]), "podrig down")
    }

    // MARK: one runp and one stopp, step by step

    log("breakdown: 10 runs with PODRIG_TIMINGS=1")
    var steps: [String: [Double]] = [:]
    var stepOrder: [String] = []
    func collect(_ r: RunOutput, prefix: String) {
        // Outside-in: spawn → main (process start: exec, page faults, runtime init), main → the
        // verb's first mark (parse, config), each step, the last mark → the driver's waitpid (exit).
        var last = r.started
        var first = true
        for line in r.stderr.split(separator: "\n") where line.hasPrefix("podrig: timing ") {
            let f = line.split(separator: " ")
            guard f.count >= 6, let mono = Double(f[5].dropFirst()) else { continue }
            let name = first ? (f[2] == "main" ? "\(prefix)process start → main" : "\(prefix)exec + parse → \(f[2])")
                : "\(prefix)→ \(f[2])"
            first = false
            if steps[name] == nil { stepOrder.append(name) }
            steps[name, default: []].append(mono - last)
            last = mono
        }
        let name = "\(prefix)→ exit"
        if steps[name] == nil { stepOrder.append(name) }
        steps[name, default: []].append(r.started + r.seconds - last)
    }
    for _ in 0..<10 {
        let env = baseEnv + ["PODRIG_TIMINGS=1"]
        let (id, _, out) = try podrig.runp(try podrig.config(tag(), hostNetwork: false), env: env)
        collect(out, prefix: "runp ")
        let (_, outs) = try podrig.down(id, env: env)
        collect(outs[0], prefix: "stopp ")
        collect(outs[1], prefix: "rmp ")
    }
    results.breakdown = stepOrder.map { ($0, median(steps[$0]!)) }

    // MARK: throughput

    for c in concurrencies {
        log("throughput: \(total) up and down at concurrency \(c)")
        let attachments = Locked<[Int: Floor.Attachment]>([:])
        let fUp = try parallel(total, workers: c) { i in attachments.update { $0[i] = try! floor.add("t\(c)-\(i)") } }
        let all = attachments.value
        let fDown = try parallel(total, workers: c) { i in try floor.del(all[i]!) }
        let configs = try (0..<total).map { try podrig.config("t\(c)-\($0)", hostNetwork: false) }
        let ids = Locked<[Int: String]>([:])
        let pUp = try parallel(total, workers: c) { i in
            let (id, _, _) = try podrig.runp(configs[i])
            ids.update { $0[i] = id }
        }
        let made = ids.value
        let pDown = try parallel(total, workers: c) { i in _ = try podrig.down(made[i]!) }
        results.throughput.append((c, fUp, fDown, pUp, pDown))
    }

    try podsBench()

    results.hasCNI = hasCNI
    results.machine = args["machine"] ?? ""
    print(results.table())
    if let path = args["json"] {
        try JSONSerialization.data(withJSONObject: results.json(), options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        log("wrote \(path)")
    }
}

do {
    try benchMain()
} catch {
    FileHandle.standardError.write(Data("bench: error: \(error)\n".utf8))
    exit(1)
}
