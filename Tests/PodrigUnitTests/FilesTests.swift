#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigSandbox
import Testing

/// Files.read on every size around its buffer's edges, and on files whose size stat cannot tell.
@Suite struct FilesTests {
    /// A timeout beyond Int32 milliseconds (--cni-timeout 1e10, inf) is a long wait, not a trap.
    @Test(arguments: [1e10, Double.infinity])
    func hugeRunTimeout(_ timeout: Double) throws {
        let r = try ProcessRunner.run(SpawnOptions(path: "/bin/true", arguments: ["true"]), timeout: timeout)
        #expect(r.status.code == 0)
    }

    @Test(arguments: [0, 1, 4095, 4096, 4097, 8193, 100_000])
    func readReturnsExactlyTheFile(_ size: Int) throws {
        let path = "/tmp/podrig-unit-files-\((try Identifiers.newID()).prefix(8))"
        defer { try? Files.remove(path) }
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Files.writeAtomic(path, data, sync: false)
        #expect(try Files.read(path) == data)
        #expect(try Files.readRegular(path) == data)
    }

    @Test func readsProcFilesToTheirEnd() throws {
        // /proc files report size 0: read until EOF.
        let status = try Files.readString("/proc/self/status")
        #expect(status.hasPrefix("Name:") && status.contains("\nPid:") && status.hasSuffix("\n"))
        #expect(throws: PodrigError.self) { try Files.read("/nonexistent/podrig") }
    }

    /// A pipe (podrig-ipam's stdin): no size to go by, read to EOF across buffer growths.
    @Test(arguments: [0, 5, 16383, 16384, 16385, 70_000])
    func readsAPipeToItsEnd(_ size: Int) throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        defer { close(fds[0]) }
        // Room for all of it, so one thread can write it all before reading.
        #expect(fcntl(fds[1], 1031 /* F_SETPIPE_SZ, not in Glibc's module */, 1 << 18) >= 1 << 18)
        let wrote = data.withUnsafeBytes { b in b.isEmpty ? 0 : write(fds[1], b.baseAddress!, b.count) }
        close(fds[1])
        #expect(wrote == size)
        #expect(try Files.read(fd: fds[0], name: "pipe") == data)
    }

    /// Where fsync is skipped: /run (FHS: cleared at boot) and tmpfs; everything else is durable.
    @Test func volatileRoots() {
        #expect(Files.isVolatile("/run/podrig"))
        #expect(Files.isVolatile("/run"))
        #expect(!Files.isVolatile("/run/../var/lib/podrig"))
        #expect(!Files.isVolatile("/runx/podrig"))
        #expect(Files.isVolatile("/dev/shm") == Files.isDirectory("/dev/shm"))  // a tmpfs where it exists
        #expect(!Files.isVolatile("/"))
        #expect(SandboxStore(root: "/run/podrig").durable == false)
        #expect(SandboxStore(root: "/var/lib/podrig-unit-none").durable == true)
    }
}
