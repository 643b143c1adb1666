import PodrigCNI
import PodrigCore
import Testing

@Suite struct CNIResultTests {
    let v1 = #"{"cniVersion":"1.0.0","interfaces":[{"name":"br0","mac":"aa:bb:cc:dd:ee:ff"},{"name":"eth0","mac":"11:22:33:44:55:66","sandbox":"/run/netns/x"}],"ips":[{"interface":1,"address":"10.88.1.2/24","gateway":"10.88.1.1"},{"interface":1,"address":"fd00:88:1::2/64","gateway":"fd00:88:1::1"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"fd00:88:1::1"}],"dns":{"nameservers":["10.0.0.10"]},"custom":{"k":1}}"#

    func parse(_ s: String, _ config: String = "1.0.0") throws -> CNIResult {
        try CNIResult.parse(bytes: Array(s.utf8), configVersion: config)
    }

    @Test func parsesV1AndFindsSandboxIPs() throws {
        let r = try parse(v1)
        #expect(r.ips.count == 2 && r.interfaces.count == 2 && r.routes.count == 2)
        #expect(r.sandboxIPs(ifName: "eth0") == ["10.88.1.2", "fd00:88:1::2"])
        #expect(r.sandboxIPs(ifName: "net1") == [])
        #expect(r.extra["custom"] != nil)
    }

    @Test func roundTripsThroughEveryVersion() throws {
        let r = try parse(v1)
        for v in ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] {
            let j = try r.json(as: v)
            #expect(j["cniVersion"]?.string == v)
            let hasVersion = j["ips"]?[0]?["version"] != nil
            #expect(hasVersion == (v < "1.0.0"), "version field for \(v)")
            let back = try CNIResult.parse(j, configVersion: v)
            #expect(back.ips.map(\.address) == r.ips.map(\.address))
            #expect(back.sandboxIPs(ifName: "eth0") == r.sandboxIPs(ifName: "eth0"))
        }
        for v in ["0.1.0", "0.2.0"] {
            let j = try r.json(as: v)
            #expect(j["ip4"]?["ip"] == "10.88.1.2/24" && j["ip4"]?["gateway"] == "10.88.1.1")
            #expect(j["ip6"]?["ip"] == "fd00:88:1::2/64")
            #expect(j["ip4"]?["routes"]?.array?.count == 1 && j["ip6"]?["routes"]?[0]?["gw"] == "fd00:88:1::1")
            #expect(j["interfaces"] == nil)
            let back = try CNIResult.parse(j, configVersion: v)
            #expect(back.sandboxIPs(ifName: "eth0") == ["10.88.1.2", "fd00:88:1::2"])  // no interfaces: all IPs
        }
    }

    @Test func legacyResultUpgrades() throws {
        let old = #"{"cniVersion":"0.2.0","ip4":{"ip":"10.88.2.5/24","gateway":"10.88.2.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{}}"#
        let r = try parse(old, "0.2.0")
        let j = try r.json(as: "0.4.0")
        #expect(j["ips"]?[0]?["version"] == "4" && j["ips"]?[0]?["address"] == "10.88.2.5/24")
        #expect(j["ips"]?[0]?["interface"] == nil)
        #expect(j["routes"]?[0]?["dst"] == "0.0.0.0/0")
    }

    @Test func emptyVersionMeansTheConfigVersion() throws {
        let r = try parse(#"{"ips":[{"version":"4","address":"10.88.3.2/24"}]}"#, "0.3.1")
        #expect(r.cniVersion == "0.3.1")
    }

    @Test func invalidResultsAreRejected() {
        let bad = [
            #"{"cniVersion":"1.0.0","interfaces":[],"ips":[{"interface":0,"address":"10.0.0.2/24"}]}"#,
            #"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.999/24"}]}"#,
            #"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2"}]}"#,
            #"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/33"}]}"#,
            #"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24","gateway":"nope"}]}"#,
            #"{"cniVersion":"1.0.0","routes":[{"dst":"x"}]}"#,
            #"{"cniVersion":"7.0.0"}"#,
            #"[1]"#,
        ]
        for text in bad {
            #expect(throws: PodrigError.self, "\(text)") { try parse(text) }
        }
    }

    @Test func twoAddressesOfOneFamilyCannotGoTo020() throws {
        let r = try parse(#"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"},{"address":"10.0.0.3/24"}]}"#)
        #expect(throws: PodrigError.self) { try r.json(as: "0.2.0") }
    }

    @Test func podIPsInKubeletOrder() {
        let ips = ["fd00::2", "10.0.0.2", "10.0.0.3", "fd00::3"]
        #expect(PodIPs.select(ips, preferIPv6: false) == ["10.0.0.2", "fd00::2"])
        #expect(PodIPs.select(ips, preferIPv6: true) == ["fd00::2", "10.0.0.2"])
        #expect(PodIPs.select(["fd00::2"], preferIPv6: false) == ["fd00::2"])
    }
}
