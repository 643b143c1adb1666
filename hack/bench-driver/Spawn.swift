import Foundation

/// Monotonic seconds (the same clock podrig's PODRIG_TIMINGS marks use).
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

struct RunOutput {
    var status: Int32
    var stdout: String
    var stderr: String
    var started: Double
    var seconds: Double
    var ok: Bool { status == 0 }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// posix_spawn (vfork-fast, like a runtime's exec) with stdin fed and both outputs collected;
/// the time is spawn → exit, what a caller of the command waits.
func run(_ argv: [String], env: [String] = baseEnv, input: String = "") -> RunOutput {
    var inP: [Int32] = [0, 0], outP: [Int32] = [0, 0], errP: [Int32] = [0, 0]
    // pipe2 is not visible from Swift: pipe + FD_CLOEXEC under the lock every spawn takes, so no
    // other thread's child inherits these ends (it would hold our EOF hostage).
    spawnLock.lock()
    _ = pipe(&inP); _ = pipe(&outP); _ = pipe(&errP)
    for fd in inP + outP + errP { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    posix_spawn_file_actions_adddup2(&fa, inP[0], 0)
    posix_spawn_file_actions_adddup2(&fa, outP[1], 1)
    posix_spawn_file_actions_adddup2(&fa, errP[1], 2)
    let cargv = argv.map { strdup($0) } + [nil]
    let cenv = env.map { strdup($0) } + [nil]
    defer { cargv.forEach { free($0) }; cenv.forEach { free($0) }; posix_spawn_file_actions_destroy(&fa) }
    var pid: pid_t = 0
    let started = now()
    let rc = posix_spawn(&pid, argv[0], &fa, nil, cargv, cenv)
    spawnLock.unlock()
    close(inP[0]); close(outP[1]); close(errP[1])
    if rc != 0 {
        close(inP[1]); close(outP[0]); close(errP[0])
        return RunOutput(status: 127, stdout: "", stderr: "spawn \(argv[0]): \(String(cString: strerror(rc)))", started: started, seconds: 0)
    }
    let bytes = Array(input.utf8)
    bytes.withUnsafeBytes { buf in
        var off = 0
        while off < buf.count {
            let n = write(inP[1], buf.baseAddress! + off, buf.count - off)
            if n <= 0 { break }
            off += n
        }
    }
    close(inP[1])
    var out: [UInt8] = [], err: [UInt8] = []
    var fds = [pollfd(fd: outP[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errP[0], events: Int16(POLLIN), revents: 0)]
    var open = 2
    var buf = [UInt8](repeating: 0, count: 65536)
    while open > 0 {
        if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue } else { break } }
        for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
            let n = read(fds[i].fd, &buf, buf.count)
            if n > 0 {
                if i == 0 { out += buf[0..<n] } else { err += buf[0..<n] }
            } else {
                close(fds[i].fd); fds[i].fd = -1; open -= 1
            }
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let seconds = now() - started
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return RunOutput(status: code, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                     started: started, seconds: seconds)
}

@discardableResult
func must(_ r: RunOutput, _ what: String) throws -> RunOutput {
    if !r.ok { throw BenchError("\(what): exit \(r.status): \(r.stderr.prefix(600)) \(r.stdout.prefix(300))") }
    return r
}

let spawnLock = NSLock()

/// PODRIG_CGROUPS passed on (`PODRIG_CGROUPS=disabled hack/bench`: podrig without its cgroups, the
/// runp of before the pod cgroup was made with the sandbox).
let baseEnv = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C"]
    + (ProcessInfo.processInfo.environment["PODRIG_CGROUPS"].map { ["PODRIG_CGROUPS=" + $0] } ?? [])

func randomHex(_ n: Int) -> String {
    var s = ""
    for _ in 0..<n { s += String(UInt8.random(in: 0..<16), radix: 16) }
    return s
}

/// Runs `count` jobs on `workers` threads; returns the wall time. The first error stops the rest.
func parallel(_ count: Int, workers: Int, _ job: @escaping @Sendable (Int) throws -> Void) throws -> Double {
    let state = Shared()
    let start = now()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while let i = state.next(limit: count) {
            do { try job(i) } catch { state.fail(error) }
        }
    }
    if let e = state.error { throw e }
    return now() - start
}

final class Shared: @unchecked Sendable {
    private let lock = NSLock()
    private var i = 0
    private(set) var error: Error?
    func next(limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        if error != nil || i >= limit { return nil }
        i += 1
        return i - 1
    }
    func fail(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}
