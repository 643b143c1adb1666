import Foundation

/// podrig driven as a user would: one process per command, crictl-style config files.
struct Podrig: Sendable {
    let exe: String
    let root: String
    let work: String
    /// CNI flags (empty while podrig has no CNI: runp then gives a loopback-only netns).
    let netFlags: [String]

    func config(_ tag: String, hostNetwork: Bool) throws -> String {
        let path = "\(work)/pods/\(tag).json"
        let ns = hostNetwork ? #","linux":{"security_context":{"namespace_options":{"network":2}}}"# : ""
        let text = #"{"metadata":{"name":"b-\#(tag)","namespace":"bench","uid":"uid-\#(tag)"}\#(ns)}"#
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func command(_ verb: String, _ args: [String], flags: Bool = true) -> [String] {
        [exe, verb, "--root", root] + (flags ? netFlags : []) + args
    }

    /// runp to READY; returns (id, seconds, output).
    func runp(_ config: String, env: [String] = baseEnv) throws -> (String, Double, RunOutput) {
        let r = try must(run(command("runp", [config]), env: env), "podrig runp")
        return (r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), r.seconds, r)
    }

    /// stopp then rmp, as CRI does; returns the total seconds.
    func down(_ id: String, env: [String] = baseEnv) throws -> (Double, [RunOutput]) {
        let s = try must(run(command("stopp", [id]), env: env), "podrig stopp")
        let r = try must(run(command("rmp", [id]), env: env), "podrig rmp")
        return (s.seconds + r.seconds, [s, r])
    }

    func inspect(_ id: String) throws -> [String: Any] {
        let r = try must(run([exe, "inspectp", "--root", root, id]), "podrig inspectp")
        return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    func pausePid(_ id: String) throws -> Int32 {
        let info = try inspect(id)["info"] as? [String: Any]
        return Int32((info?["pid"] as? Int) ?? 0)
    }

    func podIPs(_ id: String) throws -> [String] {
        ((try inspect(id)["info"] as? [String: Any])?["podIPs"] as? [String]) ?? []
    }
}

/// VmRSS and Pss (smaps_rollup) of a process, in KiB.
func memory(_ pid: Int32) -> (rss: Int, pss: Int)? {
    func field(_ file: String, _ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }
    guard let rss = field("/proc/\(pid)/status", "VmRSS"), let pss = field("/proc/\(pid)/smaps_rollup", "Pss") else { return nil }
    return (rss, pss)
}
