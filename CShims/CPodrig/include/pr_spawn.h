#ifndef PR_SPAWN_H
#define PR_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Steps of pr_spawn, reported with the errno of the one that failed.
typedef enum pr_spawn_step {
    PR_STEP_NONE = 0,
    PR_STEP_PIPE,
    PR_STEP_FORK,
    PR_STEP_SIGNALS,
    PR_STEP_SETNS,
    PR_STEP_UNSHARE,
    PR_STEP_FORK_AGAIN,
    PR_STEP_SETSID,
    PR_STEP_MOUNT_PRIVATE,
    PR_STEP_MOUNT,
    PR_STEP_HOSTNAME,
    PR_STEP_LOOPBACK,
    PR_STEP_RLIMIT,
    PR_STEP_CHDIR,
    PR_STEP_BOUNDING,
    PR_STEP_KEEPCAPS,
    PR_STEP_SETGROUPS,
    PR_STEP_SETGID,
    PR_STEP_SETUID,
    PR_STEP_CAPSET,
    PR_STEP_AMBIENT,
    PR_STEP_NO_NEW_PRIVS,
    PR_STEP_SECCOMP,
    PR_STEP_DUP2,
    PR_STEP_PDEATHSIG,
    PR_STEP_EXEC,
    PR_STEP_CTTY,
    PR_STEP_USERNS,
    PR_STEP_USERNS_MAP,
    PR_STEP_SETNS_USER,
    PR_STEP_CGROUP,
    PR_STEP_OOM_SCORE,
    PR_STEP_COUNT
} pr_spawn_step;

/// A mount made in the child after it unshared its mount namespace, in order.
/// `fstype` NULL means a bind mount of `source` (MS_BIND|MS_REC, then a remount for MS_RDONLY).
/// Three pseudo types build a container root without touching the host: PR_MOUNT_MKDIR creates
/// `target` and its parents, PR_MOUNT_TOUCH creates an empty file there, PR_MOUNT_PIVOT makes
/// `target` (a mount point) the root with pivot_root and detaches the old root. PR_MOUNT_HOST is
/// a recursive bind skipped when its source or target is gone (ENOENT), for what podrig does not
/// own: a host mount (another pod's tmpfs volume) that went away, a masked path the kernel lacks.
/// PR_MOUNT_MKDIR with `data` "UID:GID" also chowns the directory it made. PR_MOUNT_IDMAP puts an
/// idmapped copy of the mount at `source` (not its submounts) on `target`, mapped through the user
/// namespace file in `data` (a pod's /proc/<pause>/ns/user): the overlay's lower layer for a pod
/// with its own user namespace, so the host's files are owned inside as they are outside.
#define PR_MOUNT_MKDIR "podrig:mkdir"
#define PR_MOUNT_IDMAP "podrig:idmap"
#define PR_MOUNT_HOST "podrig:host-bind"
#define PR_MOUNT_TOUCH "podrig:touch"
#define PR_MOUNT_PIVOT "podrig:pivot"

typedef struct pr_spawn_mount {
    const char *_Nullable source;
    const char *target;
    const char *_Nullable fstype;
    unsigned long flags;
    const char *_Nullable data;
} pr_spawn_mount;

typedef struct pr_spawn_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
} pr_spawn_rlimit;

#define PR_SPAWN_MAX_NS 8
/// One cgroup.procs per v1 tree podrig uses (cpu, cpuacct, cpuset, memory, pids), one on v2.
#define PR_SPAWN_MAX_CGROUPS 8

typedef struct pr_spawn_attr {
    /// Absolute path of the program; argv and envp are NULL-terminated.
    const char *path;
    char *_Nullable const *_Nonnull argv;
    char *_Nullable const *_Nullable envp;

    /// Namespaces to join, as fds opened before the fork (setns in this order). A CLONE_NEWUSER
    /// entry is joined last, after the mounts, rlimits and cwd: the container's mount namespace and
    /// rootfs are made with the host's credentials (overlay copy-up of host-owned files needs them),
    /// then the process becomes the pod's mapped root, as runc's setns leaves it.
    int ns_fds[PR_SPAWN_MAX_NS];
    int ns_types[PR_SPAWN_MAX_NS];
    int ns_count;
    /// cgroup.procs files opened (O_WRONLY) before the fork: the child writes itself into each
    /// first thing, so everything it does and execs is charged to the container's cgroup.
    int cgroup_fds[PR_SPAWN_MAX_CGROUPS];
    int cgroup_count;
    /// cgroup v2: with cgroup_into set, the child starts in the cgroup whose directory fd
    /// (O_DIRECTORY) is cgroup_dir_fd, by clone3's CLONE_INTO_CGROUP: no migration at all. Where the
    /// kernel lacks it (ENOSYS, EINVAL, E2BIG) a plain fork follows and the child writes
    /// cgroup_dir_fd's cgroup.procs like the cgroup_fds; another clone3 failure is the
    /// PR_STEP_CGROUP error (index -1).
    int cgroup_into;
    int cgroup_dir_fd;
    /// Written to /proc/self/oom_score_adj in the child when set_oom_score_adj is non-zero (a lower
    /// score than the inherited one is skipped without CAP_SYS_RESOURCE: EACCES).
    int set_oom_score_adj;
    int oom_score_adj;
    /// CLONE_NEW* flags to unshare after joining. With CLONE_NEWUSER the user namespace is
    /// unshared alone first, the parent writes uid_map/gid_map (below) from outside, and the other
    /// namespaces are then created owned by it (runc's order; a pod's pause holds them).
    int unshare_flags;
    /// /proc/<pid>/uid_map and gid_map contents ("inside outside length" lines), with CLONE_NEWUSER.
    const char *_Nullable uid_map;
    const char *_Nullable gid_map;
    /// Fork twice and setsid so that the program is not our child (a daemon such as pause).
    int detach;
    /// setsid() in the child without detaching.
    int new_session;
    /// Fork once more (no setsid) so that the program is reparented to the caller's child
    /// subreaper: a container's cgroup holder forks its programs for the supervisor that reaps them.
    int reparent;

    const char *_Nullable hostname;
    /// Bring `lo` up in the child's network namespace.
    int loopback_up;
    /// Mounts, made only when CLONE_NEWNS is unshared (propagation is made slave first).
    const pr_spawn_mount *_Nullable mounts;
    size_t mount_count;
    const pr_spawn_rlimit *_Nullable rlimits;
    size_t rlimit_count;
    const char *_Nullable cwd;

    /// User and groups; applied when set_ids is non-zero.
    int set_ids;
    uid_t uid;
    gid_t gid;
    const gid_t *_Nullable groups;
    size_t group_count;

    /// Capability sets as bit masks (bit n = capability n); applied when set_caps is non-zero.
    int set_caps;
    uint64_t cap_bounding;
    uint64_t cap_effective;
    uint64_t cap_permitted;
    uint64_t cap_inheritable;
    uint64_t cap_ambient;

    int no_new_privs;
    /// A BPF program from pr_seccomp_export (struct sock_filter[]), loaded in the child.
    const void *_Nullable seccomp_filter;
    size_t seccomp_filter_len;

    /// fds for the child's stdio; -1 means /dev/null.
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// Signal sent to the program when its parent dies (0 = none); only when the program is our
    /// direct child (not with detach, reparent or a PID namespace, where its parent is the
    /// intermediate child that exits once it has exec'd).
    int parent_death_signal;
    /// stdin is a pty slave: make it the controlling terminal (needs new_session or detach).
    int controlling_tty;
    /// Signals blocked when the program starts (bit sig - 1; the mask survives execve), all
    /// others unblocked. A program that takes them by sigwait, as pause does, then loses none
    /// sent before it blocked them itself — which, as PID 1 of a PID namespace, it would.
    uint64_t blocked_signals;
} pr_spawn_attr;

void pr_spawn_attr_init(pr_spawn_attr *attr);

/// fork → join/unshare namespaces → (fork again for a PID namespace or detach) → set up → execve.
/// The forks are vfork-style (CLONE_VM|CLONE_VFORK) but for a new user namespace and clone3 into
/// a v2 cgroup (spawn.c says why); returns once the program has exec'd or failed.
/// Returns 0 and the pid (in our PID namespace) of the program, or -errno with the failed step.
/// `is_child` tells whether the program is our direct child (caller must wait for it).
/// `failed_index` names the namespace, mount or rlimit entry that failed (-1 otherwise).
int pr_spawn(const pr_spawn_attr *attr, pid_t *pid, int *is_child, int *failed_step, int *failed_index);

/// A short name of a step, for error messages.
const char *pr_spawn_step_name(int step);

/// fork(), the child started in the v2 cgroup `dir_fd` names (clone3 CLONE_INTO_CGROUP).
/// 0 (*pid: the child's pid in the parent, 0 in the child) or -errno; -ENOSYS, -EINVAL or -E2BIG:
/// this kernel cannot (before 5.7, or dir_fd is not a cgroup2 directory), fork and join instead.
int pr_fork_into_cgroup(int dir_fd, pid_t *pid);

#pragma clang assume_nonnull end

#endif
