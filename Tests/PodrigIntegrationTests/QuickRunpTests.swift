@testable import podrig
import Testing

/// runp's hand parser must know every flag ArgumentParser defines for runp, with the same
/// meaning; anything it does not know must fall back to ArgumentParser.
@Suite struct QuickRunpTests {
    @Test func knowsEveryRunpFlag() {
        let usage = RunPodSandbox.usageString()
        let flags = usage.split(whereSeparator: { !($0.isLetter || $0 == "-") }).filter { $0.hasPrefix("--") }.map(String.init)
        #expect(flags.count >= 10, "\(usage)")
        for flag in Set(flags) {
            let args = flag == "--debug" ? ["runp", flag, "pod.yaml"] : ["runp", flag, flag == "--cni-timeout" ? "5" : (flag == "--ip-family" ? "ipv6" : "v"), "pod.yaml"]
            #expect(QuickRunp.parse(args) != nil, "QuickRunp does not know \(flag)")
        }
    }

    @Test func sameValuesAsArgumentParser() throws {
        let args = ["--root", "/r", "--pause-path", "/p", "--node-ip", "192.0.2.1", "--cni-conf-dir", "/c",
                    "--cni-bin-dir", "/b1:/b2", "--cni-cache-dir", "/k", "--network", "a", "--network=b",
                    "--cni-timeout", "7", "--ip-family", "ipv6", "--cni-args", "X=1", "pod.yaml"]
        let quick = try #require(QuickRunp.parse(["runp"] + args))
        let full = try RunPodSandbox.parse(args)
        let cni = try full.network.cniOptions()
        #expect(quick.sandbox.root == full.global.sandboxOptions.root)
        #expect(quick.sandbox.pausePath == full.global.sandboxOptions.pausePath)
        #expect(quick.nodeIPs == full.network.nodeIPs)
        #expect(quick.cni.confDir == cni.confDir && quick.cni.binDirs == cni.binDirs && quick.cni.cacheDir == cni.cacheDir)
        #expect(quick.cni.networks == cni.networks && quick.cni.timeout == cni.timeout && quick.cni.preferIPv6 == cni.preferIPv6)
        #expect(quick.cniArgs == full.network.cniArgs && quick.podConfig == full.podConfig)
        // Defaults agree too.
        let dq = try #require(QuickRunp.parse(["runp", "pod.yaml"]))
        let df = try RunPodSandbox.parse(["pod.yaml"])
        let dcni = try df.network.cniOptions()
        #expect(dq.sandbox.root == df.global.root && dq.cni.confDir == dcni.confDir && dq.cni.binDirs == dcni.binDirs)
        #expect(dq.cni.cacheDir == dcni.cacheDir && dq.cni.timeout == dcni.timeout && dq.cni.preferIPv6 == dcni.preferIPv6)
    }

    @Test(arguments: [["runp"], ["runp", "--help"], ["runp", "--bogus", "x"], ["runp", "a", "b"], ["runp", "--root"],
                      ["runp", "--cni-timeout", "-1", "x"], ["runp", "--ip-family", "ipv5", "x"], ["runp", "--debug=1", "x"], ["pods"]])
    func fallsBack(_ args: [String]) {
        #expect(QuickRunp.parse(args) == nil)
    }
}
