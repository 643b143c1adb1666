import FuzzSupport
import PodrigCore

/// ConfigText (JSON or YAML via libyaml): any text parses or throws; never crashes or hangs.
/// A parsed document written back as YAML must read back the same.
@_cdecl("FuzzConfigText_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.run(argc, argv) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        guard let docs = try? ConfigText.parseAll(text, source: "fuzz") else { return }
        for doc in docs where doc.object != nil {
            let yaml = YAMLWriter.write(doc)
            guard let back = try? ConfigText.parse(yaml, source: "yaml") else {
                preconditionFailure("YAMLWriter output does not parse: \(yaml)")
            }
            precondition(back == doc, "YAML round trip changed \(doc.compact) into \(back.compact)")
        }
    }
}
