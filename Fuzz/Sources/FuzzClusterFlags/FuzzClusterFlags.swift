import FuzzSupport
import PodrigCluster
import PodrigCore

/// kcm's flags (one per line: cluster CIDR, mask sizes, service range) and cluster records: any
/// input is a clean PodrigError or a working allocator, never a crash or a hang.
@_cdecl("FuzzClusterFlags_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        if let json = try? JSONParser.parse(text), let r = try? ClusterRecord(json: json, source: "fuzz") {
            if var a = try? r.allocator() { _ = try? a.allocate() }
            return
        }
        let f = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func field(_ i: Int) -> String? { i < f.count ? f[i] : nil }
        func int(_ i: Int) -> Int? { field(i).flatMap { Int($0) } }
        let flags = NodeIPAMConfig.Flags(clusterCIDR: field(0) ?? "", nodeCIDRMaskSize: int(1), nodeCIDRMaskSizeIPv4: int(2),
                                         nodeCIDRMaskSizeIPv6: int(3), serviceClusterIPRange: field(4))
        guard let config = try? NodeIPAMConfig.validate(flags), var ipam = try? NodeIPAM(config) else { return }
        var taken: [NodeIPAM.Allocation] = []
        for _ in 0..<8 { if let a = try? ipam.allocate() { taken.append(a) } }
        for a in taken.prefix(3) { try? ipam.release(a.podCIDRs, node: "n") }
        _ = try? ipam.allocate()
    }
}
