#if canImport(Glibc)
import Glibc
#endif
import CPodrig
import PodrigCore

/// A seccomp profile in the Docker/OCI JSON shape (defaultAction, architectures, syscalls with
/// names, action, errnoRet, args, includes/excludes). RuntimeDefault is one of these, built in;
/// Localhost profiles are read from files. Compiled with libseccomp to BPF before any fork.
public struct SeccompProfile: Sendable {
    public struct Arg: Sendable { var index: UInt32; var value: UInt64; var valueTwo: UInt64; var op: Int32 }
    public struct Filter: Sendable { var caps: [String] = []; var arches: [String] = []; var minKernel: String? }
    public struct Rule: Sendable {
        var names: [String]
        var action: String
        var errnoRet: UInt16?
        var args: [Arg] = []
        var includes = Filter()
        var excludes = Filter()
    }

    public var defaultAction: String
    public var defaultErrnoRet: UInt16?
    public var architectures: [String]
    public var rules: [Rule]

    /// The rules that apply to a container with capability `mask` on this machine.
    func applicable(capMask: UInt64, arch: String) -> [Rule] {
        func has(_ cap: String) -> Bool { (try? Capabilities.number(cap)).map { capMask & (1 << UInt64($0)) != 0 } ?? false }
        return rules.filter { r in
            if !r.includes.caps.isEmpty && !r.includes.caps.allSatisfy(has) { return false }
            if !r.includes.arches.isEmpty && !r.includes.arches.contains(arch) { return false }
            if !r.excludes.caps.isEmpty && r.excludes.caps.contains(where: has) { return false }
            if r.excludes.arches.contains(arch) { return false }
            if let k = r.includes.minKernel, !SeccompProfile.kernelAtLeast(k) { return false }
            return true
        }
    }

    static func kernelAtLeast(_ v: String) -> Bool {
        var u = utsname()
        uname(&u)
        let release = withUnsafePointer(to: u.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
        let have = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let want = v.split(separator: ".").compactMap { Int($0) }
        return have.lexicographicallyPrecedes(want) == false
    }

    static func action(_ name: String, errno: UInt16?, what: String) throws(PodrigError) -> UInt32 {
        switch name {
        case "SCMP_ACT_ALLOW": return pr_seccomp_act_allow()
        case "SCMP_ACT_ERRNO": return pr_seccomp_act_errno(errno ?? UInt16(EPERM))
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD": return pr_seccomp_act_kill_process()
        case "SCMP_ACT_LOG": return pr_seccomp_act_log()
        case "SCMP_ACT_TRAP": return pr_seccomp_act_trap()
        default: throw PodrigError.invalid("\(what): unsupported seccomp action \(name)")
        }
    }

    /// Compiles to a BPF program for a container whose capability mask is `capMask`.
    public func compile(capMask: UInt64) throws(PodrigError) -> [UInt8] {
        let arch = "amd64"
        guard let ctx = pr_seccomp_new(try SeccompProfile.action(defaultAction, errno: defaultErrnoRet, what: "defaultAction")) else {
            throw PodrigError(.system, "seccomp_init failed")
        }
        defer { pr_seccomp_release(ctx) }
        for a in architectures {
            let name = a.hasPrefix("SCMP_ARCH_") ? String(a.dropFirst(10)).lowercased() : a.lowercased()
            let libName = name == "x86_64" ? "x86_64" : name
            if pr_seccomp_add_arch(ctx, libName) != 0 { Log.debug("seccomp: architecture \(a) not supported here; skipped") }
        }
        for rule in applicable(capMask: capMask, arch: arch) {
            let act = try SeccompProfile.action(rule.action, errno: rule.errnoRet ?? defaultErrnoRet, what: "syscalls \(rule.names.first ?? "")")
            // Several conditions on one argument mean "any of them" (Docker's reading): one rule each.
            let indexes = rule.args.map(\.index)
            let groups: [[Arg]] = Set(indexes).count < indexes.count ? rule.args.map { [$0] } : [rule.args]
            for name in rule.names {
                for group in groups {
                    var conds = group.map { pr_seccomp_cond(arg: $0.index, op: $0.op, value: $0.value, value_two: $0.valueTwo) }
                    let rc = conds.withUnsafeMutableBufferPointer { buf in
                        pr_seccomp_rule(ctx, act, name, buf.baseAddress, UInt32(buf.count))
                    }
                    if rc == -ENOENT { continue }  // not a syscall on this architecture
                    try checked(rc, "seccomp rule for \(name)")
                }
            }
        }
        var out: UnsafeMutableRawPointer?
        var len = 0
        let rc = pr_seccomp_export(ctx, &out, &len)
        try checked(rc, "seccomp export")
        guard let out else { throw PodrigError.system("seccomp export", errno: ENOMEM) }
        defer { free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: len))
    }

    /// Parses a Docker/OCI-style profile (a Localhost profile file).
    public static func parse(_ json: JSON, source: String) throws(PodrigError) -> SeccompProfile {
        var r = ConfigReader(json, path: source)
        guard let def = try r.string("defaultAction") else { throw PodrigError.invalid("\(source): defaultAction is required") }
        let defErrno = try r.int("defaultErrnoRet").map { UInt16(clamping: $0) }
        var arches = try r.strings("architectures") ?? []
        if let map = try r.array("archMap") {
            for m in map where m["architecture"]?.string == "SCMP_ARCH_X86_64" {
                arches += (m["subArchitectures"]?.array ?? []).compactMap(\.string)
            }
        }
        var rules: [Rule] = []
        for (i, s) in (try r.array("syscalls") ?? []).enumerated() {
            var sr = ConfigReader(s, path: "\(source): syscalls[\(i)]")
            var names = try sr.strings("names") ?? []
            if let n = try sr.string("name") { names.append(n) }
            guard let action = try sr.string("action") else { throw PodrigError.invalid("\(sr.path).action: required") }
            var rule = Rule(names: names, action: action, errnoRet: try sr.int("errnoRet").map { UInt16(clamping: $0) })
            for (k, a) in (try sr.array("args") ?? []).enumerated() {
                var ar = ConfigReader(a, path: "\(sr.path).args[\(k)]")
                let ops = ["SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4, "SCMP_CMP_GE": 5,
                           "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7]
                guard let op = try ar.string("op"), let opn = ops[op] else { throw PodrigError.invalid("\(ar.path).op: unknown") }
                let value = ar.take("value").flatMap { UInt64($0.compactNumber) } ?? 0
                let valueTwo = ar.take("valueTwo").flatMap { UInt64($0.compactNumber) } ?? 0
                // A syscall has six arguments (libseccomp's SCMP_A0…SCMP_A5).
                let index = try ar.int("index") ?? 0
                guard (0...5).contains(index) else { throw PodrigError.invalid("\(ar.path).index: \(index) is not a syscall argument (0 to 5)") }
                rule.args.append(Arg(index: UInt32(index), value: value, valueTwo: valueTwo, op: Int32(opn)))
                ar.ignoreRest()
            }
            for (key, isInclude) in [("includes", true), ("excludes", false)] {
                guard let f = try sr.object(key) else { continue }
                var fr = ConfigReader(.object(f), path: "\(sr.path).\(key)")
                let filter = Filter(caps: try fr.strings("caps") ?? [], arches: try fr.strings("arches") ?? [], minKernel: try fr.string("minKernel"))
                fr.ignoreRest()
                if isInclude { rule.includes = filter } else { rule.excludes = filter }
            }
            sr.ignoreRest()
            rules.append(rule)
        }
        r.ignoreRest()
        return SeccompProfile(defaultAction: def, defaultErrnoRet: defErrno, architectures: arches, rules: rules)
    }
}

extension JSON {
    /// A number's text, or a string's (profiles sometimes quote big numbers).
    var compactNumber: String {
        if case .number(let n) = self { return n }
        return string ?? ""
    }
}
