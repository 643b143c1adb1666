import FuzzSupport
import PodrigCNI

/// CNI network configs (.conflist and single .conf) and cache entries: parsed or a clean error.
@_cdecl("FuzzCNIConfig_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        _ = try? CNIConfigList.parse(bytes, source: "fuzz.conflist", singlePlugin: false)
        _ = try? CNIConfigList.parse(bytes, source: "fuzz.conf", singlePlugin: true)
        _ = try? CNIConfigList.parse(bytes, source: "fuzz.json")
        _ = try? CNICacheEntry.parse(bytes, source: "fuzz-cache")
    }
}
