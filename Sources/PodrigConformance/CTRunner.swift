#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore

/// `podrig cni test`: every rule of CNIRule's catalogue against one plugin config or conflist,
/// black-box, for each spec version the plugin claims, inside namespaces it makes and removes.
public final class CTRunner: @unchecked Sendable {
    let options: CTOptions
    let world: CTWorld
    let invoker: CTInvoker
    let base: CNIConfigList
    let mode: CTMode
    let only: Regex<AnyRegexOutput>?
    var report: CTReport
    /// Node links before any check: what may remain at the end.
    var baseline: [CTWorld.Link] = []
    /// The links `setup` made (the node has only lo before it).
    var setupLinks: [CTWorld.Link] = []
    var observesLeases = false

    /// Runs the whole suite; never throws (a run that cannot start is a report with `error`).
    public static func run(_ list: CNIConfigList, options: CTOptions) -> CTReport {
        var failed = CTReport(name: list.name, mode: options.mode.rawValue, plugins: [], versions: [], tracePath: options.tracePath ?? "")
        let world: CTWorld
        do { world = try CTWorld() } catch {
            failed.error = "making the node netns: \(error)"
            return failed
        }
        let tracePath = options.tracePath ?? "/tmp/podrig-cni-test-\(world.run).jsonl"
        failed.tracePath = tracePath
        world.keep = options.keep
        var report: CTReport
        do {
            let runner = try CTRunner(list, options: options, world: world, tracePath: tracePath)
            if let unmet = runner.unmetRequirement() {
                runner.report.skipped = unmet
            } else {
                runner.runAll()
            }
            report = runner.report
        } catch {
            failed.error = "\(error)"
            report = failed
        }
        let leftovers = world.teardown()
        var leaks = leftovers
        if !options.keep { leaks += world.remainingNamespaces().filter { !leaks.contains($0) } }
        if !leaks.isEmpty {
            report.results.append(CTResult(.noLeaks, version: nil, .fail, "namespaces left after teardown: \(leaks.joined(separator: ", "))"))
        }
        report.applyExpected(options.expected)
        return report
    }

    init(_ list: CNIConfigList, options: CTOptions, world: CTWorld, tracePath: String) throws(PodrigError) {
        self.options = options
        self.world = world
        var list = list
        // host-local keeps leases on disk: point it at the run's scratch dir, never the host's.
        for i in list.plugins.indices { list.plugins[i] = CTRunner.privateIPAM(list.plugins[i], world.ipamDirectory) }
        if list.plugins.count > 1 {
            mode = .list
        } else if options.mode == .auto {
            let p = list.plugins[0]
            mode = p["ipam"] != nil || p["type"]?.string == "loopback" ? .standalone : .chained
        } else {
            mode = options.mode
        }
        base = list
        do { only = try options.only.map { try Regex($0) } } catch {
            throw PodrigError.invalid("--only: \"\(options.only ?? "")\" is not a regular expression")
        }
        var binDirs = options.binDirs
        if let path = options.pluginPath {
            guard list.plugins.count == 1 || list.plugins.contains(where: { $0["type"]?.string == Files.basename(of: path) }) else {
                throw PodrigError.invalid("--plugin \(path): the conflist has several plugins and none has type \"\(Files.basename(of: path))\"")
            }
            let type = list.plugins.count == 1 ? list.pluginType(0) : Files.basename(of: path)
            let dir = world.directory + "/bin"
            try Files.makeDirectories(dir, mode: 0o755)
            let target = CTRunner.absolute(path)
            guard Files.exists(target) else { throw PodrigError(.notFound, "--plugin \(path): no such file") }
            if symlink(target, dir + "/" + type) != 0 { throw PodrigError.system("symlink \(dir)/\(type)", errno: errno) }
            binDirs.insert(dir, at: 0)
        }
        let runner = CNIPluginRunner(binDirs: binDirs, timeout: options.timeout, trace: CNITrace(path: tracePath))
        runner.netns = world.nodePath
        invoker = CTInvoker(runner: runner, tracePath: tracePath)
        report = CTReport(name: list.name, mode: mode.rawValue, plugins: [], versions: [], tracePath: tracePath)
        var types = list.plugins.map { $0["type"]?.string ?? "?" }
        if mode == .chained { types.insert(CTRunner.provider(world)["type"]?.string ?? "bridge", at: 0) }
        for t in types {
            // Found once up front: the parallel checks then only read the runner's path cache.
            let path = try runner.find(t)
            if !report.plugins.contains(where: { $0.type == t }) { report.plugins.append((t, path)) }
        }
        if mode == .chained { report.plugins.removeFirst() }
        for command in options.setup { try world.inNode(command) }
        baseline = world.links()
        setupLinks = baseline.filter { $0.name != "lo" }
        observesLeases = list.plugins.contains { CTRunner.usesHostLocal($0) } || mode == .chained
    }

    // MARK: the suite

    /// The first `requires` command that fails, as the reason the plugin cannot be tested here.
    func unmetRequirement() -> String? {
        for command in options.requires {
            let r = try? CTWorld.exec(["/bin/sh", "-c", command], netns: world.nodePath)
            if r?.status.success != true {
                let why = r.map { String(decoding: $0.stderr, as: UTF8.self).trimmed } ?? "could not run it"
                return "not testable on this machine: `\(command)` fails (\(CTExec.clip(why, 100)))"
            }
        }
        return nil
    }

    /// Makes `setup`'s links again when a check lost them: a veth or dummy handed to a plugin
    /// (host-device) dies with the container netns it was in, and every later check would test a
    /// vanished device instead of the plugin.
    func restoreSetup() {
        guard !setupLinks.isEmpty else { return }
        let now = Set(world.links().map(\.name))
        guard setupLinks.contains(where: { !now.contains($0.name) }) else { return }
        for l in setupLinks where now.contains(l.name) { _ = try? IPRoute.run(["-n", world.node, "link", "del", l.name]) }
        for command in options.setup { _ = try? world.inNode(command) }
        baseline = world.links()
    }

    func runAll() {
        let versions = negotiate()
        report.versions = versions
        guard !versions.isEmpty else { return }
        for v in versions {
            restoreSetup()
            lifecycle(chain(v))
        }
        let top = chain(versions.last!)
        restoreSetup()
        onceChecks(top)
        timing()
        finalLeaks()
        if let only { report.results = report.results.filter { $0.rule.id.contains(only) } }
    }

    func wants(_ rules: CTRule...) -> Bool {
        guard let only else { return true }
        return rules.contains { $0.id.contains(only) }
    }

    func record(_ rule: CTRule, _ version: String?, _ status: CTStatus, _ detail: String, traces: [Int] = []) {
        report.results.append(CTResult(rule, version: version, status, detail, traces: traces.filter { $0 > 0 }))
    }

    /// The chain for one version: the subject (with podrig's provider before a chained one).
    func chain(_ version: String) -> CTChain {
        var plugins = base.plugins
        var subject = Array(plugins.indices)
        if mode == .chained {
            plugins.insert(CTRunner.provider(world), at: 0)
            subject = [1]
        }
        return CTChain(name: base.name, version: version, plugins: plugins, subject: subject)
    }

    func subjectTypes() -> [String] {
        var seen: [String] = []
        for p in base.plugins { if let t = p["type"]?.string, !seen.contains(t) { seen.append(t) } }
        return seen
    }

    // MARK: VERSION

    /// VERSION of every subject plugin; the versions all claim, that podrig speaks, and --versions allows.
    func negotiate() -> [String] {
        var claimed: Set<String>?
        var anyBad = false
        for t in subjectTypes() {
            let e = invoker.exec(network: base.name, type: t, command: "VERSION", stdin: Array(#"{"cniVersion":"\#(base.cniVersion)"}"#.utf8), rt: nil)
            var problems: [String] = []
            var versions: [String] = []
            if let m = e.misbehaviour { problems.append(m) } else if !e.ok {
                problems.append("VERSION failed: \(e.summary)")
            } else if let json = try? JSONParser.parse(bytes: e.stdout) {
                if json["cniVersion"]?.string.flatMap(CNIVersion.init) == nil { problems.append("cniVersion is missing or not a version") }
                if let list = json["supportedVersions"]?.array, !list.isEmpty {
                    for item in list {
                        if let s = item.string, CNIVersion(s) != nil { versions.append(s) } else { problems.append("supportedVersions holds \(item.compact)") }
                    }
                } else { problems.append("supportedVersions is missing or empty") }
            } else {
                problems.append("stdout is not JSON: \(CTExec.clip(String(decoding: e.stdout, as: UTF8.self).trimmed))")
            }
            if problems.isEmpty {
                record(.versionReply, nil, .pass, "\(t): supports \(versions.joined(separator: ", "))")
                let s = Set(versions)
                claimed = claimed.map { $0.intersection(s) } ?? s
            } else {
                anyBad = true
                record(.versionReply, nil, .fail, "\(t): " + problems.joined(separator: "; "), traces: [e.trace])
            }
        }
        // A plugin that cannot say: test the config's own version only.
        var versions = anyBad && claimed == nil ? [base.cniVersion] : Array(claimed ?? [])
        versions = versions.filter { CNIVersion($0)?.isSupported == true }
        if let wanted = options.versions { versions = versions.filter { wanted.contains($0) } }
        versions.sort { (CNIVersion($0) ?? .v010) < (CNIVersion($1) ?? .v010) }
        if versions.isEmpty {
            record(.addResult, nil, .skip, "no version to test (claimed ∩ podrig's \(CNIVersion.supported.map(\.description).joined(separator: ",")) ∩ --versions is empty)")
        }
        return versions
    }

    // MARK: attachments

    func attachment(args: [(String, String)] = []) -> CTAttachment? {
        guard let ns = try? world.newNetns() else { return nil }
        var caps: JSONObject = JSONObject([
            ("portMappings", .array([["hostPort": .int(20000 + ns.index), "containerPort": 80, "protocol": "tcp"]])),
            ("bandwidth", ["ingressRate": 8_000_000, "ingressBurst": 8_000_000, "egressRate": 8_000_000, "egressBurst": 8_000_000]),
            ("dns", ["servers": ["10.96.0.10"], "searches": ["svc.cluster.local"], "options": ["ndots:5"]]),
        ])
        for (k, v) in options.capArgs { caps[k] = v }
        return CTAttachment(containerID: "podrig-ct-\(world.run)-\(ns.index)", netnsName: ns.name, netnsPath: ns.path,
                            ifName: options.ifName, index: ns.index, args: args, caps: caps)
    }

    func done(_ a: CTAttachment) { world.deleteNetns(a.netnsName) }

    /// What DEL must have removed, as problems (empty: clean). `before`: node links before ADD.
    func leftovers(_ a: CTAttachment, before: [CTWorld.Link], netnsGone: Bool = false, leasesOnly: Bool = false, links: Bool = true) -> [String] {
        var p: [String] = []
        if observesLeases {
            let l = world.leases(of: a.containerID)
            if !l.isEmpty { p.append("lease still held: \(l.joined(separator: ", "))") }
        }
        if leasesOnly { return p }
        if links && !netnsGone {
            let extra = world.links(a.netnsName).filter { $0.name != "lo" }
            if !extra.isEmpty { p.append("left in the netns: \(extra.map { "\($0.name) (\($0.kind.isEmpty ? "device" : $0.kind))" }.joined(separator: ", "))") }
        }
        var new = links ? newNodeLinks(since: before) : []
        // A deleted netns takes its veths' peers with it, but asynchronously (kernel cleanup work).
        var waited = 0
        while netnsGone, new.contains(where: { $0.kind == "veth" }), waited < 60 {
            usleep(50_000)
            waited += 1
            new = newNodeLinks(since: before)
        }
        if !new.isEmpty { p.append("left in the node: \(new.map { "\($0.name) (\($0.kind.isEmpty ? "device" : $0.kind))" }.joined(separator: ", "))") }
        let rules = world.iptablesLines(naming: a.containerID)
        if !rules.isEmpty { p.append("\(rules.count) iptables rule(s) still name the container: \(CTExec.clip(rules[0], 100))") }
        return p
    }

    /// Node links that appeared since `before`, except bridges (shared by every attachment, by design).
    func newNodeLinks(since before: [CTWorld.Link]) -> [CTWorld.Link] {
        let names = Set(before.map(\.name))
        return world.links().filter { !names.contains($0.name) && $0.kind != "bridge" }
    }

    static func failures(_ execs: [CTExec]) -> [CTExec] { execs.filter { !$0.ok } }

    static func describe(_ execs: [CTExec]) -> String {
        failures(execs).map { "\($0.plugin) \($0.command) \($0.summary)" }.joined(separator: "; ")
    }

    // MARK: per-version lifecycle

    func lifecycle(_ c: CTChain) {
        let v = c.version
        if mode == .chained, !providerSpeaks(v) {
            record(.addResult, v, .skip, "podrig's provider (bridge) does not speak \(v): nothing to chain after")
            return
        }
        if wants(.addResult, .addKernel, .chainPrevResult, .checkAfterAdd, .checkDetectsChange, .delCleans, .delTwice) {
            mainAttachment(c)
        }
        if wants(.addTwice) { addTwice(c) }
        if wants(.delWithoutAdd) { delWithoutAdd(c) }
        if wants(.delNetnsGone) {
            delNetnsGone(c)
            restoreSetup()
        }
        if wants(.delNoPrevResult) { delNoPrevResult(c) }
        if wants(.gcKeepsValid, .gcReleasesStale) { gc(c) }
        if wants(.statusWellFormed) { status(c) }
    }

    func providerSpeaks(_ v: String) -> Bool { (CNIVersion(v) ?? .v010) <= .v100 }

    func mainAttachment(_ c: CTChain) {
        let v = c.version
        guard let a = attachment() else { return record(.addResult, v, .fail, "could not make a netns") }
        defer { done(a) }
        let before = world.links()
        let add = invoker.add(c, a)
        guard add.ok, let result = add.result, let raw = add.raw else {
            record(.addResult, v, .fail, add.problem ?? "ADD failed", traces: [add.lastTrace])
            let dels = invoker.del(c, a, prev: nil)
            for rule in [CTRule.addKernel, .chainPrevResult, .checkAfterAdd, .checkDetectsChange, .delCleans, .delTwice] {
                record(rule, v, .skip, "ADD failed")
            }
            _ = dels
            return
        }
        let schema = CTResultSchema.problems(raw, version: v)
        if schema.isEmpty {
            record(.addResult, v, .pass, resultSummary(result))
        } else {
            record(.addResult, v, .fail, schema.joined(separator: "; "), traces: [add.lastTrace])
        }
        // The kernel.
        let k = kernelProblems(result, a, c)
        if let skip = k.skip { record(.addKernel, v, .skip, skip) } else if k.problems.isEmpty {
            record(.addKernel, v, .pass, "interfaces, addresses and routes of the result are in place")
        } else {
            record(.addKernel, v, .fail, k.problems.joined(separator: "; "), traces: [add.lastTrace])
        }
        // Chaining.
        chainCheck(c, add)
        // CHECK.
        if c.cniVersion < .v040 {
            record(.checkAfterAdd, v, .skip, "CHECK exists from 0.4.0")
            record(.checkDetectsChange, v, .skip, "CHECK exists from 0.4.0")
        } else if base.disableCheck {
            record(.checkAfterAdd, v, .skip, "disableCheck is set")
            record(.checkDetectsChange, v, .skip, "disableCheck is set")
        } else {
            let checks = invoker.check(c, a, prev: result, subjectOnly: mode == .chained)
            if let bad = CTRunner.failures(checks).first {
                record(.checkAfterAdd, v, .fail, CTRunner.describe(checks), traces: [bad.trace])
            } else {
                record(.checkAfterAdd, v, .pass, "CHECK passed")
            }
            detectsChange(c, a, result)
        }
        // DEL, twice.
        let dels = invoker.del(c, a, prev: result)
        if let bad = CTRunner.failures(dels).first {
            record(.delCleans, v, .fail, CTRunner.describe(dels), traces: [bad.trace])
        } else {
            let left = leftovers(a, before: before)
            if left.isEmpty {
                record(.delCleans, v, .pass, "links, addresses\(observesLeases ? ", lease" : "") and iptables rules are gone")
            } else {
                record(.delCleans, v, .fail, left.joined(separator: "; "), traces: dels.map(\.trace))
            }
        }
        let again = invoker.del(c, a, prev: result)
        if let bad = CTRunner.failures(again).first {
            record(.delTwice, v, .fail, CTRunner.describe(again), traces: [bad.trace])
        } else {
            record(.delTwice, v, .pass, "second DEL succeeded")
        }
    }

    func resultSummary(_ r: CNIResult) -> String {
        var parts: [String] = []
        if !r.interfaces.isEmpty { parts.append("interfaces " + r.interfaces.compactMap { $0["name"]?.string }.joined(separator: ",")) }
        if !r.ips.isEmpty { parts.append("ips " + r.ips.map(\.address).joined(separator: ",")) }
        if !r.routes.isEmpty { parts.append("\(r.routes.count) route(s)") }
        return parts.isEmpty ? "empty result" : parts.joined(separator: "; ")
    }

    /// Does the kernel show what the result says?
    func kernelProblems(_ r: CNIResult, _ a: CTAttachment, _ c: CTChain) -> (problems: [String], skip: String?) {
        let subject = c.plugins[c.subject.last ?? 0]
        if r.interfaces.isEmpty, subject["type"] != nil, subject["type"] == subject["ipam"]?["type"] {
            return ([], "IPAM plugin: it configures nothing in the kernel")
        }
        if r.interfaces.isEmpty, c.cniVersion.resultFamily == .legacy {
            // 0.1.0/0.2.0 results name no interface: the addresses belong on CNI_IFNAME.
            let have = world.addresses(a.netnsName)
            let missing = r.ips.filter { ip in !have.contains { $0.ifName == a.ifName && CTRunner.sameCIDR($0.cidr, ip.address) } }
            return (missing.map { "\($0.address) is not on \(a.ifName)" }, r.ips.isEmpty ? "the result names no address" : nil)
        }
        if r.interfaces.isEmpty {
            return ([], r.ips.isEmpty ? "the result names no interface or address" : "IPAM result: no interfaces, nothing in the kernel to compare")
        }
        var p: [String] = []
        let nsLinks = world.links(a.netnsName)
        let nodeLinks = world.links()
        for iface in r.interfaces {
            let name = iface["name"]?.string ?? ""
            let inSandbox = !(iface["sandbox"]?.string ?? "").isEmpty
            guard let link = (inSandbox ? nsLinks : nodeLinks).first(where: { $0.name == name }) else {
                p.append(inSandbox ? "interface \(name) is not in the container netns" : "host interface \(name) is not in the node")
                continue
            }
            if let mac = iface["mac"]?.string, !mac.isEmpty, mac.lowercased() != link.mac.lowercased() {
                p.append("\(name) has MAC \(link.mac), the result says \(mac)")
            }
        }
        let nsAddrs = world.addresses(a.netnsName)
        var nodeAddrs: [CTWorld.Address]?
        for ip in r.ips {
            guard let idx = ip.interface, r.interfaces.indices.contains(idx) else { continue }
            let iface = r.interfaces[idx]
            let name = iface["name"]?.string ?? ""
            let inSandbox = !(iface["sandbox"]?.string ?? "").isEmpty
            if !inSandbox && nodeAddrs == nil { nodeAddrs = world.addresses(world.node) }
            let have = inSandbox ? nsAddrs : (nodeAddrs ?? [])
            if !have.contains(where: { $0.ifName == name && CTRunner.sameCIDR($0.cidr, ip.address) }) {
                p.append("\(ip.address) is not on \(name)\(inSandbox ? "" : " (node)")")
            }
        }
        if !r.routes.isEmpty {
            let routes = world.routes(a.netnsName)
            for route in r.routes {
                let dst = route["dst"]?.string ?? ""
                let gw = route["gw"]?.string
                let ok = routes.contains { kr in
                    CTRunner.sameCIDR(kr.dst, dst) && (gw == nil || gw!.isEmpty || kr.gateway.map { CTRunner.sameIP($0, gw!) } ?? false)
                }
                if !ok { p.append("route \(dst)\(gw.map { " via \($0)" } ?? "") is not in the netns") }
            }
        }
        return (p, nil)
    }

    func chainCheck(_ c: CTChain, _ add: CTAdd) {
        let v = c.version
        guard mode != .standalone else { return record(.chainPrevResult, v, .skip, "not a chained plugin") }
        // Each subject plugin after the first of the chain gets a prevResult and must keep it.
        var problems: [String] = []
        var traces: [Int] = []
        var prev: CNIResult?
        for (i, e) in add.execs.enumerated() {
            let out = try? CNIResult.parse(bytes: e.stdout, configVersion: v)
            if i > 0, c.subject.contains(i), let p = prev {
                let lost = CTRunner.lost(p, out)
                if !lost.isEmpty {
                    problems.append("\(c.type(i)) dropped \(lost.joined(separator: ", ")) of its prevResult")
                    traces.append(e.trace)
                }
            }
            prev = out
        }
        if problems.isEmpty {
            record(.chainPrevResult, v, .pass, "prevResult passed through\(mode == .chained ? " (from podrig's bridge + host-local)" : "")")
        } else {
            record(.chainPrevResult, v, .fail, problems.joined(separator: "; "), traces: traces)
        }
    }

    /// What of `prev` (interfaces by name, addresses, route destinations) `out` no longer has.
    static func lost(_ prev: CNIResult, _ out: CNIResult?) -> [String] {
        guard let out else { return ["everything (no usable result)"] }
        var lost: [String] = []
        let names = Set(out.interfaces.compactMap { $0["name"]?.string })
        for i in prev.interfaces { if let n = i["name"]?.string, !names.contains(n) { lost.append("interface \(n)") } }
        for ip in prev.ips where !out.ips.contains(where: { sameCIDR($0.address, ip.address) }) { lost.append("address \(ip.address)") }
        for r in prev.routes {
            let dst = r["dst"]?.string ?? ""
            if !out.routes.contains(where: { sameCIDR($0["dst"]?.string ?? "", dst) }) { lost.append("route \(dst)") }
        }
        return lost
    }

    /// CHECK after an out-of-band change: an address of the result removed (lo: set down).
    func detectsChange(_ c: CTChain, _ a: CTAttachment, _ r: CNIResult) {
        let v = c.version
        if mode == .chained {
            return record(.checkDetectsChange, v, .skip, "chained: the interfaces and addresses belong to the provider")
        }
        let target = r.ips.first { ip in
            guard let idx = ip.interface, r.interfaces.indices.contains(idx) else { return false }
            return !(r.interfaces[idx]["sandbox"]?.string ?? "").isEmpty
        }
        guard let target, let idx = target.interface, let name = r.interfaces[idx]["name"]?.string else {
            return record(.checkDetectsChange, v, .skip, "the result lists no address in the container netns to remove")
        }
        let change: [String] = name == "lo" ? ["-n", a.netnsName, "link", "set", "lo", "down"] : ["-n", a.netnsName, "addr", "del", target.address, "dev", name]
        let what = name == "lo" ? "lo set down" : "\(target.address) removed from \(name)"
        do { try IPRoute.run(change) } catch {
            return record(.checkDetectsChange, v, .skip, "could not make the change (\(what)): \(error)")
        }
        let checks = invoker.check(c, a, prev: r)
        // Undo it, so DEL (del.cleans) sees the attachment as ADD left it.
        let undo: [String] = name == "lo" ? ["-n", a.netnsName, "link", "set", "lo", "up"] : ["-n", a.netnsName, "addr", "add", target.address, "dev", name]
        _ = try? IPRoute.run(undo)
        if let bad = CTRunner.failures(checks).first {
            if let m = bad.misbehaviour {
                record(.checkDetectsChange, v, .fail, "CHECK \(m)", traces: [bad.trace])
            } else {
                record(.checkDetectsChange, v, .pass, "CHECK failed after \(what): \(bad.summary)")
            }
        } else {
            record(.checkDetectsChange, v, .fail, "CHECK passed although \(what)", traces: checks.map(\.trace))
        }
    }

    func addTwice(_ c: CTChain) {
        let v = c.version
        guard let a = attachment() else { return }
        defer { done(a) }
        let before = world.links()
        let first = invoker.add(c, a)
        guard first.ok, let r1 = first.result else {
            _ = invoker.del(c, a, prev: nil)
            return record(.addTwice, v, .skip, "the first ADD failed")
        }
        let links1 = world.links(a.netnsName).map(\.name).sorted()
        let addrs1 = world.addresses(a.netnsName).map { "\($0.ifName) \($0.cidr)" }.sorted()
        let leases1 = observesLeases ? world.leases(of: a.containerID) : []
        let second = invoker.add(c, a)
        var problems: [String] = []
        if second.ok, let r2 = second.result {
            let s1 = Set(r1.ips.map(\.address)), s2 = Set(r2.ips.map(\.address))
            let n1 = r1.interfaces.compactMap { $0["name"]?.string }, n2 = r2.interfaces.compactMap { $0["name"]?.string }
            if s1 != s2 || n1 != n2 {
                problems.append("the second ADD succeeded with another result (\(resultSummary(r2)) instead of \(resultSummary(r1)))")
            }
        } else if let bad = second.execs.last, let m = bad.misbehaviour {
            problems.append("the second ADD \(m)")
        }
        let links2 = world.links(a.netnsName).map(\.name).sorted()
        let addrs2 = world.addresses(a.netnsName).map { "\($0.ifName) \($0.cidr)" }.sorted()
        let leases2 = observesLeases ? world.leases(of: a.containerID) : []
        if links2 != links1 { problems.append("netns links \(links1) became \(links2)") }
        if addrs2 != addrs1 { problems.append("netns addresses \(addrs1) became \(addrs2)") }
        if leases2 != leases1 {
            problems.append(leases2.count < leases1.count ? "the failed second ADD released the first ADD's lease (\(leases1) → \(leases2))"
                                                          : "leases \(leases1) became \(leases2)")
        }
        let how = second.ok ? "returned the same result" : "failed (\(second.problem ?? "error"))"
        if problems.isEmpty {
            record(.addTwice, v, .pass, "second ADD \(how); nothing added")
        } else {
            record(.addTwice, v, .fail, problems.joined(separator: "; "), traces: [second.lastTrace])
        }
        _ = invoker.del(c, a, prev: r1)
        _ = before
    }

    func delWithoutAdd(_ c: CTChain) {
        let v = c.version
        guard let a = attachment() else { return }
        defer { done(a) }
        let before = world.links()
        let dels = invoker.del(c, a, prev: nil)
        if let bad = CTRunner.failures(dels).first {
            record(.delWithoutAdd, v, .fail, CTRunner.describe(dels), traces: [bad.trace])
        } else {
            let left = leftovers(a, before: before)
            if left.isEmpty { record(.delWithoutAdd, v, .pass, "DEL of an unknown attachment succeeded") } else {
                record(.delWithoutAdd, v, .fail, "DEL with no ADD made something: " + left.joined(separator: "; "), traces: dels.map(\.trace))
            }
        }
    }

    func delNetnsGone(_ c: CTChain) {
        let v = c.version
        guard let a = attachment() else { return }
        let before = world.links()
        let add = invoker.add(c, a)
        guard add.ok else {
            _ = invoker.del(c, a, prev: nil)
            done(a)
            return record(.delNetnsGone, v, .skip, "ADD failed")
        }
        done(a)
        // The path stays in CNI_NETNS, now pointing nowhere (what most runtimes send).
        let dels = invoker.del(c, a, prev: add.result)
        if let bad = CTRunner.failures(dels).first {
            record(.delNetnsGone, v, .fail, CTRunner.describe(dels), traces: [bad.trace])
        } else {
            let left = leftovers(a, before: before, netnsGone: true)
            if left.isEmpty { record(.delNetnsGone, v, .pass, "DEL succeeded\(observesLeases ? " and released the lease" : "")") } else {
                record(.delNetnsGone, v, .fail, left.joined(separator: "; "), traces: dels.map(\.trace))
            }
        }
    }

    func delNoPrevResult(_ c: CTChain) {
        let v = c.version
        if c.cniVersion < .v040 { return record(.delNoPrevResult, v, .skip, "before 0.4.0 DEL never has a prevResult (del.cleans covers it)") }
        guard let a = attachment() else { return }
        defer { done(a) }
        let before = world.links()
        let add = invoker.add(c, a)
        guard add.ok else {
            _ = invoker.del(c, a, prev: nil)
            return record(.delNoPrevResult, v, .skip, "ADD failed")
        }
        let dels = invoker.del(c, a, prev: nil)
        if let bad = CTRunner.failures(dels).first {
            record(.delNoPrevResult, v, .fail, CTRunner.describe(dels), traces: [bad.trace])
            _ = invoker.del(c, a, prev: add.result)
        } else {
            // Links are del.cleans' business; here the lease and iptables rules must go.
            let left = leftovers(a, before: before, links: false)
            if left.isEmpty { record(.delNoPrevResult, v, .pass, "DEL without prevResult cleaned up") } else {
                record(.delNoPrevResult, v, .fail, left.joined(separator: "; "), traces: dels.map(\.trace))
                _ = invoker.del(c, a, prev: add.result)
            }
        }
    }

    // MARK: GC and STATUS (1.1)

    func gcExec(_ c: CTChain, valid: [CTAttachment]) -> [CTExec] {
        let list = JSON.array(valid.map { ["containerID": .string($0.containerID), "ifname": .string($0.ifName)] })
        return c.subject.map { i in
            var o = CNIPluginConfig.build(c.plugins[i], name: c.name, cniVersion: c.version, prevResult: nil, capabilityArgs: JSONObject())
            o["cni.dev/valid-attachments"] = list
            o["cni.dev/attachments"] = list
            return invoker.exec(network: c.name, type: c.type(i), command: "GC", stdin: Array(o.compact.utf8), rt: nil)
        }
    }

    func gc(_ c: CTChain) {
        let v = c.version
        if c.cniVersion < .v110 {
            record(.gcKeepsValid, v, .skip, "GC exists from 1.1.0")
            record(.gcReleasesStale, v, .skip, "GC exists from 1.1.0")
            return
        }
        guard let live = attachment(), let killed = attachment() else { return }
        defer { done(live); done(killed) }
        let a1 = invoker.add(c, live), a2 = invoker.add(c, killed)
        guard a1.ok, a2.ok else {
            _ = invoker.del(c, live, prev: a1.result)
            _ = invoker.del(c, killed, prev: a2.result)
            record(.gcKeepsValid, v, .skip, "ADD failed")
            record(.gcReleasesStale, v, .skip, "ADD failed")
            return
        }
        let leasesLive = world.leases(of: live.containerID)
        let linksLive = world.links(live.netnsName).map(\.name)
        let g1 = gcExec(c, valid: [live])
        if let bad = CTRunner.failures(g1).first {
            record(.gcKeepsValid, v, .fail, CTRunner.describe(g1), traces: [bad.trace])
        } else {
            var p: [String] = []
            if world.leases(of: live.containerID) != leasesLive { p.append("GC released the live attachment's lease \(leasesLive)") }
            if world.links(live.netnsName).map(\.name) != linksLive { p.append("GC changed the live attachment's links") }
            if p.isEmpty { record(.gcKeepsValid, v, .pass, "the live attachment kept everything") } else {
                record(.gcKeepsValid, v, .fail, p.joined(separator: "; "), traces: g1.map(\.trace))
            }
        }
        let g2 = gcExec(c, valid: [])
        if let bad = CTRunner.failures(g2).first {
            record(.gcReleasesStale, v, .fail, CTRunner.describe(g2), traces: [bad.trace])
        } else if !observesLeases {
            record(.gcReleasesStale, v, .skip, "GC succeeded; its IPAM's leases are not observable (podrig reads host-local's)")
        } else {
            let left = world.leases(of: killed.containerID)
            if left.isEmpty { record(.gcReleasesStale, v, .pass, "the killed attachment's lease was released") } else {
                record(.gcReleasesStale, v, .fail, "lease of the killed attachment still held: \(left.joined(separator: ", "))", traces: g2.map(\.trace))
            }
        }
        _ = invoker.del(c, live, prev: a1.result)
        _ = invoker.del(c, killed, prev: a2.result)
    }

    func status(_ c: CTChain) {
        let v = c.version
        if c.cniVersion < .v110 { return record(.statusWellFormed, v, .skip, "STATUS exists from 1.1.0") }
        for i in c.subject {
            let o = CNIPluginConfig.build(c.plugins[i], name: c.name, cniVersion: v, prevResult: nil, capabilityArgs: JSONObject())
            let e = invoker.exec(network: c.name, type: c.type(i), command: "STATUS", stdin: Array(o.compact.utf8), rt: nil)
            if let m = e.misbehaviour {
                record(.statusWellFormed, v, .fail, "\(c.type(i)) STATUS \(m)", traces: [e.trace])
            } else if e.ok {
                record(.statusWellFormed, v, .pass, "\(c.type(i)): ready")
            } else if let pe = e.pluginError, pe.code != nil {
                record(.statusWellFormed, v, .pass, "\(c.type(i)): not ready, code \(pe.code!) (\(CTExec.clip(pe.msg)))")
            } else {
                record(.statusWellFormed, v, .fail, "\(c.type(i)) STATUS \(e.summary)", traces: [e.trace])
            }
        }
    }

    // MARK: once per run

    func onceChecks(_ c: CTChain) {
        let v = c.version
        if mode == .chained, !providerSpeaks(v) { return }
        let subjectIndex = c.subject.last ?? 0
        let subject = c.plugins[subjectIndex]
        let type = c.type(subjectIndex)
        if wants(.versionUnsupported) {
            var o = CNIPluginConfig.build(subject, name: c.name, cniVersion: "99.0.0", prevResult: nil, capabilityArgs: JSONObject())
            o["cniVersion"] = "99.0.0"
            badInput(.versionUnsupported, c, type: type, stdin: Array(o.compact.utf8), codes: [1], what: "cniVersion 99.0.0")
        }
        if wants(.inputMalformed) {
            let text = #"{"cniVersion":"\#(v)","name":"\#(c.name)","type":"\#(type)","ipam":{"#
            badInput(.inputMalformed, c, type: type, stdin: Array(text.utf8), codes: [6, 7], what: "a truncated config")
        }
        let good = invoker.stdin(c, subjectIndex, prev: nil, attachment(dummy: true))
        if wants(.inputMissingNetns) {
            badInput(.inputMissingNetns, c, type: type, stdin: good, codes: [4, 7], what: "CNI_NETNS unset", netns: "")
        }
        if wants(.inputBadContainerID) {
            badInput(.inputBadContainerID, c, type: type, stdin: good, codes: [4, 7], what: "CNI_CONTAINERID \"-bad id/\"", containerID: "-bad id/")
        }
        if wants(.inputK8sArgs) { k8sArgs(c) }
        if wants(.concurrency) { concurrency(c) }
    }

    func attachment(dummy: Bool) -> CTAttachment {
        CTAttachment(containerID: "unused", netnsName: "", netnsPath: "", ifName: options.ifName, index: 0)
    }

    /// One ADD of `type` alone with bad input: it must fail with one of `codes` and an error JSON,
    /// without crashing, hanging or panicking. Anything it made is DELed again.
    func badInput(_ rule: CTRule, _ c: CTChain, type: String, stdin: [UInt8], codes: Set<Int>, what: String,
                  netns: String? = nil, containerID: String? = nil) {
        guard var a = attachment() else { return }
        defer { done(a) }
        let realID = a.containerID
        if let containerID { a.containerID = containerID }
        var rt = a.rt
        if let netns { rt.netns = netns }
        let e = invoker.exec(network: c.name, type: type, command: "ADD", stdin: stdin, rt: rt)
        if e.ok {
            record(rule, nil, .fail, "ADD with \(what) succeeded", traces: [e.trace])
            var cleanup = a
            cleanup.containerID = containerID ?? realID
            _ = invoker.del(c, cleanup, prev: nil)
            return
        }
        if let m = e.misbehaviour { return record(rule, nil, .fail, "ADD with \(what) \(m)", traces: [e.trace]) }
        guard let pe = e.pluginError, let code = pe.code else {
            return record(rule, nil, .fail, "ADD with \(what): \(e.summary)", traces: [e.trace])
        }
        if codes.contains(code) {
            record(rule, nil, .pass, "code \(code): \(CTExec.clip(pe.msg, 80))")
        } else {
            record(rule, nil, .fail, "ADD with \(what) failed with code \(code), want \(codes.sorted().map(String.init).joined(separator: " or ")): \(CTExec.clip(pe.msg, 80))", traces: [e.trace])
        }
    }

    func k8sArgs(_ c: CTChain) {
        guard let probe = attachment() else { return }
        done(probe)
        let args = CNIRuntimeConf.kubernetesArgs(namespace: "conformance", name: "ct-\(world.run)", sandboxID: probe.containerID,
                                                 uid: "00000000-0000-0000-0000-\(world.run)000000") + [("PODRIG_UNKNOWN_KEY", "1")]
        guard let a = attachment(args: args) else { return }
        defer { done(a) }
        let add = invoker.add(c, a)
        if add.ok {
            record(.inputK8sArgs, nil, .pass, "ADD with IgnoreUnknown=1, K8S_* and an unknown key succeeded")
        } else {
            record(.inputK8sArgs, nil, .fail, add.problem ?? "ADD failed", traces: [add.lastTrace])
        }
        _ = invoker.del(c, a, prev: add.result)
    }

    func concurrency(_ c: CTChain) {
        let n = options.parallel
        if n < 2 { return record(.concurrency, nil, .skip, "--parallel \(n) (one attachment at a time for this plugin)") }
        var atts: [CTAttachment] = []
        for _ in 0..<n { if let a = attachment() { atts.append(a) } }
        defer { for a in atts { done(a) } }
        final class Slots: @unchecked Sendable {
            var adds: [CTAdd]
            var dels: [[CTExec]]
            init(_ n: Int) { adds = Array(repeating: CTAdd(), count: n); dels = Array(repeating: [], count: n) }
        }
        let slots = Slots(atts.count)
        let inv = invoker, chain = c, list = atts
        parallel(list.count) { i in slots.adds[i] = inv.add(chain, list[i], readTrace: false) }
        var problems: [String] = []
        var traces: [Int] = []
        var seen: [String: String] = [:]
        for (i, a) in atts.enumerated() {
            var add = slots.adds[i]
            for k in add.execs.indices { invoker.fill(&add.execs[k], lastFor: a.containerID, command: "ADD") }
            slots.adds[i] = add
            guard add.ok, let r = add.result else {
                problems.append("ADD #\(i + 1): \(add.problem ?? "failed")")
                traces.append(add.lastTrace)
                continue
            }
            for ip in r.ips where !CTRunner.isLoopback(ip.ip) {
                if let other = seen[ip.ip] {
                    problems.append("\(ip.ip) given to both \(other) and \(a.containerID)")
                    traces.append(add.lastTrace)
                }
                seen[ip.ip] = a.containerID
            }
        }
        parallel(list.count) { i in slots.dels[i] = inv.del(chain, list[i], prev: slots.adds[i].result, readTrace: false) }
        for (i, a) in atts.enumerated() {
            for var e in slots.dels[i] where !e.ok {
                invoker.fill(&e, lastFor: a.containerID, command: "DEL")
                problems.append("DEL #\(i + 1): \(e.plugin) \(e.summary)")
                traces.append(e.trace)
            }
            let left = leftovers(a, before: [], leasesOnly: true)
            if !left.isEmpty { problems.append("#\(i + 1): " + left.joined(separator: "; ")) }
        }
        if problems.isEmpty {
            record(.concurrency, nil, .pass, "\(atts.count) parallel ADDs: \(seen.count) distinct addresses; DELs released everything")
        } else {
            record(.concurrency, nil, .fail, problems.joined(separator: "; "), traces: traces)
        }
    }

    func timing() {
        guard wants(.timing) else { return }
        let types = Set(subjectTypes())
        func median(_ xs: [Double]) -> String {
            guard !xs.isEmpty else { return "-" }
            let s = xs.sorted()
            let m = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            return "\((m * 10).rounded() / 10) ms"
        }
        let adds = invoker.durations(types: types, command: "ADD"), dels = invoker.durations(types: types, command: "DEL")
        record(.timing, nil, .info, "median ADD \(median(adds)) (\(adds.count) execs), DEL \(median(dels)) (\(dels.count) execs)")
    }

    func finalLeaks() {
        guard wants(.noLeaks) else { return }
        var p: [String] = []
        let leases = world.allLeases()
        if !leases.isEmpty { p.append("leases: \(leases.joined(separator: ", "))") }
        let rules = world.iptablesLines(naming: "podrig-ct-\(world.run)-")
        if !rules.isEmpty { p.append("\(rules.count) iptables rule(s) name test containers") }
        var links = newNodeLinks(since: baseline)
        for _ in 0..<60 where links.contains(where: { $0.kind == "veth" }) {
            // Peers of veths in deleted netns go asynchronously.
            usleep(50_000)
            links = newNodeLinks(since: baseline)
        }
        if !links.isEmpty { p.append("node links: \(links.map(\.name).joined(separator: ", "))") }
        let netns = world.remainingNamespaces().filter { $0 != world.node }
        if !netns.isEmpty { p.append("netns: \(netns.joined(separator: ", "))") }
        if p.isEmpty { record(.noLeaks, nil, .pass, "no lease, link, iptables rule or netns left") } else {
            record(.noLeaks, nil, .fail, p.joined(separator: "; "))
        }
    }

    // MARK: helpers

    /// podrig's prevResult provider for chained subjects: dual-stack bridge + host-local in the node.
    static func provider(_ world: CTWorld) -> JSONObject {
        JSONObject([
            ("type", "bridge"), ("bridge", "pr-ctbr0"), ("isGateway", true),
            ("ipam", ["type": "host-local", "dataDir": .string(world.ipamDirectory),
                      "ranges": [[["subnet": "10.234.0.0/24"]], [["subnet": "fd00:234::/64"]]]]),
        ])
    }

    static func usesHostLocal(_ p: JSONObject) -> Bool {
        p["type"]?.string == "host-local" || p["ipam"]?["type"]?.string == "host-local"
    }

    static func privateIPAM(_ p: JSONObject, _ dir: String) -> JSONObject {
        guard p["ipam"]?["type"]?.string == "host-local", case .object(var ipam)? = p["ipam"] else { return p }
        var o = p
        ipam["dataDir"] = .string(dir)
        o["ipam"] = .object(ipam)
        return o
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return path }
        return String(cString: buf) + "/" + path
    }

    static func isLoopback(_ ip: String) -> Bool { ip.hasPrefix("127.") || ip == "::1" }

    /// Address bytes, so "fd00:0::2" and "fd00::2" compare equal.
    static func bytes(_ ip: String) -> [UInt8]? {
        var a4 = in_addr()
        if inet_pton(AF_INET, ip, &a4) == 1 { return withUnsafeBytes(of: &a4) { Array($0) } }
        var a6 = in6_addr()
        if inet_pton(AF_INET6, ip, &a6) == 1 { return withUnsafeBytes(of: &a6) { Array($0) } }
        return nil
    }

    static func sameIP(_ a: String, _ b: String) -> Bool {
        guard let x = bytes(a), let y = bytes(b) else { return a == b }
        return x == y
    }

    static func sameCIDR(_ a: String, _ b: String) -> Bool {
        let pa = a.split(separator: "/"), pb = b.split(separator: "/")
        guard pa.count == 2, pb.count == 2 else { return a == b }
        return pa[1] == pb[1] && sameIP(String(pa[0]), String(pb[0]))
    }
}
