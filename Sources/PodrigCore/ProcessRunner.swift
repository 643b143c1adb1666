#if canImport(Glibc)
import Glibc
#endif
import CPodrig

public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus s: Int32) {
        if s & 0x7f == 0 { self = .exited((s >> 8) & 0xff) } else { self = .signaled(s & 0x7f) }
    }

    public var success: Bool { self == .exited(0) }

    /// The shell's view: the exit code, or 128 + signal.
    public var code: Int32 {
        switch self {
        case .exited(let c): c
        case .signaled(let s): 128 + s
        }
    }

    public var description: String {
        switch self {
        case .exited(let c): "exit status \(c)"
        case .signaled(let s): "killed by signal \(s)"
        }
    }
}

public struct RunResult: Sendable {
    public var status: ExitStatus
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Wall time from spawn to exit, in seconds.
    public var duration: Double
    public var timedOut: Bool
}

public enum Clock {
    /// Monotonic seconds.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Wall-clock time as (seconds, nanoseconds) since the epoch.
    public static func wall() -> (sec: Int, nsec: Int) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (ts.tv_sec, ts.tv_nsec)
    }
}

/// Runs a program to completion with `input` on stdin, collecting stdout and stderr, killing it
/// after `timeout` seconds. Used for every CNI plugin exec, so it stays on raw syscalls.
public enum ProcessRunner {
    /// poll(2)'s timeout for `seconds` left, rounded up, at most a day: a --cni-timeout of 1e10
    /// (or inf), or a grace period of 3000000 s, is beyond Int32 milliseconds, whose conversion
    /// trapped. Termination.wait uses it too.
    static func pollMilliseconds(_ seconds: Double) -> Int32 {
        guard seconds > 0 else { return 1 }
        return Int32(min(seconds, 86_400) * 1000) + 1
    }

    /// `waiting`: what the program is, said on stderr (Log.progress) once it has run for a second.
    public static func run(_ options: SpawnOptions, input: [UInt8] = [], timeout: Double? = nil,
                           waiting: String? = nil) throws(PodrigError) -> RunResult {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        try checked(pr_pipe_cloexec(&inPipe), "pipe")
        do { try checked(pr_pipe_cloexec(&outPipe), "pipe") } catch {
            close(inPipe[0]); close(inPipe[1])
            throw error
        }
        do { try checked(pr_pipe_cloexec(&errPipe), "pipe") } catch {
            for fd in inPipe + outPipe { close(fd) }
            throw error
        }
        var o = options
        o.stdin = inPipe[0]
        o.stdout = outPipe[1]
        o.stderr = errPipe[1]
        let start = Clock.now()
        let spawned: SpawnedProcess
        do {
            spawned = try Spawner.spawn(o)
        } catch {
            for fd in inPipe + outPipe + errPipe { close(fd) }
            throw error
        }
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])

        var writeFd = inPipe[1]
        var readFds = [outPipe[0], errPipe[0]]
        for fd in [writeFd] + readFds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if input.isEmpty { close(writeFd); writeFd = -1 }
        var written = 0
        var outputs: [[UInt8]] = [[], []]
        var timedOut = false
        var killedAt: Double?
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = timeout.map { start + $0 }
        var announceAt: Double? = waiting != nil && Log.progressEnabled ? start + 1 : nil

        while writeFd >= 0 || readFds.contains(where: { $0 >= 0 }) {
            var pfds: [pollfd] = []
            if writeFd >= 0 { pfds.append(pollfd(fd: writeFd, events: Int16(POLLOUT), revents: 0)) }
            for fd in readFds where fd >= 0 { pfds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            var waitMs: Int32 = -1
            let now = Clock.now()
            if let killedAt {
                // Killed: grandchildren may still hold the pipes; give them a moment, then stop.
                let left = killedAt + 1 - now
                if left <= 0 { break }
                waitMs = ProcessRunner.pollMilliseconds(left)
            } else if let deadline {
                let left = deadline - now
                if left <= 0 {
                    timedOut = true
                    kill(spawned.pid, SIGKILL)
                    killedAt = now
                    continue
                }
                waitMs = ProcessRunner.pollMilliseconds(left)
            }
            if let at = announceAt, let waiting {
                if now >= at {
                    Log.progress("waiting for \(waiting)" + (timeout.map { " (killed after \(Int($0))s)" } ?? ""))
                    announceAt = nil
                } else {
                    let ms = ProcessRunner.pollMilliseconds(at - now)
                    waitMs = waitMs < 0 ? ms : min(waitMs, ms)
                }
            }
            let rc = poll(&pfds, nfds_t(pfds.count), waitMs)
            if rc < 0 {
                if errno == EINTR { continue }
                break
            }
            for p in pfds where p.revents != 0 {
                if p.fd == writeFd {
                    // Never SIGPIPE, even in a host process that keeps the default disposition.
                    let n = input.withUnsafeBytes { pr_write_nosigpipe(writeFd, $0.baseAddress! + written, input.count - written) }
                    if n > 0 { written += n }
                    if n < 0 && n != -Int(EAGAIN) && n != -Int(EINTR) || written >= input.count {
                        // EPIPE: the program stopped reading; its exit status and stdout decide (as libcni).
                        close(writeFd); writeFd = -1
                    }
                    continue
                }
                guard let k = readFds.firstIndex(of: p.fd) else { continue }
                let n = buf.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    outputs[k].append(contentsOf: buf[0..<n])
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(p.fd); readFds[k] = -1
                }
            }
        }
        if writeFd >= 0 { close(writeFd) }
        for fd in readFds where fd >= 0 { close(fd) }

        var status: Int32 = 0
        if spawned.isChild {
            while waitpid(spawned.pid, &status, 0) < 0 && errno == EINTR {}
        }
        return RunResult(status: ExitStatus(waitStatus: status), stdout: outputs[0], stderr: outputs[1],
                         duration: Clock.now() - start, timedOut: timedOut)
    }
}
