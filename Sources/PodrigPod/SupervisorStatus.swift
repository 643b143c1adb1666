import PodrigCore

/// What the supervisor writes to status.json (docs/supervisor.md; CShims/supervisor/output.c writes it).
public struct SupervisorStatus: Sendable {
    public struct Termination: Sendable, Equatable {
        public var exitCode: Int
        public var signal: Int
        public var startedAt: Int64
        public var finishedAt: Int64
        public var reason: String
        public var message: String

        public init(exitCode: Int, signal: Int, startedAt: Int64, finishedAt: Int64, reason: String, message: String) {
            self.exitCode = exitCode
            self.signal = signal
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.reason = reason
            self.message = message
        }
    }

    public struct Container: Sendable {
        public var name: String
        public var state: ContainerState
        public var pid: Int32
        public var startedAt: Int64
        public var restartCount: Int
        public var ready: Bool
        public var started: Bool
        public var reason: String?
        public var message: String?
        public var terminated: Termination?
        public var lastTerminated: Termination?

        public init(name: String, state: ContainerState, pid: Int32 = 0, startedAt: Int64 = 0, restartCount: Int = 0, ready: Bool = false,
                    started: Bool = false, reason: String? = nil, message: String? = nil, terminated: Termination? = nil,
                    lastTerminated: Termination? = nil) {
            self.name = name
            self.state = state
            self.pid = pid
            self.startedAt = startedAt
            self.restartCount = restartCount
            self.ready = ready
            self.started = started
            self.reason = reason
            self.message = message
            self.terminated = terminated
            self.lastTerminated = lastTerminated
        }
    }

    public var supervisorPid: Int32
    public var startTime: Int64
    public var initializedAt: Int64
    public var terminating: Bool
    /// "Succeeded" or "Failed" once the pod completed on its own.
    public var result: String?
    /// The pod's own reason and message (DeadlineExceeded: PR_REASON_DEADLINE_EXCEEDED).
    public var reason: String?
    public var message: String?
    public var containers: [Container]

    public init(supervisorPid: Int32 = 0, startTime: Int64 = 0, initializedAt: Int64 = 0, terminating: Bool = false,
                result: String? = nil, reason: String? = nil, message: String? = nil, containers: [Container] = []) {
        self.supervisorPid = supervisorPid
        self.startTime = startTime
        self.initializedAt = initializedAt
        self.terminating = terminating
        self.result = result
        self.reason = reason
        self.message = message
        self.containers = containers
    }

    public func container(_ name: String) -> Container? { containers.first { $0.name == name } }

    public static func load(_ path: String) -> SupervisorStatus? {
        guard let text = try? Files.readString(path), let json = try? JSONParser.parse(text) else { return nil }
        return parse(json)
    }

    public static func parse(_ j: JSON) -> SupervisorStatus {
        func int64(_ v: JSON?) -> Int64 { v.flatMap { $0.int }.map(Int64.init) ?? 0 }
        func term(_ v: JSON?) -> Termination? {
            guard let v, v.object != nil else { return nil }
            return Termination(exitCode: v["exitCode"]?.int ?? 0, signal: v["signal"]?.int ?? 0, startedAt: int64(v["startedAt"]),
                               finishedAt: int64(v["finishedAt"]), reason: v["reason"]?.string ?? "", message: v["message"]?.string ?? "")
        }
        let containers = (j["containers"]?.array ?? []).map { c in
            Container(name: c["name"]?.string ?? "", state: c["state"]?.string.flatMap(ContainerState.init(rawValue:)) ?? .waiting, pid: c["pid"]?.int.flatMap(ProcessIdentity.pid) ?? 0,
                      startedAt: int64(c["startedAt"]), restartCount: c["restartCount"]?.int ?? 0, ready: c["ready"]?.bool ?? false,
                      started: c["started"]?.bool ?? false, reason: c["reason"]?.string, message: c["message"]?.string,
                      terminated: term(c["terminated"]), lastTerminated: term(c["lastTerminated"]))
        }
        return SupervisorStatus(supervisorPid: j["supervisorPid"]?.int.flatMap(ProcessIdentity.pid) ?? 0, startTime: int64(j["startTime"]),
                                initializedAt: int64(j["initializedAt"]), terminating: j["terminating"]?.bool ?? false,
                                result: j["result"]?.string, reason: j["reason"]?.string, message: j["message"]?.string,
                                containers: containers)
    }
}
