import PodrigCore

/// Who asks: the attachment (container ID + ifname) and, when the runtime says, the pod.
public struct IPAMAttachment: Sendable, Equatable {
    public var containerID: String
    public var ifName: String
    /// "namespace/name".
    public var pod: String?
    public var podUID: String?

    public init(containerID: String, ifName: String, pod: String? = nil, podUID: String? = nil) {
        self.containerID = containerID
        self.ifName = ifName
        self.pod = pod
        self.podUID = podUID
    }
}

/// An address handed out, with the range it came from (for the prefix and gateway).
public struct IPAMAssignment: Sendable, Equatable {
    public var ip: IPAddr
    public var range: IPAMRange
}

/// Why an allocation failed; `code` is the CNI error code the plugin reports.
public struct IPAMFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Int, Sendable {
        case exhausted = 100          // no free address in a range set
        case requestedUnavailable = 101
        case duplicate = 102          // the attachment already holds an address
    }
    public var kind: Kind
    public var message: String
    public var description: String { message }
}

/// The allocation rules, on a lease table in memory: pure (the clock is a parameter), so every
/// rule is unit-tested without a disk or a plugin exec.
public struct IPAMAllocator {
    public let config: IPAMConfig
    public var table: LeaseTable
    public let now: Int64

    public init(config: IPAMConfig, table: LeaseTable, now: Int64) {
        self.config = config
        self.table = table
        self.now = now
    }

    /// Drops reservations whose TTL has passed; true if any went.
    @discardableResult
    public mutating func reapExpired() -> Bool {
        let before = table.leases.count
        table.leases.removeAll { $0.isExpired(at: now) }
        return table.leases.count != before
    }

    /// One address per range set, in range set order: the requested one in that set, else the
    /// pod's reservation (sticky), else the next free one after the last handed out. Nothing
    /// changes unless every set succeeds.
    public mutating func add(_ a: IPAMAttachment, requested: [IPAddr]) throws(IPAMFailure) -> [IPAMAssignment] {
        reapExpired()
        var work = table
        var remaining = requested
        var out: [IPAMAssignment] = []
        for (k, set) in config.rangeSets.enumerated() {
            let req = remaining.firstIndex { set.range(for: $0) != nil }.map { remaining.remove(at: $0) }
            let ip = try pick(k, set, a, requested: req, in: &work)
            let range = set.range(for: ip)!
            // A pod holds one address per range set: a reservation it had elsewhere in the set goes.
            if let pod = a.pod {
                work.leases.removeAll { $0.state == .reserved && $0.pod == pod && ($0.ifName.isEmpty || $0.ifName == a.ifName) && set.range(for: $0.ip) != nil && $0.ip != ip }
            }
            work.leases.removeAll { $0.ip == ip }
            work.leases.append(Lease(ip: ip, state: .allocated, containerID: a.containerID, ifName: a.ifName,
                                     pod: a.pod, podUID: a.podUID, since: now))
            work.lastReserved[k] = ip
            out.append(IPAMAssignment(ip: ip, range: range))
        }
        if !remaining.isEmpty {
            let why = remaining.map { ip -> String in
                if let s = config.rangeSets.first(where: { $0.range(for: ip) != nil }) {
                    return "\(ip) (a second address in range set \(s))"
                }
                if config.rangeSets.contains(where: { $0.ranges.contains { $0.subnet.contains(ip) } }) {
                    return "\(ip) (inside the subnet but outside rangeStart-rangeEnd)"
                }
                return "\(ip) (not in any range of network \(config.name): \(config.rangeSets.map(\.description).joined(separator: "; ")))"
            }
            throw IPAMFailure(kind: .requestedUnavailable, message: "failed to allocate all requested IPs: " + why.joined(separator: ", "))
        }
        work.rangeSets = config.storedRanges
        work.reservationTTL = config.reservationTTL
        table = work
        return out
    }

    private func pick(_ k: Int, _ set: IPAMRangeSet, _ a: IPAMAttachment, requested: IPAddr?, in t: inout LeaseTable) throws(IPAMFailure) -> IPAddr {
        let mine = t.leases.filter { $0.state == .allocated && $0.containerID == a.containerID && $0.ifName == a.ifName && set.range(for: $0.ip) != nil }
        if let held = mine.first {
            throw IPAMFailure(kind: .duplicate, message: "\(held.ip) has been allocated to \(a.containerID), duplicate allocation is not allowed")
        }
        if let ip = requested {
            let r = set.range(for: ip)!
            if ip == r.gateway { throw IPAMFailure(kind: .requestedUnavailable, message: "requested ip \(ip) is subnet's gateway") }
            if let l = t.leases.first(where: { $0.ip == ip }) {
                let ours = l.state == .reserved && l.pod != nil && l.pod == a.pod && (l.ifName.isEmpty || l.ifName == a.ifName)
                if !ours {
                    let what = l.state == .allocated ? "allocated to \(l.holder)"
                        : "reserved for \(l.holder)" + (l.expires.map { " until \(Time.rfc3339($0))" } ?? "")
                    throw IPAMFailure(kind: .requestedUnavailable, message: "requested IP address \(ip) is \(what)")
                }
            }
            return ip
        }
        if let pod = a.pod {
            if config.reservationTTL != nil, let other = t.leases.first(where: { $0.state == .allocated && $0.pod == pod && $0.ifName == a.ifName && set.range(for: $0.ip) != nil }) {
                throw IPAMFailure(kind: .duplicate, message: "pod \(pod) already holds \(other.ip) through \(other.holder); DEL that attachment (or `podrig gc`) first")
            }
            let reserved = t.leases.filter { $0.state == .reserved && $0.pod == pod && set.range(for: $0.ip) != nil }
            // Its own interface's reservation first, then one made by hand (any interface).
            if let r = reserved.first(where: { $0.ifName == a.ifName }) ?? reserved.first(where: { $0.ifName.isEmpty }) {
                return r.ip
            }
        }
        let taken = TakenAddresses(t.leases.lazy.filter { set.range(for: $0.ip) != nil }.map(\.ip))
        if let ip = nextFree(k, set, taken: taken) { return ip }
        let reserved = t.leases.filter { $0.state == .reserved && set.range(for: $0.ip) != nil }.count
        throw IPAMFailure(kind: .exhausted, message: "no IP addresses available in range set: \(set)"
                          + (reserved > 0 ? " (\(reserved) reserved for deleted pods until their TTL passes)" : ""))
    }

    /// host-local's round robin: from the last address handed out + 1 through every range of the
    /// set, wrapping, skipping gateways and taken addresses.
    func nextFree(_ k: Int, _ set: IPAMRangeSet, taken: TakenAddresses) -> IPAddr? {
        var idx = 0
        var cur: IPAddr
        if let last = table.lastReserved[k], let i = set.ranges.firstIndex(where: { $0.contains(last) }) {
            idx = i
            cur = advance(last, &idx, set)
        } else {
            cur = set.ranges[0].rangeStart
        }
        let start = cur
        let startIdx = idx
        while true {
            if cur != set.ranges[idx].gateway, !taken.contains(cur) { return cur }
            cur = advance(cur, &idx, set)
            if cur == start, idx == startIdx { return nil }
        }
    }

    private func advance(_ ip: IPAddr, _ idx: inout Int, _ set: IPAMRangeSet) -> IPAddr {
        if ip == set.ranges[idx].rangeEnd {
            idx = (idx + 1) % set.ranges.count
            return set.ranges[idx].rangeStart
        }
        return ip.next
    }

    /// Releases the attachment's addresses; with sticky IPs on and a known pod they become the
    /// pod's reservation until the TTL passes. True if anything changed.
    @discardableResult
    public mutating func del(_ a: IPAMAttachment) -> Bool {
        let changed = release { $0.containerID == a.containerID && $0.ifName == a.ifName }
        return reapExpired() || changed
    }

    /// Spec 1.1 GC: every allocated lease whose attachment is not in `valid` ("containerID/ifname")
    /// is released as DEL would; reservations stay until they expire.
    @discardableResult
    public mutating func gc(valid: Set<String>) -> Bool {
        let changed = release { !valid.contains($0.containerID + "/" + $0.ifName) }
        return reapExpired() || changed
    }

    private mutating func release(_ match: (Lease) -> Bool) -> Bool {
        var changed = false
        var kept: [Lease] = []
        for var l in table.leases {
            guard l.state == .allocated, match(l) else { kept.append(l); continue }
            changed = true
            if let ttl = config.reservationTTL, l.pod != nil {
                l.state = .reserved
                l.since = now
                l.expires = now.adding(saturating: ttl)  // a TTL of centuries: until Int64's end, not a trap
                kept.append(l)
            }
        }
        table.leases = kept
        if changed {
            table.rangeSets = config.storedRanges
            table.reservationTTL = config.reservationTTL
        }
        return changed
    }

    /// The attachment's allocated addresses (CHECK).
    public func held(by a: IPAMAttachment) -> [Lease] {
        table.leases.filter { $0.state == .allocated && $0.containerID == a.containerID && $0.ifName == a.ifName }
    }

    /// STATUS: a message per exhausted range set (allocated plus live reservations fill it).
    public func exhausted() -> [String] {
        var out: [String] = []
        for (k, set) in config.rangeSets.enumerated() {
            let used = table.leases.filter { !$0.isExpired(at: now) && set.range(for: $0.ip) != nil }.count
            let cap = set.capacity
            if UInt64(used) >= cap {
                out.append("range set \(k) (\(set)) is exhausted: \(used) of \(cap) addresses allocated or reserved")
            }
        }
        return out
    }
}

extension IPAMConfig {
    /// The canonical range sets, as written into the lease table for `podrig ipam`.
    public var storedRanges: JSON {
        .array(rangeSets.map { set in
            .array(set.ranges.map { r in
                ["subnet": .string(r.subnet.description), "rangeStart": .string(r.rangeStart.description),
                 "rangeEnd": .string(r.rangeEnd.description), "gateway": .string(r.gateway.description)]
            })
        })
    }
}

/// The addresses in use in a range set, sorted for binary search: a Set<IPAddr> would cost every
/// plugin start a runtime conformance lookup (IPAddr: Hashable) for a few dozen addresses.
struct TakenAddresses {
    let sorted: [IPAddr]

    init<S: Sequence>(_ ips: S) where S.Element == IPAddr { sorted = ips.sorted() }

    func contains(_ ip: IPAddr) -> Bool {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < ip { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == ip
    }
}
