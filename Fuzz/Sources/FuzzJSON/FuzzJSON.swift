import FuzzSupport
import PodrigCore

/// JSONParser: any bytes either parse or throw a PodrigError; never crash or hang, and what
/// podrig prints parses back to the same value.
@_cdecl("FuzzJSON_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        guard let json = try? JSONParser.parse(bytes: bytes) else { return }
        let again = try! JSONParser.parse(json.compact)
        precondition(again == json, "round trip changed \(json.compact)")
    }
}
