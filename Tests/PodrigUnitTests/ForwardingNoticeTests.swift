import PodrigCNI
import PodrigCore
import PodrigDoctor
import Testing

/// The notice podrig prints before its built-in network turns on forwarding in the host netns,
/// and doctor's view of what that network left there.
@Suite struct ForwardingNoticeTests {
    @Test(arguments: [false, true], [false, true])
    func warnsOnlyForTheBuiltInNetworkInTheHostNetnsWithForwardingOff(hostNetns: Bool, forwardingOn: Bool) {
        #expect(CNIForwardingNotice.shouldWarn(hostNetns: hostNetns, forwardingOn: forwardingOn, builtIn: true) == (hostNetns && !forwardingOn))
        #expect(!CNIForwardingNotice.shouldWarn(hostNetns: hostNetns, forwardingOn: forwardingOn, builtIn: false))
    }

    @Test func recognizesTheBuiltInNetwork() throws {
        #expect(CNIForwardingNotice.isBuiltIn(CNIDefaultNetwork.list))
        let podrigIPAM = try CNIConfigList.parse(Array(CNIDefaultNetwork.text(podrigIPAM: "24h").utf8), source: "t")
        #expect(CNIForwardingNotice.isBuiltIn(podrigIPAM))
        // Same name, other bridge or no gateway/masquerade: not the one that turns forwarding on.
        let other = try CNIConfigList.parse(Array(#"{"cniVersion":"1.0.0","name":"podrig","plugins":[{"type":"bridge","bridge":"pr-x","isGateway":true}]}"#.utf8), source: "t")
        let plain = try CNIConfigList.parse(Array(#"{"cniVersion":"1.0.0","name":"podrig","plugins":[{"type":"bridge","bridge":"podrig0"}]}"#.utf8), source: "t")
        let renamed = try CNIConfigList.parse(Array(CNIDefaultNetwork.text.replacing(#""name": "podrig""#, with: #""name": "mine""#).utf8), source: "t")
        #expect(!CNIForwardingNotice.isBuiltIn(other) && !CNIForwardingNotice.isBuiltIn(plain) && !CNIForwardingNotice.isBuiltIn(renamed))
    }

    @Test func otherNetworksNeverLookAtTheHost() throws {
        let list = try CNIConfigList.parse(Array(#"{"cniVersion":"1.0.0","name":"pr-x","plugins":[{"type":"bridge","bridge":"pr-x","isGateway":true}]}"#.utf8), source: "t")
        CNIForwardingNotice.warnIfNeeded([list]) { Issue.record("warned: \($0)") }
    }

    @Test func messageNamesWhatTurnsOn() {
        let m = CNIForwardingNotice.message(off: ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"])
        #expect(m.contains("turns on net.ipv4.ip_forward and net.ipv6.conf.all.forwarding on this host"))
        #expect(m.contains("node namespace") && m.contains("--cni-conf-dir") && !m.contains("\n"))
    }

    @Test func masqueradeRulesOfTheBuiltInNetwork() {
        let text = """
            -A POSTROUTING -s 10.88.0.2/32 -m comment --comment "name: \\"podrig\\" id: \\"1234abcd\\"" -j CNI-0a1b2c3d4e5f60718293a4b5
            -A CNI-0a1b2c3d4e5f60718293a4b5 -d 10.88.0.0/16 -m comment --comment "name: \\"podrig\\" id: \\"1234abcd\\"" -j ACCEPT
            -A POSTROUTING -s 10.90.0.2/32 -m comment --comment "name: \\"bench\\" id: \\"feed\\"" -j CNI-ffff
            -A POSTROUTING -s 10.88.0.3/32 -m comment --comment "name: \\"podrig-x\\" id: \\"beef\\"" -j CNI-eeee
            """
        #expect(HostState.parseMasquerade(text, network: "podrig") == ["1234abcd"])
        #expect(HostState.parseMasquerade("", network: "podrig").isEmpty)
    }
}
