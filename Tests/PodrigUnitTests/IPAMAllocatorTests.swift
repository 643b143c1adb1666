import PodrigCore
import PodrigIPAM
import Testing

/// podrig-ipam's rules without a plugin exec: host-local's config and round robin, requested
/// IPs, sticky reservations under an injected clock, GC and exhaustion.
@Suite struct IPAMAllocatorTests {
    static let hour: Int64 = 3_600_000_000_000

    func config(_ ipam: String, version: String = "1.0.0", extra: String = "") throws -> IPAMConfig {
        try IPAMConfig.parse(try JSONParser.parse(#"{"cniVersion":"\#(version)","name":"net1","ipam":\#(ipam)\#(extra)}"#))
    }

    func ips(_ got: [IPAMAssignment]) -> [String] { got.map { $0.ip.description } }

    let dual = #"{"type":"podrig-ipam","ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd01::/64"}]],"reservation":{"ttl":"1h"}}"#

    @Test func canonicalizesRangesAsHostLocal() throws {
        let c = try config(#"{"type":"podrig-ipam","subnet":"10.2.0.0/24","ranges":[[{"subnet":"fd02::/120","rangeStart":"fd02::10","rangeEnd":"fd02::20","gateway":"fd02::fe"}]]}"#)
        #expect(c.rangeSets.count == 2)
        let v4 = c.rangeSets[0].ranges[0]
        #expect(v4.gateway.description == "10.2.0.1" && v4.rangeStart.description == "10.2.0.1" && v4.rangeEnd.description == "10.2.0.254")
        let v6 = c.rangeSets[1].ranges[0]
        #expect(v6.rangeStart.description == "fd02::10" && v6.rangeEnd.description == "fd02::20" && v6.gateway.description == "fd02::fe")
        #expect(c.dataDir == "/var/lib/cni/networks" && c.reservationTTL == nil)
        #expect(v4.capacity == 253 && v6.capacity == 17)
    }

    @Test(arguments: [
        (#"{"ranges":[[{"subnet":"10.0.0.5/24"}]]}"#, "host bits set"),
        (#"{"ranges":[[{"subnet":"10.0.0.0/31"}]]}"#, "too small"),
        (#"{"ranges":[[{"subnet":"10.0.0.0/24","gateway":"10.0.1.1"}]]}"#, "not in network"),
        (#"{"ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.9","rangeEnd":"10.0.0.3"}]]}"#, "before rangeStart"),
        (#"{"ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"fd00::/64"}]]}"#, "mixed address families"),
        (#"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"10.0.0.0/25"}]]}"#, "overlaps"),
        (#"{"ranges":[[{"subnet":"nope"}]]}"#, "invalid CIDR"),
        (#"{"ranges":[]}"#, "no IP ranges"),
        (#"{"ranges":[[{"subnet":"10.0.0.0/24"}]],"reservation":{"ttl":"soon"}}"#, "not a duration"),
    ]) func rejectsBadConfigs(ipam: String, message: String) {
        #expect {
            _ = try config(ipam)
        } throws: { ($0 as? PodrigError)?.message.contains(message) == true }
    }

    @Test func roundRobinSkipsGatewayAndDoesNotReuseFreedFirst() throws {
        let c = try config(#"{"ranges":[[{"subnet":"10.3.0.0/29"}]]}"#)
        var a = IPAMAllocator(config: c, table: LeaseTable(network: "net1"), now: 0)
        #expect(ips(try a.add(.init(containerID: "a", ifName: "eth0"), requested: [])) == ["10.3.0.2"])
        #expect(ips(try a.add(.init(containerID: "b", ifName: "eth0"), requested: [])) == ["10.3.0.3"])
        a.del(.init(containerID: "a", ifName: "eth0"))
        #expect(a.table.leases.count == 1)  // not sticky: gone
        #expect(ips(try a.add(.init(containerID: "c", ifName: "eth0"), requested: [])) == ["10.3.0.4"])
        for id in ["d", "e", "f"] { _ = try a.add(.init(containerID: id, ifName: "eth0"), requested: []) }
        // .5 and .6 then the wrap back to .2 (the gateway .1 never), then exhausted.
        #expect(Set(a.table.leases.map(\.ip.description)) == ["10.3.0.2", "10.3.0.3", "10.3.0.4", "10.3.0.5", "10.3.0.6"])
        #expect(a.exhausted().count == 1)
        #expect(throws: IPAMFailure.self) { try a.add(.init(containerID: "g", ifName: "eth0"), requested: []) }
    }

    @Test func rangeStartEndAndSeveralRangesInASet() throws {
        let c = try config(#"{"ranges":[[{"subnet":"10.4.0.0/24","rangeStart":"10.4.0.100","rangeEnd":"10.4.0.101"},{"subnet":"10.5.0.0/24","rangeStart":"10.5.0.7","rangeEnd":"10.5.0.7"}]]}"#)
        var a = IPAMAllocator(config: c, table: LeaseTable(network: "net1"), now: 0)
        var got: [String] = []
        for id in ["a", "b", "c"] { got += ips(try a.add(.init(containerID: id, ifName: "eth0"), requested: [])) }
        #expect(got == ["10.4.0.100", "10.4.0.101", "10.5.0.7"])
        do {
            _ = try a.add(.init(containerID: "d", ifName: "eth0"), requested: [])
            Issue.record("expected exhaustion")
        } catch {
            #expect(error.kind == .exhausted && error.message.contains("no IP addresses available in range set"))
        }
    }

    @Test func customGatewayInsideTheRangeIsNeverHandedOut() throws {
        let c = try config(#"{"ranges":[[{"subnet":"10.6.0.0/24","rangeStart":"10.6.0.10","rangeEnd":"10.6.0.12","gateway":"10.6.0.11"}]]}"#)
        var a = IPAMAllocator(config: c, table: LeaseTable(network: "net1"), now: 0)
        #expect(ips(try a.add(.init(containerID: "a", ifName: "eth0"), requested: [])) == ["10.6.0.10"])
        #expect(ips(try a.add(.init(containerID: "b", ifName: "eth0"), requested: [])) == ["10.6.0.12"])
        #expect(c.rangeSets[0].capacity == 2 && a.exhausted().count == 1)
        #expect(throws: IPAMFailure.self) { try a.add(.init(containerID: "c", ifName: "eth0"), requested: [IPAddr("10.6.0.11")!]) }
    }

    @Test func duplicateAddForAnAttachmentIsRefused() throws {
        var a = IPAMAllocator(config: try config(dual), table: LeaseTable(network: "net1"), now: 0)
        _ = try a.add(.init(containerID: "a", ifName: "eth0"), requested: [])
        #expect(throws: IPAMFailure.self) { try a.add(.init(containerID: "a", ifName: "eth0"), requested: []) }
        // Another interface of the same container is another attachment.
        #expect(try a.add(.init(containerID: "a", ifName: "net1"), requested: []).count == 2)
    }

    @Test func requestedIPsFromEverySourceAndTheirErrors() throws {
        let raw = try JSONParser.parse(#"{"args":{"cni":{"ips":["10.1.0.20"]}},"runtimeConfig":{"ips":["fd01::20/64"],"io.kubernetes.cri.pod-annotations":{"podrig.dev/ip-addresses":"10.1.0.21, fd01::21","cni.projectcalico.org/ipAddrs":"[\"10.1.0.22\"]"}}}"#)
        let r = try IPAMRequest.parse(cniArgs: "IgnoreUnknown=1;IP=10.1.0.19;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web-0;Other=x", config: raw)
        #expect(r.requested.map(\.description) == ["10.1.0.19", "10.1.0.20", "fd01::20", "10.1.0.21", "fd01::21", "10.1.0.22"])
        #expect(r.pod == "ns/web-0")
        #expect(throws: PodrigError.self) { try IPAMRequest.parse(cniArgs: "Other=x", config: .object(JSONObject())) }
        #expect(throws: PodrigError.self) { try IPAMRequest.parse(cniArgs: "IP=10.1.0.300", config: .object(JSONObject())) }

        var a = IPAMAllocator(config: try config(dual), table: LeaseTable(network: "net1"), now: 0)
        let got = try a.add(.init(containerID: "a", ifName: "eth0", pod: "ns/a"), requested: [IPAddr("fd01::7")!, IPAddr("10.1.0.7")!])
        #expect(ips(got) == ["10.1.0.7", "fd01::7"])
        func failure(_ ip: String, pod: String = "ns/b") -> String {
            do { _ = try a.add(.init(containerID: "b", ifName: "eth0", pod: pod), requested: [IPAddr(ip)!]); return "" } catch { return error.message }
        }
        #expect(failure("10.1.0.7").contains("10.1.0.7 is allocated to pod ns/a (container a, eth0)"))
        #expect(failure("10.1.0.1").contains("subnet's gateway"))
        #expect(failure("10.9.0.1").contains("10.9.0.1 (not in any range of network net1"))
        a.del(.init(containerID: "a", ifName: "eth0"))
        #expect(failure("10.1.0.7").contains("10.1.0.7 is reserved for pod ns/a"))
        #expect(a.table.leases.count == 2)  // the failures changed nothing
    }

    @Test func stickyPodGetsItsAddressesBackUntilTheTTL() throws {
        let c = try config(dual)
        var a = IPAMAllocator(config: c, table: LeaseTable(network: "net1"), now: 0)
        let web = IPAMAttachment(containerID: "sb1", ifName: "eth0", pod: "default/web-0")
        let first = ips(try a.add(web, requested: []))
        a.del(web)
        #expect(a.table.leases.allSatisfy { $0.state == .reserved && $0.expires == Self.hour })
        // Another pod meanwhile gets other addresses.
        var b = IPAMAllocator(config: c, table: a.table, now: Self.hour / 2)
        let other = ips(try b.add(.init(containerID: "sb2", ifName: "eth0", pod: "default/other"), requested: []))
        #expect(Set(other).isDisjoint(with: first))
        // The pod's new sandbox gets the same addresses in both families.
        var c2 = IPAMAllocator(config: c, table: b.table, now: Self.hour / 2)
        #expect(ips(try c2.add(.init(containerID: "sb3", ifName: "eth0", pod: "default/web-0"), requested: [])) == first)
        // Down again; after the TTL the reservation is reclaimed and anyone may get it.
        c2.del(.init(containerID: "sb3", ifName: "eth0"))
        var d = IPAMAllocator(config: c, table: c2.table, now: Self.hour / 2 + Self.hour + 1)
        let late = try d.add(.init(containerID: "sb4", ifName: "eth0", pod: "default/late"), requested: [IPAddr(first[0])!])
        #expect(late[0].ip.description == first[0])
        #expect(!d.table.leases.contains { $0.pod == "default/web-0" })
    }

    @Test func aPodHoldingItsAddressLiveCannotGetASecondSandbox() throws {
        var a = IPAMAllocator(config: try config(dual), table: LeaseTable(network: "net1"), now: 0)
        _ = try a.add(.init(containerID: "sb1", ifName: "eth0", pod: "default/web-0"), requested: [])
        do {
            _ = try a.add(.init(containerID: "sb2", ifName: "eth0", pod: "default/web-0"), requested: [])
            Issue.record("expected a refusal")
        } catch {
            #expect(error.message.contains("pod default/web-0 already holds 10.1.0.2"))
        }
    }

    @Test func handMadeReservationIsTakenByItsPodOnly() throws {
        var t = LeaseTable(network: "net1")
        t.leases.append(Lease(ip: IPAddr("10.1.0.50")!, state: .reserved, containerID: "", ifName: "", pod: "db/db-0", since: 0))
        var a = IPAMAllocator(config: try config(dual), table: t, now: 10 * Self.hour)
        #expect(!ips(try a.add(.init(containerID: "x", ifName: "eth0", pod: "db/other"), requested: [])).contains("10.1.0.50"))
        #expect(ips(try a.add(.init(containerID: "y", ifName: "eth0", pod: "db/db-0"), requested: []))[0] == "10.1.0.50")
    }

    @Test func gcReleasesWhatIsNotValidAndKeepsReservations() throws {
        let c = try config(dual)
        var a = IPAMAllocator(config: c, table: LeaseTable(network: "net1"), now: 0)
        _ = try a.add(.init(containerID: "live", ifName: "eth0"), requested: [])
        _ = try a.add(.init(containerID: "dead", ifName: "eth0"), requested: [])
        _ = try a.add(.init(containerID: "deadpod", ifName: "eth0", pod: "ns/p"), requested: [])
        _ = try a.add(.init(containerID: "gone", ifName: "eth0", pod: "ns/q"), requested: [])
        a.del(.init(containerID: "gone", ifName: "eth0"))
        let changed = a.gc(valid: ["live/eth0"])
        #expect(changed)
        let live = a.table.leases.filter { $0.state == .allocated }.map(\.containerID)
        #expect(Set(live) == ["live"])
        #expect(Set(a.table.leases.filter { $0.state == .reserved }.compactMap(\.pod)) == ["ns/p", "ns/q"])
        var later = IPAMAllocator(config: c, table: a.table, now: 2 * Self.hour)
        let reaped = later.gc(valid: ["live/eth0"])
        #expect(reaped)
        #expect(later.table.leases.count == 2 && later.table.leases.allSatisfy { $0.containerID == "live" })
    }

    @Test func tableRoundTripsAndBadFilesAreClearErrors() throws {
        var a = IPAMAllocator(config: try config(dual), table: LeaseTable(network: "net1"), now: 42)
        _ = try a.add(.init(containerID: "a", ifName: "eth0", pod: "ns/a", podUID: "u1"), requested: [])
        a.del(.init(containerID: "a", ifName: "eth0"))
        _ = try a.add(.init(containerID: "b", ifName: "eth0"), requested: [])
        let back = try LeaseTable.decode(a.table.encoded(), path: "t")
        #expect(back.leases.sorted { $0.ip < $1.ip } == a.table.leases.sorted { $0.ip < $1.ip })
        #expect(back.lastReserved == a.table.lastReserved && back.reservationTTL == Self.hour)
        // The hand-written lease lines escape as the JSON writer does, and read back.
        var odd = LeaseTable(network: "net1")
        odd.leases = [Lease(ip: IPAddr("10.1.0.7")!, state: .reserved, containerID: "", ifName: "", pod: "ns/q\"uo\\te\n\u{01}é☃", podUID: "u\t", since: -5, expires: 9),
                      Lease(ip: IPAddr("fd01::7")!, state: .allocated, containerID: "c", ifName: "eth0", pod: nil, since: 1)]
        let oddText = String(decoding: odd.encoded(), as: UTF8.self)
        #expect(oddText.contains(#"{"ip":"10.1.0.7","state":"reserved","containerID":"","ifname":"","pod":"ns/q\"uo\\te\n\u0001é☃","podUID":"u\t","since":-5,"expires":9}"#), "\(oddText)")
        #expect(try LeaseTable.decode(odd.encoded(), path: "t").leases == odd.leases)
        #expect(IPAddr("0.0.0.0")?.description == "0.0.0.0" && IPAddr("255.254.1.10")?.description == "255.254.1.10")
        // The line scanner (LeaseLines) and the general parser read the same tables alike: a
        // table as written, the same re-laid-out (general parser only), and cut short (an error).
        var many = LeaseTable(network: "net1")
        many.lastReserved[1] = IPAddr("fd01::9")
        for i in 2..<40 {
            many.leases.append(Lease(ip: IPAddr("10.1.0.\(i)")!, state: i % 3 == 0 ? .reserved : .allocated, containerID: "c\(i)", ifName: "eth0",
                                     pod: i % 2 == 0 ? "ns/p\(i)" : nil, podUID: i % 4 == 0 ? "u\(i)" : nil,
                                     since: 1_764_000_000_000_000_000 + Int64(i), expires: i % 3 == 0 ? 1_764_000_000_000_000_999 : nil))
        }
        let written = many.encoded()
        let fast = try LeaseTable.decode(written, path: "t")
        let general = try LeaseTable.decode(Array(try JSONParser.parse(bytes: written).pretty.utf8), path: "t")
        #expect(fast == general && fast.leases == many.leases && fast.lastReserved == many.lastReserved)
        #expect(throws: PodrigError.self) { try LeaseTable.decode(Array(written.prefix(written.count - 40)), path: "t") }
        let bad = String(decoding: written, as: UTF8.self).replacing(#""state":"allocated","containerID":"c2""#, with: #""state":"allocated","containerID":"""#)
        #expect(throws: PodrigError.self) { try LeaseTable.decode(Array(bad.utf8), path: "t") }
        var twice = back
        twice.leases.append(twice.leases[0])
        let dup = #"{"kind":"podrig-ipam/v1","network":"net1","leases":[{"ip":"10.1.0.9","state":"reserved","since":1},{"ip":"10.1.0.9","state":"reserved","since":2}]}"#
        for (bytes, message) in [([UInt8](), "is empty (0 bytes)"), (Array("{\"kind\":".utf8), "is corrupt"), (Array("[]".utf8), "not a podrig-ipam/v1"),
                                 (twice.encoded(), "is listed twice"), (Array(dup.utf8), "10.1.0.9 is listed twice")] {
            #expect {
                _ = try LeaseTable.decode(bytes, path: "/x/podrig-ipam.json")
            } throws: { e in
                let m = (e as? PodrigError)?.message ?? ""
                return m.contains(message) && m.contains("podrig ipam repair")
            }
        }
    }

    /// The hand-rolled stand-ins for hashed containers (IPAMPlugin.Environment, LastReserved)
    /// behave like the dictionaries they replace.
    @Test func environmentAndLastReservedActLikeDictionaries() {
        let env: IPAMPlugin.Environment = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c", "CNI_IFNAME": "eth0", "CNI_ARGS": "K=V", "PATH": "/x"]
        #expect(env.command == "ADD" && env.containerID == "c" && env.ifName == "eth0" && env.args == "K=V" && env.netns == "")
        let from = IPAMPlugin.Environment(["CNI_NETNS": "/n", "CNI_COMMAND": "DEL"])
        #expect(from.command == "DEL" && from.netns == "/n" && from.containerID == "")
        var last = LastReserved()
        #expect(last[0] == nil && last[5] == nil && last[-1] == nil && last.indices.isEmpty)
        last[2] = IPAddr("10.0.0.9")
        #expect(last[2]?.description == "10.0.0.9" && last[0] == nil && last.indices == 0..<3)
        var other = LastReserved()
        other[2] = IPAddr("10.0.0.9")
        #expect(other == last)
        // An index a stored table claims is bounded (no huge allocation from a bad file).
        let t = try? LeaseTable.decode(Array(#"{"kind":"podrig-ipam/v1","network":"n","lastReserved":{"99999999":"10.0.0.1","1":"10.0.0.2"},"leases":[]}"#.utf8), path: "t")
        #expect(t?.lastReserved[1]?.description == "10.0.0.2" && t?.lastReserved.indices == 0..<2)
    }

    @Test func durationsAndAddressArithmetic() throws {
        #expect(try IPAMDuration.parse("24h", what: "t") == 24 * Self.hour)
        #expect(try IPAMDuration.parse("1h30m", what: "t") == Self.hour * 3 / 2)
        #expect(try IPAMDuration.parse("500ms", what: "t") == 500_000_000)
        #expect(try IPAMDuration.parse("7d", what: "t") == 168 * Self.hour)
        #expect(throws: PodrigError.self) { try IPAMDuration.parse("-1h", what: "t") }
        #expect(throws: PodrigError.self) { try IPAMDuration.parse("h", what: "t") }
        #expect(IPAMDuration.format(90 * 60 * 1_000_000_000) == "1h30m")
        #expect(IPAddr("::ffff:10.0.0.1")?.description == "10.0.0.1")
        #expect(IPAddr("fd00::ffff:ffff:ffff:ffff")!.next.description == "fd00:0:0:1::")
        #expect(IPAddr("10.0.0.1")! < IPAddr("::1")!)
        #expect(IPAddr.count(from: IPAddr("fd00::")!, through: IPNet("fd00::/64")!.last) == .max)
        #expect(IPNet("10.0.0.0/8")!.contains(IPAddr("10.255.0.1")!) && !IPNet("10.0.0.0/8")!.contains(IPAddr("11.0.0.1")!))
        for bad in ["10.0.0.0", "10.0.0.0/", "/8", "10.0.0.0/8/1", "10.0.0.0/+8", "10.0.0.0/33", "::ffff:10.0.0.0/104", "fd00::/129"] {
            #expect(IPNet(bad) == nil, "\(bad)")
        }
        #expect(IPNet("fd00:1::/64")?.description == "fd00:1::/64" && IPAddr("10.0.0.7/24")?.description == "10.0.0.7")
    }
}

/// The plugin's CNI surface: error objects and codes, VERSION, result versions, the store on disk.
@Suite struct IPAMPluginTests {
    let dir = "/tmp/podrig-ipam-unit-\((try! Identifiers.newID()).prefix(8))"

    func run(_ command: String, _ stdin: String, id: String = "c1", args: String = "") -> (JSON, Int32) {
        var env = ["CNI_COMMAND": command, "CNI_CONTAINERID": id, "CNI_IFNAME": "eth0", "CNI_NETNS": "/x", "CNI_PATH": "/x"]
        if !args.isEmpty { env["CNI_ARGS"] = args }
        let o = IPAMPlugin.handle(env: env, stdin: Array(stdin.utf8), now: Time.nowNanos())
        return ((try? JSONParser.parse(o.stdout)) ?? .null, o.exitCode)
    }

    func conf(_ version: String = "1.0.0", ranges: String = #"[[{"subnet":"10.7.0.0/30"}]]"#) -> String {
        #"{"cniVersion":"\#(version)","name":"unit","ipam":{"type":"podrig-ipam","dataDir":"\#(dir)","ranges":\#(ranges),"routes":[{"dst":"0.0.0.0/0"}]}}"#
    }

    @Test func errorObjectsCarrySpecCodes() {
        defer { try? Files.removeTree(dir) }
        #expect(run("VERSION", "{}").0["supportedVersions"]?.array?.count == 5)
        #expect(run("FOO", conf()).0["code"]?.int == 4)
        #expect(run("ADD", "{nope").0["code"]?.int == 6)
        #expect(run("ADD", conf("0.2.0")).0["code"]?.int == 1)
        #expect(run("ADD", #"{"cniVersion":"1.0.0","name":"unit"}"#).0["code"]?.int == 7)
        #expect(run("ADD", conf(), id: "bad/id").0["code"]?.int == 4)
        let (e, rc) = run("GC", conf())
        #expect(rc == 1 && e["code"]?.int == 7 && e["msg"]?.string?.contains("valid-attachments") == true)
    }

    @Test func resultsFollowTheConfigVersionAndStatusSeesExhaustion() throws {
        defer { try? Files.removeTree(dir) }
        let (r, rc) = run("ADD", conf("0.3.1"))
        #expect(rc == 0 && r["cniVersion"]?.string == "0.3.1")
        #expect(r["ips"]?[0]?["version"]?.string == "4" && r["ips"]?[0]?["address"]?.string == "10.7.0.2/30")
        #expect(r["ips"]?[0]?["gateway"]?.string == "10.7.0.1" && r["routes"]?.array?.count == 1)
        // A /30 has one usable address besides the gateway: STATUS says not ready (50).
        let (s, src) = run("STATUS", conf("1.1.0"))
        #expect(src == 1 && s["code"]?.int == 50 && s["msg"]?.string?.contains("exhausted") == true)
        #expect(run("CHECK", conf("1.1.0")).1 == 0)
        #expect(run("CHECK", conf("1.1.0"), id: "c2").0["code"]?.int == 3)
        #expect(run("DEL", conf("1.1.0")).1 == 0)
        #expect(run("STATUS", conf("1.1.0")).1 == 0)
        #expect(run("DEL", conf("1.1.0")).1 == 0)  // DEL twice is fine
    }

    @Test func corruptStoreIsAClearErrorUntilRepaired() throws {
        defer { try? Files.removeTree(dir) }
        try Files.makeDirectories(dir + "/unit")
        try Files.writeAtomic(dir + "/unit/podrig-ipam.json", [UInt8](), sync: false)
        let (e, _) = run("ADD", conf())
        #expect(e["code"]?.int == 110 && e["msg"]?.string?.contains("is empty (0 bytes)") == true)
        #expect(run("STATUS", conf("1.1.0")).0["code"]?.int == 50)
    }
}

/// `podrig ipam reserve|release|repair` on a lease table under /tmp.
@Suite struct IPAMAdminTests {
    let dir = "/tmp/podrig-ipam-admin-\((try! Identifiers.newID()).prefix(8))"

    func config() throws -> IPAMConfig {
        try IPAMConfig.parse(try JSONParser.parse(#"{"cniVersion":"1.0.0","name":"adm","ipam":{"type":"podrig-ipam","dataDir":"\#(dir)","ranges":[[{"subnet":"10.8.0.0/24"}],[{"subnet":"fd08::/64"}]],"reservation":{"ttl":"1h"}}}"#))
    }

    @Test func reserveReleaseAndTheirRefusals() throws {
        defer { try? Files.removeTree(dir) }
        let c = try config()
        let store = try LeaseStore(directory: c.directory)
        var a = IPAMAllocator(config: c, table: try store.load(network: "adm"), now: 0)
        _ = try a.add(.init(containerID: "live", ifName: "eth0", pod: "ns/live"), requested: [IPAddr("10.8.0.9")!])
        try store.save(a.table)
        store.unlock()
        let l = try IPAMAdmin.reserve(c, ip: IPAddr("10.8.0.50")!, pod: "db/db-0", ttl: nil, now: 5)
        #expect(l.state == .reserved && l.expires == nil)
        for (ip, pod, message) in [("10.8.0.9", "db/x", "is allocated to pod ns/live"), ("10.8.0.50", "db/other", "is reserved for pod db/db-0"),
                                   ("10.8.0.1", "db/x", "gateway"), ("10.9.0.1", "db/x", "not in any range")] {
            #expect {
                _ = try IPAMAdmin.reserve(c, ip: IPAddr(ip)!, pod: pod, ttl: nil, now: 5)
            } throws: { ($0 as? PodrigError)?.message.contains(message) == true }
        }
        #expect(throws: PodrigError.self) { try IPAMAdmin.release(c, ip: IPAddr("10.8.0.9")!, force: false, now: 5) }
        #expect(try IPAMAdmin.release(c, ip: IPAddr("10.8.0.50")!, force: false, now: 5).pod == "db/db-0")
        #expect(try IPAMAdmin.read(c).leases.map(\.ip.description).sorted() == ["10.8.0.9", "fd08::2"])
        // A TTL of centuries (--ttl 100000d) ends at Int64's max rather than overflowing now + ttl (a trap).
        let centuries = try IPAMDuration.parse("100000d", what: "--ttl")
        #expect(try IPAMAdmin.reserve(c, ip: IPAddr("10.8.0.51")!, pod: "db/db-1", ttl: centuries, now: 1_796_000_000_000_000_000).expires == .max)
    }

    @Test func repairRebuildsAnUnreadableTableFromTheCache() throws {
        defer { try? Files.removeTree(dir) }
        let c = try config()
        try Files.makeDirectories(c.directory)
        try Files.writeAtomic(c.directory + "/" + LeaseStore.fileName, "garbage", sync: false)
        let cached = [
            IPAMRepair.Attachment(containerID: "a", ifName: "eth0", ips: ["10.8.0.2/24", "fd08::2/64"], cniArgs: [("K8S_POD_NAMESPACE", "ns"), ("K8S_POD_NAME", "a")]),
            IPAMRepair.Attachment(containerID: "b", ifName: "eth0", ips: ["10.8.0.2/24", "192.0.2.1/24"], cniArgs: []),
        ]
        let r = try IPAMRepair.run(c, attachments: cached, now: 7)
        #expect(r.setAside?.contains(".corrupt-") == true && r.restored.count == 2 && r.problems.count == 1)
        let t = try IPAMAdmin.read(c)
        #expect(t.leases.map(\.ip.description).sorted() == ["10.8.0.2", "fd08::2"] && t.leases.allSatisfy { $0.pod == "ns/a" })
        // A readable table is left alone.
        #expect(try IPAMRepair.run(c, attachments: [], now: 8).setAside == nil)
        #expect(try IPAMAdmin.read(c).leases.count == 2)
    }
}
