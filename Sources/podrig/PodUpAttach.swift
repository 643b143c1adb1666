#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CPodrig
import PodrigCore
import PodrigPod

/// `up -i`/`-t`/`-it`: kubectl run -it's way with a manifest — this terminal attached to the one
/// container created with `stdin: true` (for -i) and `tty: true` (for -t), through its
/// supervisor's attach socket. The pods go when the session ends, as with `kubectl run -it --rm`.
extension PodUp {
    /// The container to attach to: the first main container of the file's Pods with the stdin/tty
    /// asked for. Checked before anything starts.
    func interactiveTarget(_ manifests: [PodManifest]) throws(PodrigError) -> (pod: String, namespace: String, container: String) {
        if detach { throw PodrigError(.usage, "up: -i/-t attach this terminal to a container; they cannot be combined with -d") }
        for m in manifests {
            for c in m.spec.containers where (!interactive || c.stdin) && (!tty || c.tty) {
                return (m.name, m.namespace, c.name)
            }
        }
        let want = [interactive ? "stdin: true" : nil, tty ? "tty: true" : nil].compactMap { $0 }.joined(separator: " and ")
        throw PodrigError.invalid("\(file): up \(interactive ? "-i" : "")\(tty ? (interactive ? "t" : "-t") : ""): no Pod in the file has a container with \(want)")
    }

    /// Waits for the container to run, attaches, and once the session ends takes the pods down and
    /// exits with the container's exit status.
    func attachInteractive(_ manager: PodManager, _ pods: [PodManager.Pod], to target: (pod: String, namespace: String, container: String),
                           cleanUp: () -> Void) throws {
        defer { cleanUp() }
        let t0 = Clock.now()
        var t: ContainerExec.Target
        while true {
            t = try ContainerExec.target(target.pod, container: target.container, namespace: target.namespace, pods: manager)
            if let st = t.status, st.state == .running, t.supervisorAlive { break }
            if t.status?.state == .terminated || !t.supervisorAlive || Clock.now() - t0 > timeout {
                throw PodrigError(.notReady, "up: \(t.what) did not start (\(t.status?.state.rawValue ?? "no status")); its log: podrig logs \(target.pod) -c \(target.container)")
            }
            usleep(20_000)
        }
        // What the container wrote before we attached is in its log only (kubectl says the same).
        try PodAttach.session(t, interactive: interactive, tty: tty) {
            if tty { Log.write("If you don't see a command prompt, try pressing enter.\n") }
        }
        // The session ends with the container: its exit status is up's.
        var code: Int32 = 0
        let end = Clock.now() + 2
        while Clock.now() < end {
            let cur = try? ContainerExec.target(target.pod, container: target.container, namespace: target.namespace, pods: manager)
            if let term = cur?.status?.terminated ?? cur?.status?.lastTerminated, cur?.status?.state != .running {
                code = Int32(clamping: term.signal != 0 ? 128 + min(max(term.signal, 0), 127) : term.exitCode)  // a damaged status: no trap
                break
            }
            usleep(20_000)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
