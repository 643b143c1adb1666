import PodrigCore
import PodrigPod
import Testing

@Suite struct PodManifestTests {
    func pod(_ yaml: String) throws -> PodManifest {
        let docs = try ConfigText.parseAll(yaml, source: "test.yaml")
        return try PodManifestParser.parse(docs[0])
    }

    @Test func yamlBooleans() throws {
        let j = try ConfigText.parseAll("a: false\nb:\n  c: true\n", source: "x")
        #expect(j[0]["a"] == .bool(false))
        #expect(j[0]["b"]?["c"] == .bool(true))
    }
}
