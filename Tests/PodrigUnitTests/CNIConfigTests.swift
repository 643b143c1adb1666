import PodrigCNI
import PodrigCore
import Testing

@Suite struct CNIConfigTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func conflistParsesAndKeepsPluginKeys() throws {
        let text = #"{"cniVersion":"1.0.0","name":"n1","plugins":[{"type":"bridge","zeta":1.50,"alpha":{"x":[1,2]}},{"type":"portmap","capabilities":{"portMappings":true}}]}"#
        let l = try CNIConfigList.parse(bytes(text), source: "f.conflist")
        #expect(l.name == "n1" && l.cniVersion == "1.0.0" && l.plugins.count == 2)
        #expect(l.plugins[0].keys == ["type", "zeta", "alpha"])
        #expect(l.plugins[0]["zeta"] == .number("1.50"))
        #expect(l.bytes == bytes(text))
    }

    @Test func confIsUpgradedToAList() throws {
        let text = #"{"cniVersion":"0.3.1","name":"single","type":"ptp","ipam":{"type":"host-local"}}"#
        let l = try CNIConfigList.parse(bytes(text), source: "x.conf")
        #expect(l.name == "single" && l.cniVersion == "0.3.1" && l.plugins.count == 1)
        #expect(l.pluginType(0) == "ptp")
        let again = try CNIConfigList.parse(l.bytes, source: "cache", singlePlugin: false)
        #expect(again.name == "single" && again.plugins[0]["ipam"]?["type"] == "host-local")
    }

    @Test func invalidConfigsNameTheProblem() {
        let cases: [(String, String)] = [
            (#"{"cniVersion":"1.0.0","plugins":[{"type":"x"}]}"#, "\"name\" is required"),
            (#"{"cniVersion":"1.0.0","name":"a b","plugins":[{"type":"x"}]}"#, "network name"),
            (#"{"cniVersion":"1.0.0","name":"n","plugins":[]}"#, "non-empty"),
            (#"{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../evil"}]}"#, "no '/'"),
            (#"{"cniVersion":"1.0.0","name":"n","plugins":[{"ipam":{}}]}"#, "\"type\" is required"),
            (#"{"cniVersion":"9.9.9","name":"n","plugins":[{"type":"x"}]}"#, "not supported"),
            (#"{"cniVersion":"1.0.0","name":"n","disableCheck":"maybe","plugins":[{"type":"x"}]}"#, "disableCheck"),
            (#"{"cniVersion":"1.0.0","name":"n","#, "invalid JSON"),
        ]
        for (text, expected) in cases {
            #expect(throws: PodrigError.self) { try CNIConfigList.parse(Array(text.utf8), source: "bad.conflist") }
            do { _ = try CNIConfigList.parse(Array(text.utf8), source: "bad.conflist") } catch {
                #expect(error.description.contains(expected), "\(error) should mention \(expected)")
                #expect(error.description.contains("bad.conflist"))
            }
        }
    }

    @Test func cniVersionsPicksHighestSupported() throws {
        let text = #"{"cniVersions":["0.4.0","1.1.0","2.0.0"],"cniVersion":"1.0.0","name":"n","disableGC":"true","plugins":[{"type":"x"}]}"#
        let l = try CNIConfigList.parse(Array(text.utf8), source: "f")
        #expect(l.cniVersion == "1.1.0")
        #expect(l.disableGC)
    }

    @Test func defaultNetworkIsValidDualStack() throws {
        let l = CNIDefaultNetwork.list
        #expect(l.name == "podrig")
        #expect((0..<l.plugins.count).map { l.pluginType($0) } == ["loopback", "bridge", "portmap"])
        #expect(l.plugins[1]["bridge"] == "podrig0")
        #expect(l.plugins[1]["ipam"]?["ranges"]?.array?.count == 2)
    }

    @Test func versionsCompare() {
        #expect(CNIVersion("0.4.0")! < CNIVersion("1.0.0")!)
        #expect(CNIVersion("1.1")! == .v110)
        #expect(CNIVersion("1.x") == nil)
        #expect(CNIVersion("0.3.1")!.resultFamily == .v04 && CNIVersion("0.2.0")!.resultFamily == .legacy)
    }

    @Test func identifiersAreChecked() {
        #expect(throws: PodrigError.self) { try CNIValidate.ifName("this-name-is-too-long") }
        #expect(throws: PodrigError.self) { try CNIValidate.ifName("a/b") }
        #expect(throws: PodrigError.self) { try CNIValidate.containerID("-x") }
        #expect(throws: Never.self) { try CNIValidate.ifName("net1") }
    }
}

@Suite struct CNIDiscoveryTests {
    final class Dir {
        let path = "/tmp/podrig-unit-cni-\((try! Identifiers.newID()).prefix(8))"
        init() { try! Files.makeDirectories(path) }
        func write(_ name: String, _ text: String) { try! Files.writeAtomic(path + "/" + name, text, sync: false) }
        deinit { try? Files.removeTree(path) }
    }

    final class Warnings: @unchecked Sendable { var lines: [String] = [] }

    @Test func sortedFirstValidWinsAndInvalidIsSkippedWithAWarning() throws {
        let d = Dir()
        d.write("05-broken.conflist", "{not json")
        d.write("10-b.conflist", #"{"cniVersion":"1.0.0","name":"b","plugins":[{"type":"bridge"}]}"#)
        d.write("20-a.conf", #"{"cniVersion":"0.4.0","name":"a","type":"ptp"}"#)
        d.write("30-b.json", #"{"cniVersion":"0.4.0","name":"b","type":"ptp"}"#)
        d.write("README.md", "ignored")
        let w = Warnings()
        let disc = CNIDiscovery(confDir: d.path, warn: { w.lines.append($0) })
        #expect(try disc.select([]).map(\.name) == ["b"])
        #expect(w.lines.count == 1 && w.lines[0].contains("05-broken.conflist") && w.lines[0].contains("invalid JSON"))
        #expect(try disc.select(["a", "b"]).map(\.name) == ["a", "b"])
        #expect(try disc.select(["b"])[0].source.hasSuffix("10-b.conflist"))  // first of a name wins
        #expect(try disc.all().map(\.name) == ["b", "a"])
        #expect(throws: PodrigError.self) { try disc.select(["nope"]) }
    }

    @Test func emptyDirUsesTheEmbeddedDefaultButAllInvalidIsAnError() throws {
        let d = Dir()
        let disc = CNIDiscovery(confDir: d.path, warn: { _ in })
        #expect(try disc.select([]).map(\.name) == ["podrig"])
        d.write("10-x.conflist", "[]")
        do { _ = try disc.select([]); Issue.record("expected an error") } catch {
            #expect(error.description.contains("10-x.conflist") && error.description.contains("no valid CNI network config"))
        }
    }
}
