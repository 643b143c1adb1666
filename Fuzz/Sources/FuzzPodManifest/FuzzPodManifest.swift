import FuzzSupport
import PodrigCore
import PodrigPod

/// Kubernetes Pod manifests (and crictl container configs, which share the container parser):
/// any text is a manifest or a clean PodrigError, never a crash.
@_cdecl("FuzzPodManifest_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        guard let docs = try? ConfigText.parseAll(String(decoding: bytes, as: UTF8.self), source: "fuzz") else { return }
        // ConfigMaps/Secrets first, so the pods' and templates' references resolve against them.
        var data = ConfigData()
        for doc in docs { if let o = try? ConfigObjectParser.parse(doc) { data.add(o) } }
        for doc in docs {
            if var m = try? PodManifestParser.parse(doc) {
                m.configData = data
                try? ConfigResolution.check(m)
            }
            _ = try? CRIContainerConfig.parse(doc)
            if let w = try? WorkloadParser.parse(doc), let m = try? w.templatePod(data) { try? ConfigResolution.check(m) }
            if let s = doc["data"]?["k"]?.string { _ = StrictBase64.decode(s); _ = try? LabelSelector.parse(s) }
        }
    }
}
