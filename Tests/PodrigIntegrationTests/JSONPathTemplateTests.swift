@testable import podrig
import PodrigCore
import Testing

/// kubectl's JSONPath templates as scripts write them (pure logic; no root).
@Suite struct JSONPathTemplateTests {
    let doc = try! JSONParser.parse("""
        {"kind": "List", "items": [
          {"metadata": {"name": "a", "labels": {"app": "x"}}, "status": {"phase": "Running", "podIP": "10.0.0.2",
           "conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}],
           "containerStatuses": [{"name": "c", "restartCount": 2, "ready": true}]}},
          {"metadata": {"name": "b"}, "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}}]}
        """)

    func render(_ t: String, _ d: JSON? = nil) throws -> String { try JSONPathTemplate(t).render(d ?? doc) }

    @Test func pathsWildcardsFiltersAndRanges() throws {
        #expect(try render("{.items[*].metadata.name}") == "a b")
        #expect(try render("{.items[0].status.podIP}") == "10.0.0.2")
        #expect(try render("{$.items[1].status.phase}") == "Pending")
        #expect(try render("{.items[0].status.containerStatuses[0].restartCount}") == "2")
        #expect(try render("{.items[0].status.containerStatuses[0].ready}") == "true")
        #expect(try render("{.items[0].metadata.labels}") == #"{"app":"x"}"#)
        #expect(try render(#"{.items[*].status.conditions[?(@.type=="Ready")].status}"#) == "True False")
        #expect(try render("{.items[?(@.metadata.name=='b')].status.phase}") == "Pending")
        #expect(try render(#"{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}"#) == "a\tRunning\nb\tPending\n")
        #expect(try render("name={.items[0].metadata.name}!") == "name=a!")
        #expect(try render("{.items[5].metadata.name}{.nope}") == "")  // missing keys print nothing
        #expect(try render("{.items[*].metadata.*}") .hasPrefix("a "))
    }

    @Test(arguments: ["{.items", "{end}", "{range .items[*]}{.a}", "{items}", "{.items[x]}", "{.items[?(@.a>1)]}", "{.a..b}"])
    func badTemplatesAreErrors(_ t: String) {
        #expect(throws: PodrigError.self) { _ = try JSONPathTemplate(t) }
    }

    @Test func getTakesThemAsOutputFormats() throws {
        #expect(GetFormat(argument: "jsonpath={.a}") == .jsonpath("{.a}"))
        #expect(GetFormat(argument: "name") == .name && GetFormat(argument: "names") == nil)
        #expect(throws: (any Error).self) { _ = try PodGet.parse(["pods", "-o", "jsonpath={.a"]) }
        #expect(throws: (any Error).self) { _ = try PodGet.parse(["nodes", "-o", "name"]) }
        #expect(throws: Never.self) { _ = try PodGet.parse(["pods", "-o", "jsonpath={range .items[*]}{.metadata.name}{end}"]) }
    }
}
