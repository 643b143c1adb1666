import PodrigCore
import Testing

/// YAMLWriter output must read back as the same value (cases found by hack/fuzz).
@Suite struct YAMLRoundTripTests {
    @Test(arguments: ["0o17", "0x1F", "017", "1_000", ".5", "+1", "-0", "~", "Yes", "a: b", " a\n b", "a\n\n", "\n", "a\n  \nb", "tab\there\nx", "ok\ntext\n", "plain"])
    func stringsSurvive(_ s: String) throws {
        let doc: JSON = ["k": .string(s), "list": [.string(s)]]
        let back = try ConfigText.parse(YAMLWriter.write(doc), source: "test")
        #expect(back == doc, "\(YAMLWriter.write(doc))")
    }
}
