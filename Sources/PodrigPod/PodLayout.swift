import PodrigCore
import PodrigSandbox

/// Where a pod's files live: <sandbox dir>/pod/… (removed with the sandbox); logs in the pod's
/// log directory (kubelet's <ns>_<name>_<uid>/<container>/<restart>.log).
public struct PodLayout: Sendable {
    public let directory: String

    public init(sandboxDirectory: String) { directory = sandboxDirectory + "/pod" }
    /// A CRI container's own directory (<sandbox dir>/containers/<id>), laid out like a pod's.
    public init(directory: String) { self.directory = directory }
    public init(store: SandboxStore, id: String) { self.init(sandboxDirectory: store.directory(id)) }

    public var manifest: String { directory + "/manifest.json" }
    public var plan: String { directory + "/plan.json" }
    public var status: String { directory + "/status.json" }
    public var events: String { directory + "/events.log" }
    public var supervisor: String { directory + "/supervisor.json" }
    public var supervisorLog: String { directory + "/supervisor.log" }
    /// A created CRI container's start gate (plan startGate): a FIFO, gone once `start` wrote it.
    public var startGate: String { directory + "/start" }
    /// Its start reply (plan startReply, the supervisor's P.reply_path): a FIFO `start` makes and
    /// reads while it waits; the supervisor writes one byte once status.json shows the start.
    public var startReply: String { directory + "/started" }
    public var etc: String { directory + "/etc" }
    public var shm: String { directory + "/shm" }
    public func volume(_ name: String) -> String { directory + "/volumes/" + name }
    public func container(_ name: String) -> String { directory + "/containers/" + name }

    public var exists: Bool { Files.exists(manifest) }

    /// kubelet's directory name for a pod's logs.
    public static func logDirectory(root: String, namespace: String, name: String, uid: String) -> String {
        "\(root)/\(namespace)_\(name)_\(uid)"
    }
}
