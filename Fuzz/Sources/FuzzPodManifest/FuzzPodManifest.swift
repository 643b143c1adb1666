import FuzzSupport
import PodrigCore
import PodrigPod

/// Kubernetes Pod manifests (and crictl container configs, which share the container parser):
/// any text is a manifest or a clean PodrigError, never a crash.
@_cdecl("FuzzPodManifest_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        guard let docs = try? ConfigText.parseAll(String(decoding: bytes, as: UTF8.self), source: "fuzz") else { return }
        for doc in docs {
            _ = try? PodManifestParser.parse(doc)
            _ = try? CRIContainerConfig.parse(doc)
        }
    }
}
