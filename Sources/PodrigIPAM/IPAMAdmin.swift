import PodrigCore

/// What `podrig ipam reserve|release` change in a network's lease table, under its lock.
public enum IPAMAdmin {
    /// Reserves `ip` for `pod` ("ns/name"), until now + ttl or, without a ttl, until released.
    /// Refused when the address is outside the ranges, a gateway, allocated, or another pod's.
    public static func reserve(_ config: IPAMConfig, ip: IPAddr, pod: String, ttl: Int64?, now: Int64) throws(PodrigError) -> Lease {
        guard let set = config.rangeSets.first(where: { $0.range(for: ip) != nil }), let range = set.range(for: ip) else {
            throw PodrigError.invalid("\(ip) is not in any range of network \(config.name): \(config.rangeSets.map(\.description).joined(separator: "; "))")
        }
        if ip == range.gateway { throw PodrigError.invalid("\(ip) is the gateway of \(range.subnet)") }
        let store = try LeaseStore(directory: config.directory)
        defer { store.unlock() }
        var alloc = IPAMAllocator(config: config, table: try store.load(network: config.name), now: now)
        alloc.reapExpired()
        if let l = alloc.table.leases.first(where: { $0.ip == ip }) {
            if l.state == .allocated { throw PodrigError(.conflict, "\(ip) is allocated to \(l.holder)") }
            if l.pod != pod { throw PodrigError(.conflict, "\(ip) is reserved for \(l.holder)" + (l.expires.map { " until \(Time.rfc3339($0))" } ?? "")) }
        }
        // One reservation per pod and range set, as a sticky DEL leaves.
        alloc.table.leases.removeAll { $0.ip == ip || ($0.state == .reserved && $0.pod == pod && set.range(for: $0.ip) != nil) }
        let lease = Lease(ip: ip, state: .reserved, containerID: "", ifName: "", pod: pod, since: now, expires: ttl.map { now.adding(saturating: $0) })
        alloc.table.leases.append(lease)
        alloc.table.rangeSets = config.storedRanges
        alloc.table.reservationTTL = config.reservationTTL
        try store.save(alloc.table)
        return lease
    }

    /// Frees `ip`: a reservation always, an allocated address only with `force` (its pod still uses it).
    public static func release(_ config: IPAMConfig, ip: IPAddr, force: Bool, now: Int64) throws(PodrigError) -> Lease {
        let store = try LeaseStore(directory: config.directory)
        defer { store.unlock() }
        var table = try store.load(network: config.name)
        guard let l = table.leases.first(where: { $0.ip == ip }) else {
            throw PodrigError(.notFound, "\(ip) is neither allocated nor reserved in network \(config.name)")
        }
        if l.state == .allocated && !force {
            throw PodrigError(.conflict, "\(ip) is allocated to \(l.holder); releasing it would let another pod get an address in use (--force to do it anyway)")
        }
        table.leases.removeAll { $0.ip == ip }
        try store.save(table)
        return l
    }

    /// The table as stored, read without the lock (it is only ever replaced by rename).
    public static func read(_ config: IPAMConfig) throws(PodrigError) -> LeaseTable {
        let path = config.directory + "/" + LeaseStore.fileName
        do { return try LeaseTable.decode(try Files.read(path), path: path) } catch {
            if error.code == .notFound { return LeaseTable(network: config.name) }
            throw error
        }
    }
}
