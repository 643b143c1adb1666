import FuzzSupport
import PodrigCNI

/// CNI plugin results of every spec version: parsed or a clean error; a parsed result converts
/// to each version podrig may hand the next plugin without crashing.
@_cdecl("FuzzCNIResult_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        for version in ["1.1.0", "1.0.0", "0.4.0", "0.3.1", "0.2.0"] {
            guard let r = try? CNIResult.parse(bytes: bytes, configVersion: version) else { continue }
            for target in ["1.1.0", "1.0.0", "0.4.0", "0.3.0", "0.2.0", "0.1.0"] { _ = try? r.json(as: target) }
        }
    }
}
