/// podrig's RuntimeDefault seccomp profile, modelled on containerd's and moby's default: EPERM for
/// everything not listed; privileged calls allowed only with the capability that guards them;
/// clone without namespace flags; clone3 answers ENOSYS so libc falls back to clone.
extension SeccompProfile {
    static let runtimeDefaultAllowed = """
        accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime \
        clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep \
        clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create \
        epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 \
        execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir \
        fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork \
        fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex \
        futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 \
        getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority \
        getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid \
        getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch \
        inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents \
        io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule \
        landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr \
        llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret \
        mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify \
        mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl \
        msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open \
        openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll \
        ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 \
        pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg \
        remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction \
        rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait \
        rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam \
        sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval \
        sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield \
        seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg \
        sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid \
        setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit \
        set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl \
        shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice \
        stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time \
        timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 \
        timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate \
        truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice \
        wait4 waitid waitpid write writev
        """

    /// Rules guarded by capabilities or arguments: (names, capability needed or nil, extra).
    public static var runtimeDefault: SeccompProfile {
        func allow(_ names: String, cap: String? = nil, arches: [String] = [], minKernel: String? = nil) -> Rule {
            Rule(names: names.split(separator: " ").map(String.init), action: "SCMP_ACT_ALLOW",
                 includes: Filter(caps: cap.map { [$0] } ?? [], arches: arches, minKernel: minKernel))
        }
        let eq = Int32(4), ne = Int32(1), maskedEq = Int32(7)
        // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone may not make namespaces.
        let namespaceFlags: UInt64 = 0x7E02_0000
        var rules: [Rule] = [
            allow(runtimeDefaultAllowed),
            allow("process_vm_readv process_vm_writev ptrace", minKernel: "4.8"),
            Rule(names: ["socket"], action: "SCMP_ACT_ALLOW", args: [Arg(index: 0, value: 40, valueTwo: 0, op: ne)]),  // no AF_VSOCK
            allow("arch_prctl", arches: ["amd64", "x32"]),
            allow("modify_ldt", arches: ["amd64", "x32", "x86"]),
            allow("open_by_handle_at", cap: "CAP_DAC_READ_SEARCH"),
            allow("bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare", cap: "CAP_SYS_ADMIN"),
            Rule(names: ["clone"], action: "SCMP_ACT_ALLOW", args: [Arg(index: 0, value: namespaceFlags, valueTwo: 0, op: maskedEq)],
                 excludes: Filter(caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"])),
            Rule(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: Filter(caps: ["CAP_SYS_ADMIN"])),
            allow("reboot", cap: "CAP_SYS_BOOT"),
            allow("chroot", cap: "CAP_SYS_CHROOT"),
            allow("delete_module init_module finit_module", cap: "CAP_SYS_MODULE"),
            allow("acct", cap: "CAP_SYS_PACCT"),
            allow("kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace", cap: "CAP_SYS_PTRACE"),
            allow("iopl ioperm", cap: "CAP_SYS_RAWIO"),
            allow("settimeofday stime clock_settime clock_settime64", cap: "CAP_SYS_TIME"),
            allow("vhangup", cap: "CAP_SYS_TTY_CONFIG"),
            allow("get_mempolicy mbind set_mempolicy set_mempolicy_home_node", cap: "CAP_SYS_NICE"),
            allow("syslog", cap: "CAP_SYSLOG"),
            allow("bpf", cap: "CAP_BPF"),
            allow("perf_event_open", cap: "CAP_PERFMON"),
        ]
        for persona: UInt64 in [0, 8, 0x20000, 0x20008, 0xFFFF_FFFF] {
            rules.append(Rule(names: ["personality"], action: "SCMP_ACT_ALLOW", args: [Arg(index: 0, value: persona, valueTwo: 0, op: eq)]))
        }
        return SeccompProfile(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"], rules: rules)
    }
}
