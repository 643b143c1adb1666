import PodrigCore
import Testing

/// Files.read on every size around its buffer's edges, and on files whose size stat cannot tell.
@Suite struct FilesTests {
    @Test(arguments: [0, 1, 4095, 4096, 4097, 8193, 100_000])
    func readReturnsExactlyTheFile(_ size: Int) throws {
        let path = "/tmp/podrig-unit-files-\((try Identifiers.newID()).prefix(8))"
        defer { try? Files.remove(path) }
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Files.writeAtomic(path, data, sync: false)
        #expect(try Files.read(path) == data)
    }

    @Test func readsProcFilesToTheirEnd() throws {
        // /proc files report size 0: read until EOF.
        let status = try Files.readString("/proc/self/status")
        #expect(status.hasPrefix("Name:") && status.contains("\nPid:") && status.hasSuffix("\n"))
        #expect(throws: PodrigError.self) { try Files.read("/nonexistent/podrig") }
    }
}
