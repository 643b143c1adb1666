import PodrigCore
import Testing

@Suite struct JSONTests {
    /// One escaper for text and bytes: the same literal either way, and it parses back.
    @Test(arguments: ["plain-id_1.2", "quote\" back\\ slash", "nl\n cr\r tab\t bs\u{08} ff\u{0C}", "ctl\u{01}\u{1F}", "ünï 💡", ""])
    func stringsEscapeTheSameAsTextAndBytes(_ s: String) throws {
        var bytes: [UInt8] = []
        JSON.appendString(s, to: &bytes)
        let text = JSON.string(s).compact
        #expect(String(decoding: bytes, as: UTF8.self) == text)
        #expect(try JSONParser.parse(text).string == s)
        #expect(!text.utf8.contains { $0 < 0x20 })
    }

    @Test func keepsKeyOrderAndNumberText() throws {
        let text = #"{"z":1,"a":1.50,"big":12345678901234567890,"e":1e3,"s":"x\ny","n":null,"t":true,"arr":[1,{"k":"v"}]}"#
        let v = try JSONParser.parse(text)
        #expect(v.compact == text)
        #expect(v.object?.keys == ["z", "a", "big", "e", "s", "n", "t", "arr"])
        #expect(v["a"] == .number("1.50"))
        #expect(v["z"]?.int == 1)
        #expect(v["arr"]?[1]?["k"]?.string == "v")
    }

    @Test func roundTripsEscapes() throws {
        let v = try JSONParser.parse(#""tab\there \u00e9 \ud83d\ude00 \"q\" \\ \/""#)
        #expect(v.string == "tab\there é 😀 \"q\" \\ /")
        #expect(try JSONParser.parse(v.compact) == v)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "tru", "\"\\x\"", "\"\u{01}\"", "{\"a\" 1}",
        "[1] x", "\"\\ud800\"", "{1:2}", "nul",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: PodrigError.self) { try JSONParser.parse(text) }
    }

    @Test func errorNamesLineAndColumn() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": tru\n}")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("line 2"))
        }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 10000) + String(repeating: "]", count: 10000)
        #expect(throws: PodrigError.self) { try JSONParser.parse(deep) }
    }

    @Test func objectEqualityIgnoresOrder() throws {
        #expect(try JSONParser.parse(#"{"a":1,"b":2}"#) == JSONParser.parse(#"{"b":2,"a":1}"#))
    }

    @Test func prettyIsValidJSON() throws {
        let v: JSON = ["a": [1, 2, ["b": nil]], "c": "d"]
        #expect(try JSONParser.parse(v.pretty) == v)
    }
}

@Suite struct YAMLTests {
    @Test func convertsScalarsLikeKubernetes() throws {
        let v = try ConfigText.parse("""
            name: web
            port: 8080
            ratio: 0.5
            enabled: yes
            disabled: off
            quoted: "123"
            empty:
            list: [a, 1]
            """, source: "t.yaml")
        #expect(v["name"] == "web")
        #expect(v["port"] == .number("8080"))
        #expect(v["ratio"] == .number("0.5"))
        #expect(v["enabled"] == true)
        #expect(v["disabled"] == false)
        #expect(v["quoted"] == "123")
        #expect(v["empty"] == JSON.null)
        #expect(v["list"] == ["a", 1])
    }

    @Test func multipleDocuments() throws {
        let docs = try ConfigText.parseAll("a: 1\n---\nb: 2\n---\n", source: "t.yaml")
        #expect(docs.count == 2)
    }

    @Test func errorNamesTheFile() {
        do {
            _ = try ConfigText.parse("a: [1,\n", source: "bad.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("bad.yaml"))
        }
    }

    @Test func writerRoundTrips() throws {
        let v: JSON = ["name": "x", "n": 3, "yes": "yes", "list": [["a": 1, "b": ["c"]], "s"], "empty": [], "multi": "l1\nl2\n"]
        let text = YAMLWriter.write(v)
        #expect(try ConfigText.parse(text, source: "w") == v)
    }
}

@Suite struct YAMLDetailTests {
    @Test func anchorsAliasesAndMerge() throws {
        let v = try ConfigText.parse("""
            base: &b {a: 1, b: 2}
            copy: *b
            merged:
              <<: *b
              b: 3
            """, source: "m.yaml")
        #expect(v["copy"] == ["a": 1, "b": 2])
        #expect(v["merged"] == ["a": 1, "b": 3])
    }

    @Test func numbersAndStrings() throws {
        let v = try ConfigText.parse("""
            a: 0x1F
            b: 010
            c: +5
            d: 1_000
            e: 1.5e3
            f: .5
            g: 1.2.3
            h: '007'
            i: !!str 12
            j: -3
            k: 12345678901234567890
            """, source: "n.yaml")
        #expect(v["a"] == 31)
        #expect(v["b"] == 8)
        #expect(v["c"] == 5)
        #expect(v["d"] == 1000)
        #expect(v["e"]?.double == 1500)
        #expect(v["f"]?.double == 0.5)
        #expect(v["g"] == "1.2.3")
        #expect(v["h"] == "007")
        #expect(v["i"] == "12")
        #expect(v["j"] == -3)
        #expect(v["k"] == .number("12345678901234567890"))
        // Whatever YAML gives must serialise as valid JSON.
        #expect(try JSONParser.parse(v.compact) == v)
    }

    @Test func blockScalars() throws {
        let v = try ConfigText.parse("""
            cmd: |
              echo one
              echo two
            folded: >
              a
              b
            """, source: "b.yaml")
        #expect(v["cmd"] == "echo one\necho two\n")
        #expect(v["folded"] == "a b")
    }

    @Test func errorsNameLine() {
        do {
            _ = try ConfigText.parse("a: 1\nb: [\n", source: "e.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("e.yaml: invalid YAML at line"))
        }
    }
}
