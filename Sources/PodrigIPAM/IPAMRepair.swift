import PodrigCore

/// `podrig ipam repair`: a lease table that cannot be read (zero bytes after a power cut on a
/// filesystem that lost it, garbage) is set aside and rebuilt from what the runtime knows — the
/// attachments in its CNI result cache. Reservations of deleted pods cannot be recovered.
public enum IPAMRepair {
    /// One attachment the runtime still has, with the addresses its cached ADD result holds.
    public struct Attachment: Sendable {
        public var containerID: String
        public var ifName: String
        public var ips: [String]
        public var pod: String?

        public init(containerID: String, ifName: String, ips: [String], cniArgs: [(String, String)]) {
            self.containerID = containerID
            self.ifName = ifName
            self.ips = ips
            let ns = cniArgs.first { $0.0 == "K8S_POD_NAMESPACE" }?.1 ?? ""
            let name = cniArgs.first { $0.0 == "K8S_POD_NAME" }?.1 ?? ""
            pod = name.isEmpty ? nil : (ns.isEmpty ? "default" : ns) + "/" + name
        }
    }

    public struct Report: Sendable {
        /// Where the unreadable table went; nil when the table was fine and nothing changed.
        public var setAside: String?
        public var restored: [String] = []
        public var problems: [String] = []
    }

    /// Rebuilds the table of `config`'s network if it is unreadable (or always, with `force`).
    public static func run(_ config: IPAMConfig, attachments: [Attachment], force: Bool = false, now: Int64) throws(PodrigError) -> Report {
        let store = try LeaseStore(directory: config.directory)
        defer { store.unlock() }
        var report = Report()
        var old: LeaseTable?
        do { old = try store.load(network: config.name) } catch {
            if error.code == .system { throw error }
        }
        if old != nil && !force { return report }
        var table = LeaseTable(network: config.name)
        // With --force on a readable table, reservations and lastReserved survive the rebuild.
        if let old {
            table.leases = old.leases.filter { $0.state == .reserved }
            table.lastReserved = old.lastReserved
        }
        for a in attachments {
            for text in a.ips {
                guard let ip = IPAddr(text), config.rangeSets.contains(where: { $0.range(for: ip) != nil }) else { continue }
                if let holder = table.leases.first(where: { $0.ip == ip && $0.state == .allocated }) {
                    report.problems.append("\(ip) is cached for both \(holder.holder) and container \(a.containerID.prefix(12)); kept the first")
                    continue
                }
                table.leases.removeAll { $0.ip == ip }
                table.leases.append(Lease(ip: ip, state: .allocated, containerID: a.containerID, ifName: a.ifName, pod: a.pod, since: now))
                report.restored.append("\(ip) \(a.containerID.prefix(12))/\(a.ifName)")
            }
        }
        table.rangeSets = config.storedRanges
        table.reservationTTL = config.reservationTTL
        report.setAside = old == nil ? try store.setAsideCorrupt() : store.path
        try store.save(table)
        return report
    }
}
