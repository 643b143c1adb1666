import PodrigCore
import Testing

/// YAMLWriter output must read back as the same value (cases found by hack/fuzz).
@Suite struct YAMLRoundTripTests {
    @Test(arguments: ["0o17", "0x1F", "017", "1_000", ".5", "+1", "-0", "~", "Yes", "a: b", " a\n b", "a\n\n", "\n", "a\n  \nb", "tab\there\nx", "ok\ntext\n", "plain",
                     " \u{0592}x\n03", "-\u{0301}a", "a:\u{0301} b", "a :\u{0301}", "nel\u{85}x", "ls\u{2028}x\ny", "c1\u{90}", "bom\u{feff}"])
    func stringsSurvive(_ s: String) throws {
        let doc: JSON = ["k": .string(s), "list": [.string(s)]]
        let back = try ConfigText.parse(YAMLWriter.write(doc), source: "test")
        #expect(back == doc, "\(YAMLWriter.write(doc))")
    }

    @Test func longKeysBecomeExplicit() throws {
        let long = String(repeating: "k\u{e9}", count: 700)
        let doc: JSON = [.init(stringLiteral: long): "v", "n": [.init(stringLiteral: long): ["a": 1]], "l": [[.init(stringLiteral: long): [1, 2]]]]
        #expect(try ConfigText.parse(YAMLWriter.write(doc), source: "test") == doc)
    }
}
