import Foundation

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }

extension Array {
    func shifted(by k: Int) -> [Element] { Array(self[k...] + self[..<k]) }
}

final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func update(_ f: (inout T) throws -> Void) rethrows { lock.lock(); defer { lock.unlock() }; try f(&v) }
}

/// Everything measured, with the table and JSON views and the targets checked.
struct Results {
    var samples: [String: [Double]] = [:]
    var memory: [(rss: Int, pss: Int)] = []
    /// A running pod's pause and supervisor (KiB).
    var podMemory: (pause: (rss: Int, pss: Int), supervisor: (rss: Int, pss: Int))?
    var breakdown: [(String, Double)] = []
    var throughput: [(c: Int, floorUp: Double, floorDown: Double, podrigUp: Double, podrigDown: Double)] = []
    var notes: [String] = []
    var hasCNI = true
    var machine = ""

    /// What hack/bench pairs within a round: (podrig's key, the floor's key); each round's ratio
    /// goes to "ratio.<podrig's key>".
    static let pairs: [(String, String)] = [("podrig.up", "floor.up"), ("podrig.down", "floor.down"),
                                            ("podrig.ipam.up", "floor.up"), ("podrig.ipam.down", "floor.down")]

    /// Per-round ratios: median, quartiles, extremes, and how many rounds are at or under `limit`.
    func paired(_ key: String, limit: Double) -> (median: Double, p25: Double, p75: Double, min: Double, max: Double, within: Int, n: Int)? {
        guard let xs = samples["ratio." + key]?.sorted(), !xs.isEmpty else { return nil }
        func q(_ f: Double) -> Double {
            let pos = f * Double(xs.count - 1), lo = Int(pos), hi = min(lo + 1, xs.count - 1)
            return xs[lo] + (xs[hi] - xs[lo]) * (pos - Double(lo))
        }
        return (median(xs), q(0.25), q(0.75), xs.first!, xs.last!, xs.filter { $0 <= limit }.count, xs.count)
    }

    func pairedText(_ key: String, limit: Double) -> String? {
        guard let r = paired(key, limit: limit) else { return nil }
        return String(format: "%.2f× (IQR %.2f–%.2f, range %.2f–%.2f, %d/%d rounds ≤ %.2f)", r.median, r.p25, r.p75, r.min, r.max, r.within, r.n, limit)
    }

    mutating func add(_ key: String, _ s: Double) { samples[key, default: []].append(s) }
    mutating func add(_ key: String, _ s: [Double]) { samples[key, default: []] += s }
    mutating func note(_ s: String) { notes.append(s) }

    func stats(_ key: String) -> (min: Double, median: Double, max: Double, n: Int)? {
        guard let xs = samples[key], !xs.isEmpty else { return nil }
        return (xs.min()!, median(xs), xs.max()!, xs.count)
    }

    struct Target { var name: String; var value: String; var target: String; var met: Bool }

    var targets: [Target] {
        var out: [Target] = []
        let mark = hasCNI ? "" : " (loopback-only runp)"
        // The latency targets: the median of the per-round paired ratios.
        for (key, name, limit) in [("podrig.up", "runp / floor ADD" + mark, 0.90), ("podrig.down", "stopp+rmp / floor DEL" + mark, 1.00),
                                   ("podrig.ipam.up", "runp with podrig-ipam / floor ADD", 0.90)] {
            if let r = paired(key, limit: limit) {
                out.append(Target(name: name + " (paired)", value: String(format: "%.2f×", r.median), target: String(format: "≤ %.2f×", limit), met: r.median <= limit))
            }
        }
        for verb in ["add", "del"] {
            if let r = paired("ipam.podrig.\(verb)", limit: 0.50) {
                out.append(Target(name: "podrig-ipam / host-local \(verb.uppercased()) (paired)",
                                  value: String(format: "%.2f×", r.median), target: "≤ 0.50×", met: r.median <= 0.50))
            } else if let p = stats("ipam.podrig.\(verb)"), let h = stats("ipam.hostlocal.\(verb)") {
                let r = p.median / h.median
                out.append(Target(name: "podrig-ipam / host-local \(verb.uppercased())",
                                  value: String(format: "%.2f×", r), target: "≤ 0.50×", met: r <= 0.50))
            }
        }
        if let pm = podMemory {
            let rss = pm.pause.rss + pm.supervisor.rss
            out.append(Target(name: "pause + supervisor VmRSS", value: String(format: "%.2f MiB", Double(rss) / 1024), target: "≤ 2 MiB", met: rss <= 2048))
        } else if let m = memory.map(\.rss).max() {
            out.append(Target(name: "pause VmRSS (no supervisor in this podrig)", value: String(format: "%.2f MiB", Double(m) / 1024), target: "≤ 2 MiB", met: m <= 2048))
        }
        if let t = throughput.last {
            let r = (t.floorUp + t.floorDown) / (t.podrigUp + t.podrigDown)
            out.append(Target(name: "throughput c=\(t.c) / floor" + mark, value: String(format: "%.2f×", r), target: "≥ 1.30×", met: r >= 1.3))
        }
        if let v = stats("podrig.version"), let h = stats("proc.hello") {
            let d = v.median - h.median
            out.append(Target(name: "podrig --version − static C hello-world", value: String(format: "%+.2f ms", d * 1000), target: "≤ 0.5 ms", met: d <= 0.0005))
        }
        if let key = samples.keys.first(where: { $0.hasPrefix("pods.") && !$0.hasSuffix(".json") }), let p = stats(key) {
            out.append(Target(name: "podrig pods, \(key.dropFirst(5)) sandboxes", value: ms(p.median) + " ms", target: "≤ 20 ms", met: p.median <= 0.020))
        }
        return out
    }

    func table() -> String {
        var s = "\npodrig bench — \(machine)\n\n"
        s += pad(["latency (ms)", "n", "min", "median", "max", "vs floor"]) + "\n"
        let rows: [(String, String, String?)] = [
            ("floor.up", "floor: netns add + lo + bridge ADD", nil),
            ("podrig.up", "podrig runp (READY, IPs)" + (hasCNI ? "" : " [no CNI]"), "floor.up"),
            ("podrig.ipam.up", "podrig runp, podrig-ipam network", "floor.up"),
            ("podrig.hostNetwork.up", "podrig runp, hostNetwork", "floor.up"),
            ("floor.down", "floor: bridge DEL + lo DEL + netns del", nil),
            ("floor.down.netnsFirst", "floor, netns del first, then DEL (info)", "floor.down"),
            ("podrig.down", "podrig stopp + rmp" + (hasCNI ? "" : " [no CNI]"), "floor.down"),
            ("podrig.ipam.down", "podrig stopp + rmp, podrig-ipam network", "floor.down"),
            ("podrig.hostNetwork.down", "podrig stopp + rmp, hostNetwork", "floor.down"),
            ("proc.hello", "static C hello-world (process start+exit)", nil),
            ("proc.true", "/bin/true", "proc.hello"),
            ("podrig.version", "podrig --version", "proc.hello"),
            ("ipam.hostlocal.add", "host-local ADD (plugin exec)", nil),
            ("ipam.podrig.add", "podrig-ipam ADD (plugin exec)", "ipam.hostlocal.add"),
            ("ipam.hostlocal.del", "host-local DEL (plugin exec)", nil),
            ("ipam.podrig.del", "podrig-ipam DEL (plugin exec)", "ipam.hostlocal.del"),
        ]
        for (key, label, base) in rows {
            guard let st = stats(key) else { continue }
            let ratio = base.flatMap { stats($0) }.map { String(format: "%.2f×", st.median / $0.median) } ?? ""
            s += pad([label, "\(st.n)", ms(st.min), ms(st.median), ms(st.max), ratio]) + "\n"
        }
        for key in samples.keys.sorted() where key.hasPrefix("pods.") {
            let st = stats(key)!
            s += pad(["podrig pods" + (key.hasSuffix(".json") ? " -o json" : "") + ", \(key.split(separator: ".")[1]) sandboxes", "\(st.n)", ms(st.min), ms(st.median), ms(st.max), ""]) + "\n"
        }
        if samples.keys.contains(where: { $0.hasPrefix("ratio.") }) {
            s += "\npaired per-round ratios (podrig / floor in the same round, floor first and last in turn):\n"
            for (key, label, limit) in [("podrig.up", "runp", 0.90), ("podrig.down", "stopp + rmp", 1.00),
                                        ("podrig.ipam.up", "runp, podrig-ipam network", 0.90), ("podrig.ipam.down", "stopp + rmp, podrig-ipam network", 1.00),
                                        ("ipam.podrig.add", "podrig-ipam / host-local ADD", 0.50), ("ipam.podrig.del", "podrig-ipam / host-local DEL", 0.50)] {
                if let t = pairedText(key, limit: limit) { s += "  " + label.padding(toLength: 34, withPad: " ", startingAt: 0) + t + "\n" }
            }
        }
        if !throughput.isEmpty {
            let w = [42, 10, 12, 11, 13]
            s += "\n" + pad(["throughput (sandboxes/s)", "floor up", "floor down", "podrig up", "podrig down", "up+down vs floor"], widths: w) + "\n"
            for t in throughput {
                let n = Double(throughputCount)
                s += pad(["concurrency \(t.c)", String(format: "%.1f", n / t.floorUp), String(format: "%.1f", n / t.floorDown),
                          String(format: "%.1f", n / t.podrigUp), String(format: "%.1f", n / t.podrigDown),
                          String(format: "%.2f×", (t.floorUp + t.floorDown) / (t.podrigUp + t.podrigDown))], widths: w) + "\n"
            }
        }
        if !memory.isEmpty {
            s += "\nmemory of pause (KiB, \(memory.count) samples): VmRSS \(memory.map(\.rss).max()!) max, Pss \(memory.map(\.pss).max()!) max\n"
        }
        if let pm = podMemory {
            s += "memory of a running pod (KiB): pause VmRSS \(pm.pause.rss) Pss \(pm.pause.pss); supervisor VmRSS \(pm.supervisor.rss) Pss \(pm.supervisor.pss)\n"
        }
        if !breakdown.isEmpty {
            s += "\none runp / stopp / rmp, step by step (median of 10, ms):\n"
            for (name, v) in breakdown { s += "  " + name.padding(toLength: 44, withPad: " ", startingAt: 0) + ms(v) + "\n" }
        }
        s += "\ntargets:\n"
        for t in targets { s += "  " + pad([t.name, t.value, t.target, t.met ? "met" : "MISSED"], widths: [44, 11, 9]) + "\n" }
        for n in notes { s += "note: \(n)\n" }
        return s
    }

    var throughputCount: Int { Int(CommandLine.arguments.drop { $0 != "--throughput" }.dropFirst().first ?? "200") ?? 200 }

    func json() -> [String: Any] {
        var lat: [String: Any] = [:]
        for key in samples.keys where !key.hasPrefix("ratio.") { let st = stats(key)!; lat[key] = ["n": st.n, "minMs": st.min * 1000, "medianMs": st.median * 1000, "maxMs": st.max * 1000] }
        return [
            "date": ISO8601DateFormatter().string(from: Date()), "machine": machine, "podrigHasCNI": hasCNI,
            "latency": lat,
            "throughput": throughput.map { ["concurrency": $0.c, "count": throughputCount, "floorUpS": $0.floorUp, "floorDownS": $0.floorDown, "podrigUpS": $0.podrigUp, "podrigDownS": $0.podrigDown] },
            "pauseMemoryKiB": memory.map { ["vmRSS": $0.rss, "pss": $0.pss] },
            "podMemoryKiB": podMemory.map { ["pause": ["vmRSS": $0.pause.rss, "pss": $0.pause.pss], "supervisor": ["vmRSS": $0.supervisor.rss, "pss": $0.supervisor.pss]] as Any } ?? NSNull(),
            "breakdownMs": breakdown.map { ["step": $0.0, "medianMs": $0.1 * 1000] },
            "pairedRatios": Dictionary(uniqueKeysWithValues: Results.pairs.compactMap { key, _ in
                paired(key, limit: 1).map { (key, ["median": $0.median, "p25": $0.p25, "p75": $0.p75, "min": $0.min, "max": $0.max, "n": $0.n] as [String: Any]) }
            }),
            "targets": targets.map { ["name": $0.name, "value": $0.value, "target": $0.target, "met": $0.met] },
            "notes": notes,
        ]
    }

    func pad(_ cells: [String], widths: [Int] = [42, 6, 8, 8, 8]) -> String {
        var out = ""
        for (i, c) in cells.enumerated() {
            out += i < widths.count ? c.padding(toLength: max(widths[i], c.count + 1), withPad: " ", startingAt: 0) : c
        }
        return out
    }
}
