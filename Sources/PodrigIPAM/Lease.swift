import PodrigCore

/// One address held in a network: allocated to an attachment (container ID + ifname), or
/// reserved for a pod (sticky IPs) until `expires`.
public struct Lease: Sendable, Equatable {
    public enum State: String, Sendable {
        case allocated
        case reserved
    }

    public var ip: IPAddr
    public var state: State
    /// The attachment holding it; for a reservation, the one that held it last ("" if none).
    public var containerID: String
    /// "" on a reservation made by hand: it matches the pod's attachment on any interface.
    public var ifName: String
    /// "namespace/name" from K8S_POD_NAMESPACE/K8S_POD_NAME; nil when the runtime sent none.
    public var pod: String?
    public var podUID: String?
    /// When it was allocated or reserved (ns since the epoch).
    public var since: Int64
    /// When a reservation lapses (ns); nil = never (a reservation made by hand without --ttl).
    public var expires: Int64?

    public init(ip: IPAddr, state: State, containerID: String, ifName: String, pod: String?, podUID: String? = nil,
                since: Int64, expires: Int64? = nil) {
        self.ip = ip
        self.state = state
        self.containerID = containerID
        self.ifName = ifName
        self.pod = pod
        self.podUID = podUID
        self.since = since
        self.expires = expires
    }

    public func isExpired(at now: Int64) -> Bool {
        state == .reserved && (expires.map { $0 <= now } ?? false)
    }

    /// "pod ns/name (container 0123456789ab, eth0)" for error messages.
    public var holder: String {
        var parts: [String] = []
        if let pod { parts.append("pod \(pod)") }
        if !containerID.isEmpty {
            let c = "container \(containerID.prefix(12))" + (ifName.isEmpty ? "" : ", \(ifName)")
            parts.append(parts.isEmpty ? c : "(\(c))")
        }
        return parts.isEmpty ? "a reservation" : parts.joined(separator: " ")
    }

    /// `json.compact` written straight as bytes (the table's hot path: one line per lease on
    /// every ADD and DEL); the same text, keys in the same order.
    func appendJSON(to out: inout [UInt8]) {
        func key(_ k: StaticString, first: Bool = false) {
            if !first { out.append(0x2C) }
            out.append(0x22)
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            out.append(0x22); out.append(0x3A)
        }
        out.append(0x7B)
        key("ip", first: true)
        out.append(0x22); ip.appendText(to: &out); out.append(0x22)
        key("state"); JSON.appendString(state.rawValue, to: &out)
        key("containerID"); JSON.appendString(containerID, to: &out)
        key("ifname"); JSON.appendString(ifName, to: &out)
        if let pod { key("pod"); JSON.appendString(pod, to: &out) }
        if let podUID { key("podUID"); JSON.appendString(podUID, to: &out) }
        key("since"); out.append(contentsOf: String(since).utf8)
        if let expires { key("expires"); out.append(contentsOf: String(expires).utf8) }
        out.append(0x7D)
    }

    var json: JSON {
        var o = JSONObject()
        o["ip"] = .string(ip.description)
        o["state"] = .string(state.rawValue)
        o["containerID"] = .string(containerID)
        o["ifname"] = .string(ifName)
        if let pod { o["pod"] = .string(pod) }
        if let podUID { o["podUID"] = .string(podUID) }
        o["since"] = .int(since)
        if let expires { o["expires"] = .int(expires) }
        return .object(o)
    }

    init(json: JSON, index: Int) throws(PodrigError) {
        func bad(_ what: String) -> PodrigError { PodrigError.invalid("lease \(index): \(what)") }
        guard let ipText = json["ip"]?.string, let ip = IPAddr(ipText) else { throw bad("\"ip\" is missing or not an address") }
        guard let st = json["state"]?.string, let state = State(rawValue: st) else { throw bad("\"state\" must be allocated or reserved") }
        guard let since = json["since"]?.int else { throw bad("\"since\" is missing") }
        self.init(ip: ip, state: state, containerID: json["containerID"]?.string ?? "", ifName: json["ifname"]?.string ?? "",
                  pod: json["pod"]?.string, podUID: json["podUID"]?.string, since: Int64(since),
                  expires: json["expires"]?.int.map { Int64($0) })
        if state == .allocated, containerID.isEmpty { throw bad("an allocated lease needs a containerID") }
    }
}

/// A network's leases as stored in `<dataDir>/<network>/podrig-ipam.json`.
public struct LeaseTable: Sendable, Equatable {
    public static let kind = "podrig-ipam/v1"

    public var network: String
    public var leases: [Lease] = []
    /// The last address handed out per range set index, so freed addresses are not reused first
    /// (host-local's last_reserved_ip.<n>).
    public var lastReserved = LastReserved()
    /// The range sets and TTL of the config that last wrote the table, for `podrig ipam`.
    public var rangeSets: JSON = .array([])
    public var reservationTTL: Int64?

    public init(network: String) { self.network = network }

    public func encoded() -> [UInt8] {
        var o = JSONObject()
        o["kind"] = .string(Self.kind)
        o["network"] = .string(network)
        o["ranges"] = rangeSets
        if let reservationTTL { o["reservationTTL"] = .string(IPAMDuration.format(reservationTTL)) }
        var last = JSONObject()
        for k in lastReserved.indices { if let ip = lastReserved[k] { last[String(k)] = .string(ip.description) } }
        o["lastReserved"] = .object(last)
        // One lease per line: readable, diffable, and a fraction of the pretty form to parse.
        var out = Array((String(JSON.object(o).pretty.dropLast(2)) + ",\n  \"leases\": [").utf8)
        out.reserveCapacity(out.count + leases.count * 160 + 8)
        for (i, l) in leases.sorted(by: { $0.ip < $1.ip }).enumerated() {
            out.append(contentsOf: i == 0 ? [0x0A, 0x20, 0x20, 0x20, 0x20] : [0x2C, 0x0A, 0x20, 0x20, 0x20, 0x20])
            l.appendJSON(to: &out)
        }
        out.append(contentsOf: (leases.isEmpty ? "]\n}\n" : "\n  ]\n}\n").utf8)
        return out
    }

    /// Parses a stored table; `path` names the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(PodrigError) -> LeaseTable {
        let repair = "; run `podrig ipam repair` to rebuild it"
        if bytes.allSatisfy({ $0 == 0 || $0 == 0x20 || $0 == 0x0A }) {
            throw PodrigError(.invalidInput, "lease store \(path) is empty (\(bytes.count) bytes)\(repair)")
        }
        let json: JSON
        let fast = LeaseLines.read(bytes)
        if let fast { json = fast.header } else {
            do { json = try JSONParser.parse(bytes: bytes) } catch {
                throw PodrigError(.invalidInput, "lease store \(path) is corrupt: \(error.message)\(repair)")
            }
        }
        guard json["kind"]?.string == kind, let network = json["network"]?.string else {
            throw PodrigError(.invalidInput, "lease store \(path) is not a \(kind) lease table\(repair)")
        }
        var t = LeaseTable(network: network)
        t.rangeSets = json["ranges"] ?? .array([])
        if let ttl = json["reservationTTL"]?.string { t.reservationTTL = try? IPAMDuration.parse(ttl, what: "reservationTTL") }
        for (k, v) in json["lastReserved"]?.object ?? JSONObject() {
            // Bounded: a range set index, not a size to allocate for.
            if let i = Int(k), i >= 0, i < 1024, let s = v.string, let ip = IPAddr(s) { t.lastReserved[i] = ip }
        }
        if let fast {
            t.leases = fast.leases
        } else {
            guard let list = json["leases"]?.array else { throw PodrigError(.invalidInput, "lease store \(path): \"leases\" is missing\(repair)") }
            t.leases.reserveCapacity(list.count)
            for (i, l) in list.enumerated() {
                let lease: Lease
                do { lease = try Lease(json: l, index: i) } catch { throw error.context("lease store \(path)") }
                t.leases.append(lease)
            }
        }
        // Sorted, duplicates are neighbours (no Set: see IPAMPlugin.run).
        let ips = t.leases.map(\.ip).sorted()
        for i in ips.indices.dropFirst() where ips[i] == ips[i - 1] {
            throw PodrigError(.invalidInput, "lease store \(path): \(ips[i]) is listed twice\(repair)")
        }
        return t
    }
}

/// The last address handed out per range set (by index); nil where none was yet. An array
/// rather than [Int: IPAddr], which would cost every plugin start a runtime conformance lookup.
public struct LastReserved: Sendable, Equatable {
    private var slots: [IPAddr?] = []

    public init() {}

    public subscript(_ k: Int) -> IPAddr? {
        get { k >= 0 && k < slots.count ? slots[k] : nil }
        set {
            guard k >= 0 else { return }
            while slots.count <= k { slots.append(nil) }
            slots[k] = newValue
        }
    }

    public var indices: Range<Int> { slots.indices }
}
