import FuzzSupport
import PodrigCore
import PodrigSandbox

/// crictl pod configs: any text is a config or a clean PodrigError, never a crash.
@_cdecl("FuzzPodSandboxConfig_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        guard let json = try? ConfigText.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz") else { return }
        _ = try? PodSandboxConfig.parse(json)
    }
}
