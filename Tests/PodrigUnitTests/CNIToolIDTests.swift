import PodrigCNI
import PodrigCore
import PodrigSandbox
import Testing

@Suite struct CNIToolIDTests {
    @Test func sha512KnownVectors() {
        #expect(SHA512.hex(SHA512.hash([])) == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
        #expect(SHA512.hex(SHA512.hash(Array("abc".utf8))) == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        // 200 bytes: more than one block, padding across the boundary.
        #expect(SHA512.hex(SHA512.hash([UInt8](repeating: 0x61, count: 200))) == "4b11459c33f52a22ee8236782714c150a3b2c60994e9acee17fe68947a3e6789f31e7668394592da7bef827cddca88c4e6f86e4df7ed1ae6cba71f3e98faee9f")
    }

    @Test func containerIDIsCnitools() {
        // Values from Go's crypto/sha512 as cnitool formats them ("cnitool-%x" of the first 10 bytes).
        #expect(CNIToolID.containerID(netns: "/run/netns/x") == "cnitool-55e2cecc95014b0f7fc4")
        #expect(CNIToolID.containerID(netns: "/var/run/netns/pr-ci86") == "cnitool-d8708e7309e7f5c4d1cd")
    }

    @Test func cleanIsGosFilepathClean() {
        let cases = [("/run//netns/./x", "/run/netns/x"), ("/a/b/../c", "/a/c"), ("/../x", "/x"), ("/", "/"), ("//", "/"),
                     ("a/../..", ".."), ("", "."), ("./x/", "x"), ("/a/b/", "/a/b"), ("a/./b/../../c", "c")]
        for (input, want) in cases { #expect(CNIToolID.clean(input) == want, "\(input)") }
        #expect(CNIToolID.absolute("/run/netns/../netns/y") == "/run/netns/y")
        #expect(CNIToolID.absolute("x").hasSuffix("/x") && CNIToolID.absolute("x").hasPrefix("/"))
    }

    @Test func aliasesAreKeyedByNetwork() throws {
        var config = PodSandboxConfig(name: "web", namespace: "prod", uid: "u-1", hostname: "web-0")
        config.annotations = ["podrig.io/aliases": "www, web"]
        let record = SandboxRecord(id: String(repeating: "b", count: 64), config: config, createdAt: 0)
        #expect(try CNISandboxArgs.capabilityArgs(record)["aliases"] == nil)
        let caps = try CNISandboxArgs.capabilityArgs(record, networks: ["n1", "n2"])
        #expect(caps["aliases"] == ["n1": ["web", "web-0", "www"], "n2": ["web", "web-0", "www"]])
        #expect(caps["aliases"]?.object?.keys == ["n1", "n2"])
    }
}
