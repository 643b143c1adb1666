#if canImport(Glibc)
import Glibc
#endif

/// Work spread over the machine's cores with plain pthreads (no Dispatch: podrig stays light).
public enum Parallel {
    /// CPUs this process may run on.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// `body(i)` for every i in 0..<count, strided over up to `maxThreads` threads (the caller's
    /// one of them), never more than one per `perThread` items; returns when all are done. `body`
    /// must be safe to run concurrently for different i (each i writes only its own slot).
    public static func forEach(_ count: Int, perThread: Int = 64, maxThreads: Int = 4, _ body: (Int) -> Void) {
        let workers = max(1, min(cores, maxThreads, count / max(perThread, 1)))
        if workers == 1 {
            for i in 0..<count { body(i) }
            return
        }
        final class Stride: @unchecked Sendable {
            let run: () -> Void
            init(_ run: @escaping () -> Void) { self.run = run }
        }
        withoutActuallyEscaping(body) { body in
            func stride(_ k: Int) -> () -> Void {
                { var i = k; while i < count { body(i); i += workers } }
            }
            var threads: [pthread_t] = []
            for k in 1..<workers {
                let job = Unmanaged.passRetained(Stride(stride(k))).toOpaque()
                var t = pthread_t()
                let rc = pthread_create(&t, nil, { arg in
                    Unmanaged<Stride>.fromOpaque(arg!).takeRetainedValue().run()
                    return nil
                }, job)
                if rc == 0 { threads.append(t) } else { Unmanaged<Stride>.fromOpaque(job).takeRetainedValue().run() }
            }
            stride(0)()
            for t in threads { pthread_join(t, nil) }
        }
    }
}

/// One call run on its own pthread while the caller does something else; `wait()` joins it and
/// returns its result (or throws its error). If no thread can be made, the call runs inline.
/// No runtime type lookups on the way (CRI create starts one per container): the thread gets a
/// plain closure box rather than a cast to a protocol, and the outcome is two optionals rather
/// than a Result<T, PodrigError> — each of those makes the Swift runtime scan the static binary's
/// conformance records the first time (≈ 0.1 ms here).
public final class Background<T>: @unchecked Sendable {
    private let body: () throws(PodrigError) -> T
    private var value: T?
    private var failure: PodrigError?
    private var thread: pthread_t?

    private init(_ body: @escaping () throws(PodrigError) -> T) {
        self.body = body
    }

    /// Starts `body` on a new thread.
    public static func start(_ body: @escaping () throws(PodrigError) -> T) -> Background<T> {
        let job = Background(body)
        job.launch()
        return job
    }

    private func launch() {
        let box = Unmanaged.passRetained(BackgroundBox { self.run() }).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, backgroundEntry, box)
        if rc == 0 {
            thread = t
        } else {
            Unmanaged<BackgroundBox>.fromOpaque(box).release()
            run()
        }
    }

    fileprivate func run() {
        do throws(PodrigError) { value = try body() } catch { failure = error }
    }

    public func wait() throws(PodrigError) -> T {
        if let t = thread {
            pthread_join(t, nil)
            thread = nil
        }
        if let failure { throw failure }
        guard let value else { throw PodrigError(.internalError, "background call ended without a result") }
        return value
    }
}

/// What Background's threads run (a generic class cannot hand pthread_create a closure of its own).
private final class BackgroundBox {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
private func backgroundEntry(_ arg: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<BackgroundBox>.fromOpaque(arg!).takeRetainedValue().run()
    return nil
}
