import PodrigCore

/// `podrig exec` and friends: the spawn options that put a new process into a running container
/// (its namespaces, user, capabilities, no_new_privs, seccomp filter, env, working directory).
public enum ContainerExec {
    public static func options(_ p: PodManager.Pod, container: String?, argv: [String]) throws(PodrigError) -> SpawnOptions {
        let name = container ?? p.manifest.spec.containers.first?.name ?? ""
        guard let plan = p.plan, let c = plan["containers"]?.array?.first(where: { $0["name"]?.string == name }),
              let spawn = c["spawn"] else {
            throw PodrigError(.notFound, "container \"\(name)\" is not in pod \(p.manifest.name)")
        }
        guard let st = p.status?.container(name), st.state == .running, st.pid > 0, p.supervisorAlive else {
            throw PodrigError(.notReady, "container \(name) of pod \(p.manifest.name) is not running")
        }
        let env = (spawn["env"]?.array ?? []).compactMap(\.string)
        let path = env.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
        guard let exe = Spawner.lookPath(argv[0], path: path) else {
            throw PodrigError(.notFound, "exec: \"\(argv[0])\": executable file not found in $PATH")
        }
        var o = SpawnOptions(path: exe, arguments: argv)
        o.environment = env
        o.join = [NamespaceKind.ipc, .uts, .net, .pid, .mnt].map { ($0, "/proc/\(st.pid)/ns/\($0.rawValue)") }
        o.workingDirectory = spawn["cwd"]?.string
        if let u = spawn["user"] {
            o.user = (UInt32(u["uid"]?.int ?? 0), UInt32(u["gid"]?.int ?? 0), (u["groups"]?.array ?? []).compactMap { $0.int.map(UInt32.init) })
        }
        if let caps = spawn["caps"] {
            func mask(_ k: String) -> UInt64 { UInt64((caps[k]?.string ?? "0x0").dropFirst(2), radix: 16) ?? 0 }
            o.capabilities = CapabilitySets(bounding: mask("bounding"), effective: mask("effective"), permitted: mask("permitted"),
                                            inheritable: mask("inheritable"), ambient: mask("ambient"))
        }
        o.noNewPrivileges = spawn["noNewPrivs"]?.bool ?? false
        if let bpf = spawn["seccomp"]?.string { o.seccompFilter = try Files.read(bpf) }
        return o
    }
}
