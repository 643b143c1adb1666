#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// A Kubernetes resource.Quantity ("125m", "32Mi", "1.5", "2e3"), kept exact as a fraction so
/// that "0.1" is 100 millicores, not 100.00000000000001.
public struct Quantity: Sendable, Equatable {
    public var numerator: Int64
    public var denominator: Int64
    public let text: String

    public static func parse(_ s: String) -> Quantity? {
        var body = Substring(s)
        var num: Int64 = 1, den: Int64 = 1
        let binary: [(String, Int)] = [("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60)]
        let decimal: [(String, Int)] = [("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)]
        var exp10 = 0
        if let (suffix, bits) = binary.first(where: { body.hasSuffix($0.0) }) {
            body = body.dropLast(suffix.count)
            num = 1 << Int64(bits)
        } else if let (suffix, e) = decimal.first(where: { body.hasSuffix($0.0) }) {
            body = body.dropLast(suffix.count)
            exp10 = e
        } else if let e = body.lastIndex(where: { $0 == "e" || $0 == "E" }), let x = Int(body[body.index(after: e)...]) {
            exp10 = x
            body = body[..<e]
        }
        if body.hasPrefix("+") { body = body.dropFirst() }
        guard !body.isEmpty, !body.hasPrefix("-") else { return nil }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              !(parts[0].isEmpty && (parts.count == 1 || parts[1].isEmpty)) else { return nil }
        let digits = parts.joined()
        guard digits.count <= 18, var mantissa = Int64(digits.isEmpty ? "0" : digits) else { return nil }
        exp10 -= parts.count == 2 ? parts[1].count : 0
        func mul(_ a: Int64, _ b: Int64) -> Int64? {
            let (r, o) = a.multipliedReportingOverflow(by: b)
            return o ? nil : r
        }
        while exp10 > 0 { guard let m = mul(mantissa, 10) else { return nil }; mantissa = m; exp10 -= 1 }
        while exp10 < 0 { guard let d = mul(den, 10) else { return nil }; den = d; exp10 += 1 }
        guard let n = mul(mantissa, num) else { return nil }
        return Quantity(numerator: n, denominator: den, text: s)
    }

    init(numerator: Int64, denominator: Int64, text: String) {
        self.numerator = numerator
        self.denominator = denominator
        self.text = text
    }

    public var isZero: Bool { numerator == 0 }
    /// Rounded up, like Quantity.Value().
    public var value: Int64 { Quantity.divideRoundingUp(numerator, denominator) }
    /// Thousandths, rounded up, like Quantity.MilliValue(); Int64's max when they do not fit ("5Ei").
    public var milliValue: Int64 { Quantity.divideRoundingUp(numerator.multiplied(saturating: 1000), denominator) }

    /// n/d rounded up without n + d - 1, which overflows for a quantity near Int64's max.
    static func divideRoundingUp(_ n: Int64, _ d: Int64) -> Int64 { n / d + (n % d > 0 ? 1 : 0) }

    public static func == (a: Quantity, b: Quantity) -> Bool {
        a.numerator.multipliedReportingOverflow(by: b.denominator).partialValue == b.numerator.multipliedReportingOverflow(by: a.denominator).partialValue
    }
}

/// A container's `resources` (requests and limits by resource name). Not enforced: podrig makes
/// no cgroups. They feed the QoS class, `resourceFieldRef` and the container status.
public struct ResourceRequirements: Sendable {
    public var requests: [(name: String, quantity: Quantity)] = []
    public var limits: [(name: String, quantity: Quantity)] = []

    public init() {}

    public func request(_ name: String) -> Quantity? { requests.first { $0.name == name }?.quantity }
    public func limit(_ name: String) -> Quantity? { limits.first { $0.name == name }?.quantity }
    public var isEmpty: Bool { requests.isEmpty && limits.isEmpty }

    /// The API server's defaulting: a resource with a limit and no request requests its limit.
    mutating func defaultRequests() {
        for l in limits where request(l.name) == nil { requests.append(l) }
    }

    public var json: JSON {
        var o = JSONObject()
        if !limits.isEmpty { o["limits"] = .object(JSONObject(limits.map { ($0.name, JSON.string($0.quantity.text)) })) }
        if !requests.isEmpty { o["requests"] = .object(JSONObject(requests.map { ($0.name, JSON.string($0.quantity.text)) })) }
        return .object(o)
    }
}

/// `valueFrom.resourceFieldRef`: one of a container's resources, divided and rounded up the way
/// kubelet's ExtractContainerResourceValue does; an unset limit is the node's allocatable amount.
public struct ResourceFieldRef: Sendable {
    public var containerName: String?
    public var resource: String
    public var divisor: Quantity?

    public init(containerName: String? = nil, resource: String, divisor: Quantity? = nil) {
        self.containerName = containerName
        self.resource = resource
        self.divisor = divisor
    }

    static let supported = ["limits.cpu", "limits.memory", "limits.ephemeral-storage",
                            "requests.cpu", "requests.memory", "requests.ephemeral-storage"]

    public func value(_ r: ResourceRequirements, node: NodeCapacity) -> String {
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        let (kind, name) = (parts[0], parts[1])
        var q = kind == "limits" ? r.limit(name) : r.request(name)
        if kind == "limits", q == nil || q?.isZero == true {
            q = Quantity.parse(String(node.amount(name)))
        }
        let quantity = q ?? Quantity.parse("0")!
        if name == "cpu" {
            let d = max(1, (divisor ?? Quantity.parse("1")!).milliValue)
            let m = quantity.milliValue
            return String(Quantity.divideRoundingUp(m, d))
        }
        let d = max(1, (divisor ?? Quantity.parse("1")!).value)
        return String(Quantity.divideRoundingUp(quantity.value, d))
    }
}

/// What kubelet would report as the node's allocatable resources (no reservations here).
public struct NodeCapacity: Sendable {
    public var cpus: Int64
    public var memoryBytes: Int64
    public var ephemeralStorageBytes: Int64

    public init(cpus: Int64, memoryBytes: Int64, ephemeralStorageBytes: Int64) {
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.ephemeralStorageBytes = ephemeralStorageBytes
    }

    public static func discover() -> NodeCapacity {
        let cpus = Int64(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var memory: Int64 = 0
        if let text = try? Files.readString("/proc/meminfo"),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kib = Int64(line.split(separator: " ").dropFirst().first ?? "") {
            memory = kib * 1024
        }
        var vfs = statvfs()
        let storage: Int64 = statvfs("/", &vfs) == 0 ? Int64(vfs.f_blocks) * Int64(vfs.f_frsize) : 0
        return NodeCapacity(cpus: cpus, memoryBytes: memory, ephemeralStorageBytes: storage)
    }

    func amount(_ name: String) -> Int64 {
        switch name {
        case "cpu": return cpus
        case "memory": return memoryBytes
        default: return ephemeralStorageBytes
        }
    }
}

/// kubelet's GetPodQOS over cpu and memory of every container (init and main).
public enum QOSClass {
    public static func of(_ spec: PodSpec) -> String {
        var requests: [String: Int64] = [:], limits: [String: Int64] = [:]
        var guaranteed = true
        for c in spec.initContainers + spec.containers {
            for (name, q) in c.resources.requests where name == "cpu" || name == "memory" {
                if !q.isZero { requests[name] = requests[name, default: 0].adding(saturating: q.milliValue) }
            }
            var found: Set<String> = []
            for (name, q) in c.resources.limits where name == "cpu" || name == "memory" {
                if !q.isZero {
                    found.insert(name)
                    limits[name] = limits[name, default: 0].adding(saturating: q.milliValue)
                }
            }
            if found != ["cpu", "memory"] { guaranteed = false }
        }
        if requests.isEmpty && limits.isEmpty { return "BestEffort" }
        if guaranteed && requests.allSatisfy({ limits[$0.key] == $0.value }) && requests.count == limits.count { return "Guaranteed" }
        return "Burstable"
    }
}
