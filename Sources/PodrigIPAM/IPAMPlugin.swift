#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// The podrig-ipam plugin: one CNI command from the environment and stdin to a result or an
/// error object on stdout (spec 1.1 "Plugin output"). `run` is the process; `handle` is pure
/// enough for unit tests (it only touches the lease store under dataDir).
public enum IPAMPlugin {
    public static let supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    /// A CNI error: the well-known codes of the spec, plus podrig-ipam's own (≥ 100).
    public struct Failure: Error, Sendable {
        public var code: Int
        public var msg: String
        public var details: String = ""

        public static let incompatibleVersion = 1
        public static let unknownContainer = 3
        public static let invalidEnvironment = 4
        public static let ioFailure = 5
        public static let decodeFailure = 6
        public static let invalidConfig = 7
        public static let notAvailable = 50
        /// Lease store unreadable (zero bytes, garbage): `podrig ipam repair` rebuilds it.
        public static let corruptStore = 110

        init(_ code: Int, _ msg: String, details: String = "") {
            self.code = code
            self.msg = msg
            self.details = details
        }

        init(_ e: PodrigError, config code: Int = invalidConfig) {
            self.init(e.code == .system ? Self.ioFailure : code, e.description)
        }
    }

    public struct Output: Sendable {
        public var stdout: String
        public var exitCode: Int32
    }

    /// The CNI_* variables a command reads. Not a [String: String]: each hashed container of a
    /// new key type costs a start of this short-lived process a runtime conformance lookup (a scan
    /// of every conformance record, ≈ 45k instructions), and start cost is most of a command's time.
    public struct Environment: Sendable, ExpressibleByDictionaryLiteral {
        public var command = "", containerID = "", ifName = "", netns = "", args = ""

        public init(dictionaryLiteral pairs: (String, String)...) {
            for (k, v) in pairs { set(k, v) }
        }

        public init(_ env: [String: String]) {
            for (k, v) in env { set(k, v) }
        }

        mutating func set(_ key: String, _ value: String) {
            switch key {
            case "CNI_COMMAND": command = value
            case "CNI_CONTAINERID": containerID = value
            case "CNI_IFNAME": ifName = value
            case "CNI_NETNS": netns = value
            case "CNI_ARGS": args = value
            default: break
            }
        }
    }

    /// The process: the CNI_* variables of environ, all of stdin, the answer on stdout. Only
    /// CNI_* entries become strings (a runtime's own environment can be long); stdin goes
    /// straight into uninitialised storage.
    public static func run() -> Never {
        var env = Environment()
        var p = environ
        while let entry = p.pointee {
            // "CNI_" = 0x43 0x4E 0x49 0x5F
            if entry[0] == 0x43, entry[1] == 0x4E, entry[2] == 0x49, entry[3] == 0x5F {
                let s = String(cString: entry)
                if let eq = s.utf8.firstIndex(of: 0x3D) { env.set(String(s[..<eq]), String(s[s.index(after: eq)...])) }
            }
            p += 1
        }
        let out: Output
        do { out = handle(env: env, stdin: try Files.read(fd: 0, name: "stdin"), now: Time.nowNanos()) } catch {
            out = failed(Failure(Failure.ioFailure, error.description), version: "1.1.0")
        }
        var text = out.stdout
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text.withUTF8 { b in
            var off = 0
            while off < b.count {
                let n = write(1, b.baseAddress! + off, b.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                off += n
            }
        }
        exit(out.exitCode)
    }

    public static func handle(env: [String: String], stdin: [UInt8], now: Int64) -> Output {
        handle(env: Environment(env), stdin: stdin, now: now)
    }

    public static func handle(env: Environment, stdin: [UInt8], now: Int64) -> Output {
        let command = env.command
        var version = "1.1.0"
        do throws(Failure) {
            if command == "VERSION" {
                return Output(stdout: JSON.object(JSONObject([("cniVersion", .string("1.1.0")),
                                                              ("supportedVersions", .array(supportedVersions.map { .string($0) }))])).compact, exitCode: 0)
            }
            guard ["ADD", "DEL", "CHECK", "GC", "STATUS"].contains(command) else {
                throw Failure(Failure.invalidEnvironment, command.isEmpty ? "required env variables [CNI_COMMAND] missing" : "unknown CNI_COMMAND: \(command)")
            }
            let raw: JSON
            do { raw = try JSONParser.parse(bytes: stdin) } catch {
                throw Failure(Failure.decodeFailure, "error decoding network config: \(error.message)")
            }
            if let v = raw["cniVersion"]?.string, !v.isEmpty { version = v }
            guard let v = raw["cniVersion"]?.string, supportedVersions.contains(v) else {
                let given = raw["cniVersion"]?.string ?? "0.1.0"
                throw Failure(Failure.incompatibleVersion, "incompatible CNI versions", details: "config is \"\(given)\", plugin supports \(supportedVersions)")
            }
            let config: IPAMConfig
            do { config = try IPAMConfig.parse(raw) } catch { throw Failure(error) }
            switch command {
            case "ADD": return Output(stdout: try add(config, env: env, now: now).compact, exitCode: 0)
            case "DEL": try del(config, env: env, now: now)
            case "CHECK": try check(config, env: env, now: now)
            case "GC": try gc(config, now: now)
            default: try status(config, now: now)
            }
            return Output(stdout: "", exitCode: 0)
        } catch {
            return failed(error, version: version)
        }
    }

    /// The spec's error object on stdout, exit status 1.
    static func failed(_ error: Failure, version: String) -> Output {
        var o = JSONObject()
        o["cniVersion"] = .string(version)
        o["code"] = .int(error.code)
        o["msg"] = .string(error.msg)
        if !error.details.isEmpty { o["details"] = .string(error.details) }
        return Output(stdout: JSON.object(o).compact, exitCode: 1)
    }

    // MARK: commands

    static func attachment(_ env: Environment, config: IPAMConfig) throws(Failure) -> (IPAMAttachment, IPAMRequest) {
        var missing: [String] = []
        let cid = env.containerID
        let ifName = env.ifName
        if cid.isEmpty { missing.append("CNI_CONTAINERID") }
        if ifName.isEmpty { missing.append("CNI_IFNAME") }
        if !missing.isEmpty { throw Failure(Failure.invalidEnvironment, "required env variables [\(missing.joined(separator: ","))] missing") }
        let idOK = cid.utf8.first.map(isAlnum) == true && cid.utf8.allSatisfy { isAlnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
        if !idOK { throw Failure(Failure.invalidEnvironment, "invalid characters in containerID", details: cid) }
        if ifName.utf8.count > 15 || ifName == "." || ifName == ".." || ifName.utf8.contains(where: { $0 == 0x2F || $0 == 0x3A || $0 <= 0x20 }) {
            throw Failure(Failure.invalidEnvironment, "interface name \"\(ifName)\" is invalid (at most 15 characters, no '/', ':' or spaces)")
        }
        let req: IPAMRequest
        do { req = try IPAMRequest.parse(cniArgs: env.args, config: config.raw) } catch { throw Failure(error) }
        return (IPAMAttachment(containerID: cid, ifName: ifName, pod: req.pod, podUID: req.podUID), req)
    }

    static func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }

    static func open(_ config: IPAMConfig) throws(Failure) -> (LeaseStore, LeaseTable) {
        let store: LeaseStore
        do { store = try LeaseStore(directory: config.directory) } catch { throw Failure(error) }
        do { return (store, try store.load(network: config.name)) } catch {
            throw Failure(error.code == .system ? Failure.ioFailure : Failure.corruptStore, error.description)
        }
    }

    static func save(_ store: LeaseStore, _ table: LeaseTable) throws(Failure) {
        do { try store.save(table, durable: false) } catch { throw Failure(error) }
    }

    static func add(_ config: IPAMConfig, env: Environment, now: Int64) throws(Failure) -> JSON {
        let (a, req) = try attachment(env, config: config)
        var dns = JSON.object(JSONObject())
        if let path = config.resolvConf {
            do { dns = try resolvConf(path) } catch { throw Failure(error) }
        }
        let (store, table) = try open(config)
        var alloc = IPAMAllocator(config: config, table: table, now: now)
        let got: [IPAMAssignment]
        do { got = try alloc.add(a, requested: req.requested) } catch {
            throw Failure(error.kind.rawValue, error.message)
        }
        try save(store, alloc.table)
        store.unlock()
        return result(got, config: config, dns: dns)
    }

    static func del(_ config: IPAMConfig, env: Environment, now: Int64) throws(Failure) {
        let (a, _) = try attachment(env, config: config)
        let (store, table) = try open(config)
        var alloc = IPAMAllocator(config: config, table: table, now: now)
        if alloc.del(a) { try save(store, alloc.table) }
    }

    static func check(_ config: IPAMConfig, env: Environment, now: Int64) throws(Failure) {
        let (a, _) = try attachment(env, config: config)
        let (_, table) = try open(config)
        let held = IPAMAllocator(config: config, table: table, now: now).held(by: a)
        if held.isEmpty {
            throw Failure(Failure.unknownContainer, "podrig-ipam: failed to find address added by container \(a.containerID) (\(a.ifName))")
        }
        if let ips = config.raw["prevResult"]?["ips"]?.array {
            let listed = Set(ips.compactMap { $0["address"]?.string.flatMap(IPAddr.init) })
            for l in held where !listed.contains(l.ip) {
                throw Failure(Failure.invalidConfig, "podrig-ipam: \(l.ip) is leased to \(a.containerID)/\(a.ifName) but missing from prevResult")
            }
        }
    }

    static func gc(_ config: IPAMConfig, now: Int64) throws(Failure) {
        guard let list = (config.raw["cni.dev/valid-attachments"] ?? config.raw["cni.dev/attachments"])?.array else {
            throw Failure(Failure.invalidConfig, "GC needs \"cni.dev/valid-attachments\" (a list of {containerID, ifname})")
        }
        var valid = Set<String>()
        for item in list {
            guard let c = item["containerID"]?.string, let i = item["ifname"]?.string else {
                throw Failure(Failure.invalidConfig, "cni.dev/valid-attachments: \(item.compact) lacks containerID or ifname")
            }
            valid.insert(c + "/" + i)
        }
        let (store, table) = try open(config)
        var alloc = IPAMAllocator(config: config, table: table, now: now)
        if alloc.gc(valid: valid) { try save(store, alloc.table) }
        // A stale temp file of a writer killed before its rename goes too.
        try? Files.remove(store.path + ".tmp")
    }

    static func status(_ config: IPAMConfig, now: Int64) throws(Failure) {
        // Read without the lock: the table is only ever replaced by rename.
        var table = LeaseTable(network: config.name)
        do {
            table = try LeaseTable.decode(try Files.read(config.directory + "/" + LeaseStore.fileName), path: config.directory + "/" + LeaseStore.fileName)
        } catch {
            if error.code != .notFound { throw Failure(Failure.notAvailable, error.description) }
        }
        let full = IPAMAllocator(config: config, table: table, now: now).exhausted()
        if !full.isEmpty { throw Failure(Failure.notAvailable, "podrig-ipam: network \(config.name): " + full.joined(separator: "; ")) }
    }

    // MARK: output

    /// The IPAM result in the config's version (0.3.x/0.4.0 carry "version" on each IP).
    public static func result(_ got: [IPAMAssignment], config: IPAMConfig, dns: JSON = .object(JSONObject())) -> JSON {
        let legacy = config.cniVersion.hasPrefix("0.")
        var o = JSONObject()
        o["cniVersion"] = .string(config.cniVersion)
        o["ips"] = .array(got.map { g in
            var ip = JSONObject()
            if legacy { ip["version"] = .string(g.ip.isV6 ? "6" : "4") }
            ip["address"] = .string("\(g.ip)/\(g.range.subnet.prefix)")
            ip["gateway"] = .string(g.range.gateway.description)
            return .object(ip)
        })
        if !config.routes.isEmpty { o["routes"] = .array(config.routes) }
        o["dns"] = dns
        return .object(o)
    }

    /// host-local's resolvConf: nameserver, domain, search and options lines.
    static func resolvConf(_ path: String) throws(PodrigError) -> JSON {
        let text = try Files.readString(path)
        var servers: [JSON] = [], search: [JSON] = [], options: [JSON] = []
        var domain: String?
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let key = f.first, !key.hasPrefix("#"), !key.hasPrefix(";") else { continue }
            let rest = f.dropFirst().map { JSON.string(String($0)) }
            switch key {
            case "nameserver": servers += rest
            case "domain": domain = rest.first?.string
            case "search": search += rest
            case "options": options += rest
            default: break
            }
        }
        var o = JSONObject()
        if !servers.isEmpty { o["nameservers"] = .array(servers) }
        if let domain { o["domain"] = .string(domain) }
        if !search.isEmpty { o["search"] = .array(search) }
        if !options.isEmpty { o["options"] = .array(options) }
        return .object(o)
    }
}
