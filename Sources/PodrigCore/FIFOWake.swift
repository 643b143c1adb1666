#if canImport(Glibc)
import Glibc
#endif

/// A FIFO another process writes a byte into to wake this one at once, where a poll of the file it
/// waits for would see the change a tick later (CRI start: the supervisor's start reply, written
/// once status.json shows the started container). Made and opened for reading before the event
/// can happen; closing a FIFO costs nothing (inotify's teardown waits out an SRCU grace period,
/// 10–30 ms on this VM, more than it saves). Without the FIFO, or once its writer has come and
/// gone, `wait` just sleeps `tick`, so the caller's re-read loop behaves as it did before.
public struct FIFOWake: ~Copyable {
    private let path: String
    private var fd: Int32

    public init(_ path: String) {
        self.path = path
        unlink(path)  // a leftover of a start that was killed
        fd = mkfifo(path, 0o600) == 0 ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1
    }

    deinit {
        if fd >= 0 { close(fd) }
        unlink(path)
    }

    /// Until a byte arrives or `timeout` seconds pass — at most `patience` seconds with the FIFO
    /// (a writer that never comes: an older supervisor, one that died), `tick` without it.
    public mutating func wait(_ timeout: Double, patience: Double = 0.01, tick: Double = 0.001) {
        guard fd >= 0 else {
            usleep(UInt32(max(0, min(timeout, tick)) * 1e6))
            return
        }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32((max(0, min(timeout, patience)) * 1000).rounded(.up))) > 0 else { return }
        var byte: UInt8 = 0
        if read(fd, &byte, 1) <= 0 {  // the writer came and went: POLLHUP from now on, a busy loop
            close(fd)
            fd = -1
        }
    }
}
