#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import Testing

/// critest's exec-dependent scenarios (cri-tools pkg/validate: pod_linux.go, networking.go,
/// container_linux.go, security_context_linux.go, multi_container_linux.go), written again for
/// podrig's CLI with busybox-free commands: each makes a CRI sandbox and containers, checks
/// through `podrig exec` what the scenario checks, and leaves nothing behind.
@Suite(.serialized) struct CRIScenarioTests {
    @Test(.enabled(if: isRoot)) func sysctlsHostnameAndDNSConfig() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp(#"""
            "hostname": "pr-cex-host",
            "dns_config": {"servers": ["192.0.2.53"], "searches": ["pr-cex.example"], "options": ["ndots:2"]},
            "linux": {"sysctls": {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_unprivileged_port_start": "81"}}
            """#)
        let c = b.sleeper(sb)
        #expect(b.exec(c, "cat /proc/sys/kernel/shm_rmid_forced").out == "1\n", "an IPC sysctl")
        #expect(b.exec(c, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start").out == "81\n", "a network sysctl")
        #expect(b.exec(c, "hostname").out == "pr-cex-host\n")
        #expect(b.exec(c, "cat /etc/hostname").out == "pr-cex-host\n")
        let resolv = b.exec(c, "cat /etc/resolv.conf").out
        #expect(resolv.contains("nameserver 192.0.2.53") && resolv.contains("search pr-cex.example") && resolv.contains("options ndots:2"), "\(resolv)")
    }

    @Test(.enabled(if: isRoot)) func volumesReadWriteAndReadOnly() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let dir = b.root.path + "/vol"
        try Files.makeDirectories(dir, mode: 0o755)
        try Files.writeAtomic(dir + "/hello", "from the host\n")
        let sb = b.runp()
        let rw = b.sleeper(sb, name: "rw", "mounts: [{container_path: /mnt/pr-cex, host_path: \(dir)}]\n")
        let ro = b.sleeper(sb, name: "ro", "mounts: [{container_path: /mnt/pr-cex, host_path: \(dir), readonly: true}]\n")
        #expect(b.exec(rw, "cat /mnt/pr-cex/hello").out == "from the host\n")
        #expect(b.exec(rw, "sh -c 'echo back > /mnt/pr-cex/back'").code == 0)
        #expect((try? Files.readString(dir + "/back")) == "back\n", "written through to the host")
        #expect(b.exec(ro, "cat /mnt/pr-cex/back").out == "back\n")
        let denied = b.exec(ro, "touch /mnt/pr-cex/nope")
        #expect(denied.code != 0 && denied.err.contains("Read-only file system"), "\(denied)")
    }

    /// HostIpc true/false: a segment made on the host is (not) seen in the container.
    @Test(.enabled(if: isRoot)) func hostIPCAndPodIPC() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let made = sh("ipcmk -M 4096")
        let segment = try #require(made.out.split(separator: ":").last.map { String($0).trimmed })
        defer { sh("ipcrm -m \(segment)") }
        let host = b.runp(#""linux": {"security_context": {"namespace_options": {"ipc": 2}}}"#)
        let hc = b.sleeper(host)
        #expect(b.exec(hc, "ipcs -m").out.contains(" \(segment) "), "NODE ipc sees the host's segment")
        let pod = b.runp()
        let pc = b.sleeper(pod)
        let podIPCs = b.exec(pc, "ipcs -m")
        #expect(podIPCs.code == 0 && !podIPCs.out.contains(" \(segment) "), "POD ipc does not: \(podIPCs.out)")
    }

    /// HostPID, PodPID and ContainerPID: who is pid 1, and whether host processes are visible.
    @Test(.enabled(if: isRoot)) func pidNamespaceModes() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let me = getpid()
        let hostSB = b.runp(#""linux": {"security_context": {"namespace_options": {"pid": 2}}}"#)
        let hc = b.sleeper(hostSB, "linux: {security_context: {namespace_options: {pid: 2}}}\n")
        #expect(b.exec(hc, "test -d /proc/\(me)").code == 0, "hostPID sees the test process")
        let podSB = b.runp(#""linux": {"security_context": {"namespace_options": {"pid": 0}}}"#)
        let pc = b.sleeper(podSB, "linux: {security_context: {namespace_options: {pid: 0}}}\n")
        let podInit = b.exec(pc, "cat /proc/1/cmdline").out
        #expect(!podInit.contains("sleep"), "POD pid: pid 1 is the sandbox's, not the container's: \(podInit)")
        let cSB = b.runp(#""linux": {"security_context": {"namespace_options": {"pid": 1}}}"#)
        let cc = b.sleeper(cSB, "linux: {security_context: {namespace_options: {pid: 1}}}\n")
        #expect(b.exec(cc, "cat /proc/1/cmdline").out.contains("sleep"), "CONTAINER pid: pid 1 is the container's command")
        #expect(b.exec(cc, "test -d /proc/\(me)").code != 0)
    }

    /// Privileged true/false and NET_ADMIN added or not: managing links inside the pod's netns
    /// (a bridge, as critest's brctl does), with ALL capabilities added or dropped.
    @Test(.enabled(if: isRoot)) func privilegedAndCapabilities() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp(#""linux": {"security_context": {"privileged": true}}"#)
        let priv = b.sleeper(sb, name: "priv", "linux: {security_context: {privileged: true}}\n")
        let plain = b.sleeper(sb, name: "plain")
        let netAdmin = b.sleeper(sb, name: "netadmin", "linux: {security_context: {capabilities: {add_capabilities: [NET_ADMIN]}}}\n")
        let all = b.sleeper(sb, name: "all", "linux: {security_context: {capabilities: {add_capabilities: [ALL]}}}\n")
        let none = b.sleeper(sb, name: "none", "linux: {security_context: {capabilities: {drop_capabilities: [ALL]}}}\n")
        let noRaw = b.sleeper(sb, name: "noraw", "linux: {security_context: {capabilities: {drop_capabilities: [NET_RAW]}}}\n")
        #expect(b.exec(priv, "ip link add pr-cexbr0 type bridge").code == 0, "privileged manages links")
        #expect(b.exec(priv, "ip link del pr-cexbr0").code == 0)
        let denied = b.exec(plain, "ip link add pr-cexbr1 type bridge")
        #expect(denied.code != 0 && denied.err.contains("Operation not permitted"), "\(denied)")
        #expect(b.exec(netAdmin, "ip link add pr-cexbr2 type bridge").code == 0, "NET_ADMIN added")
        #expect(b.exec(netAdmin, "ip link show pr-cexbr2").out.contains("pr-cexbr2"))
        #expect(!sh("ip link show pr-cexbr2").out.contains("pr-cexbr2"), "the bridge is in the pod's netns, not the host's")
        func capBnd(_ c: String) -> String? {
            b.exec(c, "cat /proc/self/status").out.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }.map { String($0.dropFirst(7)).trimmed }
        }
        #expect(capBnd(all) != "0000000000000000" && capBnd(all) != nil)
        #expect(capBnd(none) == "0000000000000000")
        let bnd = UInt64(capBnd(noRaw) ?? "", radix: 16) ?? 0
        #expect(bnd & (1 << 13) == 0 && bnd & (1 << 0) != 0, "NET_RAW (13) dropped, CHOWN kept: \(String(bnd, radix: 16))")
    }

    /// Masked and read-only paths: the runtime defaults (kubelet's lists) when the fields are unset,
    /// exactly the given lists when set, none when privileged (critest's MaskedPaths/ReadonlyPaths).
    @Test(.enabled(if: isRoot)) func maskedAndReadonlyPaths() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp(#""linux": {"security_context": {"privileged": true}}"#)
        let plain = b.sleeper(sb, name: "plain")
        // Which of the masked files a kernel has varies (no /proc/kcore in some VMs).
        let masked = try #require(["/proc/keys", "/proc/timer_list", "/proc/kcore"].first { Files.exists($0) })
        let size = "sh -c 'wc -c < \(masked)'", mounted = "grep -c -w \(masked) /proc/self/mountinfo"
        let m = b.exec(plain, size)
        #expect(m.out.trimmed == "0", "\(masked) is /dev/null: \(m)")
        #expect(b.exec(plain, mounted).out.trimmed == "1")
        #expect(b.exec(plain, "sh -c 'echo 1 > /proc/sys/kernel/shm_rmid_forced'").code != 0, "/proc/sys is read-only")
        if Files.isDirectory("/sys/firmware") {
            #expect(b.exec(plain, "ls -A /sys/firmware").out.isEmpty, "/sys/firmware is an empty tmpfs")
        }
        let given = b.sleeper(sb, name: "given", "linux: {security_context: {masked_paths: [/etc/hostname], readonly_paths: [/tmp]}}\n")
        #expect(b.exec(given, "sh -c 'wc -c < /etc/hostname'").out.trimmed == "0")
        #expect(b.exec(given, "touch /tmp/pr-x").code != 0, "/tmp read-only")
        #expect(b.exec(given, mounted).out.trimmed == "0", "the given list replaces the defaults")
        let priv = b.sleeper(sb, name: "priv", "linux: {security_context: {privileged: true}}\n")
        #expect(b.exec(priv, mounted).out.trimmed == "0", "privileged: nothing masked")
        let path = b.bed.manifest("metadata: {name: bad}\nimage: {image: busybox}\ncommand: [sleep, '1']\nlinux: {security_context: {masked_paths: [proc/kcore]}}\n", name: "bad.yaml")
        let bad = b.cli("create \(sb) \(path)")
        #expect(bad.code == 1 && bad.err.contains("masked_paths: proc/kcore is not an absolute path"), "\(bad)")
    }

    /// Seccomp: Unconfined and RuntimeDefault modes, Localhost profiles that block sethostname
    /// (even with SYS_ADMIN) and chmod; sethostname works with SYS_ADMIN and fails without.
    @Test(.enabled(if: isRoot)) func seccompProfilesAndSethostname() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let profiles = b.root.path + "/seccomp"
        try Files.makeDirectories(profiles, mode: 0o755)
        try Files.writeAtomic(profiles + "/block-host-name.json",
                              #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_ERRNO"}]}"#)
        try Files.writeAtomic(profiles + "/block-chmod.json",
                              #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO"}]}"#)
        let vol = b.root.path + "/chmod"
        try Files.makeDirectories(vol, mode: 0o755)
        try Files.writeAtomic(vol + "/file", "x", mode: 0o644)
        let sb = b.runp()
        func sc(_ body: String) -> String { "linux: {security_context: {\(body)}}\n" }
        let unconfined = b.sleeper(sb, name: "unconfined", sc("seccomp: {profile_type: 1}"))
        let runtimeDefault = b.sleeper(sb, name: "default", sc("seccomp: {profile_type: 0}"))
        let blockHost = b.sleeper(sb, name: "blockhost",
                                  sc("capabilities: {add_capabilities: [SYS_ADMIN]}, seccomp: {profile_type: 2, localhost_ref: \(profiles)/block-host-name.json}"))
        let sysAdmin = b.sleeper(sb, name: "sysadmin", sc("capabilities: {add_capabilities: [SYS_ADMIN]}, seccomp: {profile_type: 1}"))
        let blockChmod = b.sleeper(sb, name: "blockchmod", sc("seccomp: {profile_type: 2, localhost_ref: \(profiles)/block-chmod.json}")
                                   + "mounts: [{container_path: /mnt/pr-cex, host_path: \(vol)}]\n")
        #expect(b.exec(unconfined, "grep Seccomp: /proc/self/status").out == "Seccomp:\t0\n")
        #expect(b.exec(runtimeDefault, "grep Seccomp: /proc/self/status").out == "Seccomp:\t2\n")
        let blocked = b.exec(blockHost, "hostname pr-cex-blocked")
        // (Debian's hostname reports EPERM as "you must be root"; with SYS_ADMIN only the filter can refuse.)
        #expect(blocked.code != 0, "\(blocked)")
        let noCap = b.exec(runtimeDefault, "hostname pr-cex-nocap")
        #expect(noCap.code != 0, "sethostname needs SYS_ADMIN: \(noCap)")
        #expect(b.exec(sysAdmin, "hostname pr-cex-renamed").code == 0, "SYS_ADMIN and no filter: allowed")
        #expect(b.exec(unconfined, "hostname").out == "pr-cex-renamed\n", "the pod's UTS namespace is shared")
        let chmod = b.exec(blockChmod, "chmod 600 /mnt/pr-cex/file")
        #expect(chmod.code != 0 && chmod.err.contains("Operation not permitted"), "\(chmod)")
    }

    /// RunAsUser/RunAsGroup through exec (id -u / id -g), and SupplementalGroups (id -G).
    @Test(.enabled(if: isRoot)) func userGroupsThroughExec() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp()
        let c = b.sleeper(sb, "linux: {security_context: {run_as_user: {value: 1000}, run_as_group: {value: 3000}}}\n")
        #expect(b.exec(c, "id -u").out == "1000\n")
        #expect(b.exec(c, "id -g").out == "3000\n")
        let g = b.sleeper(sb, name: "groups", "linux: {security_context: {run_as_user: {value: 1000}, supplemental_groups: [1234, 5678]}}\n")
        let groups = b.exec(g, "id -G").out.split(separator: " ").map { String($0).trimmed }
        #expect(groups.contains("1234") && groups.contains("5678"), "\(groups)")
    }

    /// multi_container_linux.go: several containers of one sandbox, each reached with -c, sharing
    /// the network, UTS and IPC namespaces and keeping their own PID namespaces.
    @Test(.enabled(if: isRoot)) func multiContainerExec() throws {
        let b = CRIBed()
        defer { b.cleanup() }
        let sb = b.runp(#""hostname": "pr-cex-multi""#)
        _ = b.sleeper(sb, name: "one")
        _ = b.sleeper(sb, name: "two")
        _ = b.start(sb, "metadata: {name: three}\nimage: {image: busybox}\ncommand: [sh, -c, 'echo three >&2; exec sleep 1000']\n")
        func ns(_ name: String, _ kind: String) -> String { b.exec(sb, "readlink /proc/self/ns/\(kind)", flags: "-c \(name)").out }
        for kind in ["net", "uts", "ipc"] {
            #expect(ns("one", kind) == ns("two", kind) && ns("two", kind) == ns("three", kind) && !ns("one", kind).isEmpty, "\(kind) shared")
        }
        // No namespace_options: CRI's zero values, POD for pid too, so one PID namespace with pause as PID 1.
        #expect(ns("one", "pid") == ns("two", "pid") && !ns("one", "pid").isEmpty, "the sandbox's PID namespace is shared")
        #expect(b.exec(sb, "hostname", flags: "-c three").out == "pr-cex-multi\n")
        #expect(b.exec(sb, "cat /proc/1/cmdline", flags: "-c three").out.contains("podrig-pause"))
        let seg = b.exec(sb, "ipcmk -M 4096", flags: "-c one").out.split(separator: ":").last.map { String($0).trimmed } ?? "?"
        #expect(b.exec(sb, "ipcs -m", flags: "-c two").out.contains(" \(seg) "), "an IPC segment made in one is seen in two")
    }
}
