import PodrigCore

/// What `podrig pods` prints of a sandbox (its table and -q), read from the record without building
/// the rest of it: 1000 records' labels, annotations, sysctls and port maps were a third of the
/// listing. A record this cannot read is read again whole (SandboxStore.summaries), so a damaged
/// one reports exactly what `load` reports.
public struct SandboxSummary: Sendable, Equatable {
    public var id: String
    public var name: String
    public var namespace: String
    public var attempt: Int
    public var createdAt: Int64
    public var state: SandboxState
    public var pause: ProcessIdentity?
    public var podIPs: [String]

    /// The fields SandboxRecord.init(json:) reads for these, with the same defaults.
    static let pick: JSONPick = .keys([
        ("id", .all), ("config", .keys([("name", .all), ("namespace", .all), ("attempt", .all)])),
        ("state", .all), ("createdAt", .all), ("pause", .all), ("podIPs", .all),
    ])

    public init(_ r: SandboxRecord) {
        self.init(id: r.id, name: r.config.name, namespace: r.config.namespace, attempt: r.config.attempt,
                  createdAt: r.createdAt, state: r.state, pause: r.pause, podIPs: r.podIPs)
    }

    init(id: String, name: String, namespace: String, attempt: Int, createdAt: Int64, state: SandboxState,
         pause: ProcessIdentity?, podIPs: [String]) {
        self.id = id
        self.name = name
        self.namespace = namespace
        self.attempt = attempt
        self.createdAt = createdAt
        self.state = state
        self.pause = pause
        self.podIPs = podIPs
    }

    /// nil where SandboxRecord(json:) would throw (or the bytes are no JSON): the caller then reads
    /// the record whole for its error. Mirrors SandboxRecord.init(json:) and
    /// PodSandboxConfig.init(recordJSON:) field by field (SandboxSummaryTests holds them equal).
    init?(recordBytes bytes: [UInt8]) {
        guard let json = try? JSONParser.parse(bytes: bytes, pick: Self.pick),
              let id = json["id"]?.string, let config = json["config"], let name = config["name"]?.string,
              let s = json["state"]?.string, let state = SandboxState(rawValue: s)
        else { return nil }
        var pause: ProcessIdentity?
        if let p = json["pause"], let pid = p["pid"]?.int, case .number(let start)? = p["startTime"], let startTime = UInt64(start) {
            guard let pid = ProcessIdentity.pid(pid) else { return nil }  // SandboxRecord(json:) throws
            pause = ProcessIdentity(pid: pid, startTime: startTime)
        }
        self.init(id: id, name: name, namespace: config["namespace"]?.string ?? "default", attempt: config["attempt"]?.int ?? 0,
                  createdAt: Int64(json["createdAt"]?.int ?? 0), state: state, pause: pause,
                  podIPs: (json["podIPs"]?.array ?? []).compactMap(\.string))
    }

    /// SandboxRecord.effectiveState's rule: a ready sandbox whose pause died is NOTREADY.
    public var effectiveState: SandboxState {
        if state == .ready, let pause, !pause.isAlive { return .notReady }
        return state
    }
}
