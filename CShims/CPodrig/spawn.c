// fork → namespaces → exec in one function. Everything after the fork is async-signal-safe:
// raw syscalls only, no malloc, no stdio. Failures travel back as {step, errno} over a
// CLOEXEC pipe; a successful execve closes the pipe, so EOF with no error message means success.
//
// The fork is vfork-style (clone CLONE_VM|CLONE_VFORK on a stack of its own, as glibc's
// posix_spawn does): copying the page tables of a 38 MB multi-threaded Swift process cost more
// than the rest of a plugin exec. The child then shares our memory while the calling thread waits
// (other threads run on): it writes only its own stack and errno (the suspended caller's), calls
// no glibc function that takes a lock or keeps process state (ids are set by raw syscalls: glibc's
// setresuid would signal our threads to follow), and runs with every signal blocked until its
// handlers are SIG_DFL, so no handler of ours runs on its stack. Two modes keep a real fork: a new
// user namespace (the kernel refuses unshare(CLONE_NEWUSER) to a task sharing its memory, and the
// parent must write the maps while the child waits) and clone3 into a v2 cgroup (glibc has no
// clone3 that runs a function on a new stack).
#define _GNU_SOURCE
#include "pr_spawn.h"
#include "pr_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// MSG_USERNS: the child made its user namespace and waits for the maps (on the sync pipe).
enum { MSG_PID = 1, MSG_ERROR = 2, MSG_USERNS = 3 };

typedef struct {
    int32_t kind;
    int32_t step;
    int32_t err;
    int32_t pid;
} spawn_msg;

static const char *const step_names[PR_STEP_COUNT] = {
    [PR_STEP_NONE] = "none",
    [PR_STEP_PIPE] = "pipe",
    [PR_STEP_FORK] = "fork",
    [PR_STEP_SIGNALS] = "reset signals",
    [PR_STEP_SETNS] = "setns",
    [PR_STEP_UNSHARE] = "unshare",
    [PR_STEP_FORK_AGAIN] = "fork (into PID namespace)",
    [PR_STEP_SETSID] = "setsid",
    [PR_STEP_MOUNT_PRIVATE] = "make mounts slave",
    [PR_STEP_MOUNT] = "mount",
    [PR_STEP_HOSTNAME] = "sethostname",
    [PR_STEP_LOOPBACK] = "bring lo up",
    [PR_STEP_RLIMIT] = "setrlimit",
    [PR_STEP_CHDIR] = "chdir",
    [PR_STEP_BOUNDING] = "drop bounding capabilities",
    [PR_STEP_KEEPCAPS] = "keep capabilities",
    [PR_STEP_SETGROUPS] = "setgroups",
    [PR_STEP_SETGID] = "setgid",
    [PR_STEP_SETUID] = "setuid",
    [PR_STEP_CAPSET] = "capset",
    [PR_STEP_AMBIENT] = "raise ambient capabilities",
    [PR_STEP_NO_NEW_PRIVS] = "no_new_privs",
    [PR_STEP_SECCOMP] = "load seccomp filter",
    [PR_STEP_DUP2] = "dup2 stdio",
    [PR_STEP_PDEATHSIG] = "parent death signal",
    [PR_STEP_EXEC] = "execve",
    [PR_STEP_CTTY] = "set controlling terminal",
    [PR_STEP_USERNS] = "unshare(user)",
    [PR_STEP_USERNS_MAP] = "write uid_map/gid_map",
    [PR_STEP_SETNS_USER] = "join the user namespace",
    [PR_STEP_CGROUP] = "join cgroup",
    [PR_STEP_OOM_SCORE] = "write oom_score_adj",
};

const char *pr_spawn_step_name(int step) {
    if (step < 0 || step >= PR_STEP_COUNT || step_names[step] == NULL) return "unknown step";
    return step_names[step];
}

void pr_spawn_attr_init(pr_spawn_attr *attr) {
    memset(attr, 0, sizeof(*attr));
    attr->stdin_fd = -1;
    attr->stdout_fd = -1;
    attr->stderr_fd = -1;
}

static void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = (ssize_t)syscall(SYS_write, fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

static __attribute__((noreturn)) void child_fail_at(int pipe_fd, int step, int index) {
    spawn_msg msg = {MSG_ERROR, step, errno, index};
    write_all(pipe_fd, &msg, sizeof(msg));
    _exit(127);
}

static __attribute__((noreturn)) void child_fail(int pipe_fd, int step) {
    spawn_msg msg = {MSG_ERROR, step, errno, -1};
    write_all(pipe_fd, &msg, sizeof(msg));
    _exit(127);
}

// mkdir -p without malloc (async-signal-safe).
static int make_dirs(const char *path, int last_is_file) {
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf)) { errno = ENAMETOOLONG; return -1; }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (saved == '\0' && last_is_file) {
            int fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (fd < 0) return -1;
            close(fd);
        } else if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            return -1;
        }
        buf[i] = saved;
    }
    return 0;
}

static int pivot_into(const char *root) {
    if (chdir(root) != 0) return -1;
    if (syscall(SYS_pivot_root, ".", ".") != 0) return -1;
    // The old root now sits on top of the new one: detach it.
    if (umount2(".", MNT_DETACH) != 0) return -1;
    return chdir("/");
}

// "UID:GID" → chown(path); no stdio or malloc.
static int chown_to(const char *path, const char *ids) {
    unsigned long v[2] = {0, 0};
    int k = 0;
    for (const char *p = ids; *p; p++) {
        if (*p == ':' && k == 0) { k = 1; continue; }
        if (*p < '0' || *p > '9') { errno = EINVAL; return -1; }
        v[k] = v[k] * 10 + (unsigned long)(*p - '0');
        if (v[k] > 0xffffffffUL) { errno = EINVAL; return -1; }
    }
    if (k != 1) { errno = EINVAL; return -1; }
    return chown(path, (uid_t)v[0], (gid_t)v[1]);
}

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

// open_tree(OPEN_TREE_CLONE) → mount_setattr(MOUNT_ATTR_IDMAP) → move_mount: raw syscalls.
static int idmap_mount(const char *source, const char *target, const char *userns_path) {
    struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {MOUNT_ATTR_IDMAP, 0, 0, 0};
    int ns = open(userns_path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) return -1;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | O_CLOEXEC);
    int rc = -1;
    if (tree >= 0) {
        attr.userns_fd = (uint64_t)ns;
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
            rc = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
    }
    int saved = errno;
    if (tree >= 0) close(tree);
    close(ns);
    errno = saved;
    return rc;
}

static int apply_mount(const pr_spawn_mount *m) {
    if (m->fstype && strcmp(m->fstype, PR_MOUNT_MKDIR) == 0) {
        if (make_dirs(m->target, 0) != 0) return -1;
        return m->data ? chown_to(m->target, m->data) : 0;
    }
    if (m->fstype && strcmp(m->fstype, PR_MOUNT_IDMAP) == 0) {
        if (!m->source || !m->data) { errno = EINVAL; return -1; }
        return idmap_mount(m->source, m->target, m->data);
    }
    if (m->fstype && strcmp(m->fstype, PR_MOUNT_TOUCH) == 0) return make_dirs(m->target, 1);
    if (m->fstype && strcmp(m->fstype, PR_MOUNT_PIVOT) == 0) return pivot_into(m->target);
    if (m->fstype && strcmp(m->fstype, PR_MOUNT_HOST) == 0) {
        if (mount(m->source, m->target, NULL, MS_BIND | MS_REC, NULL) == 0 || errno == ENOENT) return 0;
        return -1;
    }
    if (m->fstype == NULL) {
        unsigned long bind = MS_BIND | MS_REC;
        if (mount(m->source, m->target, NULL, bind, NULL) != 0) return -1;
        unsigned long extra = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (extra) {
            if (mount(NULL, m->target, NULL, MS_BIND | MS_REMOUNT | extra, NULL) != 0) return -1;
        }
        return 0;
    }
    return mount(m->source, m->target, m->fstype, m->flags, m->data);
}

static int set_caps(const pr_spawn_attr *a) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    for (int i = 0; i < 2; i++) {
        data[i].effective = (uint32_t)(a->cap_effective >> (32 * i));
        data[i].permitted = (uint32_t)(a->cap_permitted >> (32 * i));
        data[i].inheritable = (uint32_t)(a->cap_inheritable >> (32 * i));
    }
    return (int)syscall(SYS_capset, &hdr, data);
}

static int load_seccomp(const pr_spawn_attr *a) {
    struct sock_fprog prog = {
        .len = (unsigned short)(a->seccomp_filter_len / sizeof(struct sock_filter)),
        .filter = (struct sock_filter *)a->seccomp_filter,
    };
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

// The program is started by a second child (not ours): to enter a PID namespace (setns/unshare of
// one applies to children only), to be reparented to init (detach) or to our subreaper (reparent).
static int forks_again(const pr_spawn_attr *a) {
    if (a->detach || a->reparent || (a->unshare_flags & CLONE_NEWPID)) return 1;
    for (int i = 0; i < a->ns_count; i++) {
        if (a->ns_types[i] == CLONE_NEWPID) return 1;
    }
    return 0;
}

// Runs in the child (or grandchild); never returns.
static __attribute__((noreturn)) void child_setup(const pr_spawn_attr *a, int pipe_fd) {
    if (a->detach || a->new_session) {
        if (setsid() < 0) child_fail(pipe_fd, PR_STEP_SETSID);
    }
    if (a->parent_death_signal && !forks_again(a)) {
        if (prctl(PR_SET_PDEATHSIG, a->parent_death_signal, 0, 0, 0) != 0)
            child_fail(pipe_fd, PR_STEP_PDEATHSIG);
    }
    if (a->unshare_flags & CLONE_NEWNS) {
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)
            child_fail(pipe_fd, PR_STEP_MOUNT_PRIVATE);
        for (size_t i = 0; i < a->mount_count; i++) {
            if (apply_mount(&a->mounts[i]) != 0) child_fail_at(pipe_fd, PR_STEP_MOUNT, (int)i);
        }
    }
    if (a->hostname) {
        if (sethostname(a->hostname, strlen(a->hostname)) != 0) child_fail(pipe_fd, PR_STEP_HOSTNAME);
    }
    if (a->loopback_up) {
        int rc = pr_netns_lo_up();
        if (rc != 0) {
            errno = -rc;
            child_fail(pipe_fd, PR_STEP_LOOPBACK);
        }
    }
    for (size_t i = 0; i < a->rlimit_count; i++) {
        struct rlimit rl = {(rlim_t)a->rlimits[i].soft, (rlim_t)a->rlimits[i].hard};
        if (setrlimit(a->rlimits[i].resource, &rl) != 0) child_fail_at(pipe_fd, PR_STEP_RLIMIT, (int)i);
    }
    if (a->cwd) {
        if (chdir(a->cwd) != 0) child_fail(pipe_fd, PR_STEP_CHDIR);
    }
    // The user namespace last of all (see pr_spawn_attr.ns_fds): from here on the ids and
    // capabilities below are the pod's.
    for (int i = 0; i < a->ns_count; i++) {
        if (a->ns_types[i] != CLONE_NEWUSER) continue;
        if (setns(a->ns_fds[i], CLONE_NEWUSER) != 0) child_fail_at(pipe_fd, PR_STEP_SETNS_USER, i);
    }
    // Without no_new_privs an unprivileged user cannot load a filter, so load it while we are
    // still root (as runc does); with no_new_privs load it last, right before execve.
    int seccomp_early = a->seccomp_filter && !a->no_new_privs;
    if (seccomp_early) {
        if (load_seccomp(a) != 0) child_fail(pipe_fd, PR_STEP_SECCOMP);
    }
    if (a->set_caps) {
        for (int cap = 0; cap <= 63; cap++) {
            if (a->cap_bounding & (1ULL << cap)) continue;
            if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) <= 0) continue;  // unknown or already gone
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) child_fail(pipe_fd, PR_STEP_BOUNDING);
        }
        if (a->set_ids) {
            if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) child_fail(pipe_fd, PR_STEP_KEEPCAPS);
        }
    }
    if (a->set_ids) {
        // Raw syscalls: this task's ids only (glibc's wrappers would make our other threads follow).
        if (syscall(SYS_setgroups, a->group_count, a->group_count ? a->groups : NULL) != 0)
            child_fail(pipe_fd, PR_STEP_SETGROUPS);
        if (syscall(SYS_setresgid, a->gid, a->gid, a->gid) != 0) child_fail(pipe_fd, PR_STEP_SETGID);
        if (syscall(SYS_setresuid, a->uid, a->uid, a->uid) != 0) child_fail(pipe_fd, PR_STEP_SETUID);
    }
    if (a->set_caps) {
        if (set_caps(a) != 0) child_fail(pipe_fd, PR_STEP_CAPSET);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
            child_fail(pipe_fd, PR_STEP_AMBIENT);
        for (int cap = 0; cap <= 63; cap++) {
            if (!(a->cap_ambient & (1ULL << cap))) continue;
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
                child_fail(pipe_fd, PR_STEP_AMBIENT);
        }
    }
    if (a->no_new_privs) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(pipe_fd, PR_STEP_NO_NEW_PRIVS);
    }
    // stdio: -1 becomes /dev/null. Move the source fds above 2 first so dup2 order cannot clobber.
    int fds[3] = {a->stdin_fd, a->stdout_fd, a->stderr_fd};
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0) {
            fds[i] = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
            if (fds[i] < 0) child_fail(pipe_fd, PR_STEP_DUP2);
        }
        if (fds[i] <= 2) {
            int moved = fcntl(fds[i], F_DUPFD, 3);
            if (moved < 0) child_fail(pipe_fd, PR_STEP_DUP2);
            fds[i] = moved;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(fds[i], i) < 0) child_fail(pipe_fd, PR_STEP_DUP2);
    }
    if (a->controlling_tty) {
        if (ioctl(0, TIOCSCTTY, 0) != 0) child_fail(pipe_fd, PR_STEP_CTTY);
    }
    // Everything else closes at exec, including the error pipe (already CLOEXEC).
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 1024; fd++) {
            if (fd != pipe_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
    }
    if (a->seccomp_filter && !seccomp_early) {
        if (load_seccomp(a) != 0) child_fail(pipe_fd, PR_STEP_SECCOMP);
    }
    execve(a->path, a->argv, a->envp ? a->envp : (char *const[]){NULL});
    child_fail(pipe_fd, PR_STEP_EXEC);
}

// The kernel's struct sigaction (x86_64, arm64 and the generic layout); SIG_DFL needs no restorer.
struct pr_kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

// Every signal, glibc's own two included (its sigprocmask leaves those unblocked).
static int block_all_signals(uint64_t *old) {
    uint64_t all = ~0ULL;
    return (int)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, sizeof(all));
}

static void reset_signals(const pr_spawn_attr *a, int pipe_fd) {
    // A fresh program starts with defaults; until they are, every signal stays blocked (the
    // parent blocked them all before the clone), so none of our handlers runs in the child.
    // Then only a->blocked_signals stay blocked, through execve.
    struct pr_kernel_sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.handler = SIG_DFL;
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
    }
    uint64_t keep = a->blocked_signals;
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &keep, NULL, sizeof(keep)) != 0)
        child_fail(pipe_fd, PR_STEP_SIGNALS);
}

// "0" into cgroup.procs moves the writer (this child) itself (unless clone3 started it in its v2
// cgroup: `into`); then the score, while /proc is the host's.
static void join_cgroups(const pr_spawn_attr *a, int pipe_fd, int into) {
    for (int i = 0; i < a->cgroup_count; i++) {
        if (write(a->cgroup_fds[i], "0", 1) != 1) child_fail_at(pipe_fd, PR_STEP_CGROUP, i);
    }
    if (a->cgroup_into && !into) {
        int fd = openat(a->cgroup_dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) child_fail_at(pipe_fd, PR_STEP_CGROUP, -1);
        close(fd);
    }
    if (a->set_oom_score_adj) {
        char buf[16];
        int v = a->oom_score_adj, n = 0, neg = v < 0;
        unsigned u = neg ? (unsigned)(-v) : (unsigned)v;
        char rev[12];
        do { rev[n++] = (char)('0' + u % 10); u /= 10; } while (u && n < 11);
        int len = 0;
        if (neg) buf[len++] = '-';
        while (n) buf[len++] = rev[--n];
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0) child_fail(pipe_fd, PR_STEP_OOM_SCORE);
        // Lowering the score needs CAP_SYS_RESOURCE; without it (a confined host) the inherited one stays.
        if (write(fd, buf, (size_t)len) != len && errno != EACCES) child_fail(pipe_fd, PR_STEP_OOM_SCORE);
        close(fd);
    }
}

// The stacks of the vfork-style children: one for the child, one for the program's own child when
// it forks again; each above a guard page. Untouched pages cost nothing.
#define SPAWN_STACK_SIZE (64 * 1024)

typedef struct {
    const pr_spawn_attr *attr;
    int pipe_fd;
    int sync_fd;
    int into;
    int vm;                 // shares our memory (clone CLONE_VM|CLONE_VFORK)
    char *grandchild_stack; // top of the second stack, with vm
} spawn_child;

static int grandchild_main(void *arg) {
    const spawn_child *c = arg;
    child_setup(c->attr, c->pipe_fd);
}

static __attribute__((noreturn)) void child_main(const spawn_child *c) {
    const pr_spawn_attr *a = c->attr;
    int pipe_fd = c->pipe_fd;
    reset_signals(a, pipe_fd);
    join_cgroups(a, pipe_fd, c->into);
    for (int i = 0; i < a->ns_count; i++) {
        if (a->ns_types[i] == CLONE_NEWUSER) continue;  // joined last, in child_setup
        if (setns(a->ns_fds[i], a->ns_types[i]) != 0) child_fail_at(pipe_fd, PR_STEP_SETNS, i);
    }
    int flags = a->unshare_flags;
    if (flags & CLONE_NEWUSER) {
        // The user namespace alone first; the parent maps it from outside (an unmapped process
        // cannot write its own maps beyond one id); the other namespaces are then owned by it.
        if (unshare(CLONE_NEWUSER) != 0) child_fail(pipe_fd, PR_STEP_USERNS);
        spawn_msg msg = {MSG_USERNS, 0, 0, 0};
        write_all(pipe_fd, &msg, sizeof(msg));
        char go = 0;
        ssize_t n;
        while ((n = read(c->sync_fd, &go, 1)) < 0 && errno == EINTR) {}
        if (n != 1) _exit(127);  // the parent failed to map it and reports why
        close(c->sync_fd);
        flags &= ~CLONE_NEWUSER;
    }
    if (flags) {
        if (unshare(flags) != 0) child_fail(pipe_fd, PR_STEP_UNSHARE);
    }
    if (forks_again(a)) {
        pid_t grandchild;
        if (c->vm) {
            // vfork-style again: we wait until the program has exec'd (or failed), then exit.
            grandchild = clone(grandchild_main, c->grandchild_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)c);
        } else {
            grandchild = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);  // fork without atfork handlers
        }
        if (grandchild < 0) child_fail(pipe_fd, PR_STEP_FORK_AGAIN);
        if (grandchild > 0) {
            spawn_msg msg = {MSG_PID, 0, 0, grandchild};
            write_all(pipe_fd, &msg, sizeof(msg));
            _exit(0);
        }
    }
    child_setup(a, pipe_fd);
}

static int vm_child_main(void *arg) {
    child_main(arg);
}

// The parent's half of a new user namespace: its maps, written from outside (we hold CAP_SETUID
// and CAP_SETGID here, so setgroups stays allowed inside: no "deny" needed). 0 or -errno.
static int write_map(pid_t pid, const char *file, const char *map) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t len = strlen(map);
    ssize_t n = write(fd, map, len);  // the kernel takes a map in one write only
    int err = n == (ssize_t)len ? 0 : n < 0 ? errno : EIO;
    close(fd);
    return -err;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

// linux/sched.h's struct clone_args (v2, with cgroup: kernel 5.7), spelled here: that header and
// glibc's sched.h do not mix.
struct pr_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

int pr_fork_into_cgroup(int dir_fd, pid_t *pid) {
    struct pr_clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)dir_fd;
    // The raw syscall is fork without glibc's atfork handlers: the child only makes raw syscalls
    // (as after pr_spawn's fork) until it execs.
    long r = syscall(SYS_clone3, &args, sizeof(args));
    if (r < 0) return -errno;
    *pid = (pid_t)r;
    return 0;
}

static int write_id_maps(pid_t pid, const pr_spawn_attr *attr) {
    if (!attr->uid_map || !attr->gid_map) return -EINVAL;
    int rc = write_map(pid, "uid_map", attr->uid_map);
    return rc != 0 ? rc : write_map(pid, "gid_map", attr->gid_map);
}

// The vfork-style child: 0 and its pid, or -errno. Returns once the child has exec'd or exited
// (with forks_again: once the program has exec'd or failed and the child exited).
static int spawn_vm_child(spawn_child *c, pid_t *pid) {
    long page = sysconf(_SC_PAGESIZE);
    size_t stride = (size_t)page + SPAWN_STACK_SIZE;
    char *map = mmap(NULL, 2 * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) return -errno;
    if (mprotect(map, (size_t)page, PROT_NONE) != 0 || mprotect(map + stride, (size_t)page, PROT_NONE) != 0) {
        int err = errno;
        munmap(map, 2 * stride);
        return -err;
    }
    c->vm = 1;
    c->grandchild_stack = map + 2 * stride;
    uint64_t old = 0;
    int err = block_all_signals(&old) != 0 ? errno : 0;
    pid_t child = -1;
    if (err == 0) {
        child = clone(vm_child_main, map + stride, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
        if (child < 0) err = errno;
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(old));
    }
    munmap(map, 2 * stride);  // neither child runs on it any more
    if (err != 0) return -err;
    *pid = child;
    return 0;
}

int pr_spawn(const pr_spawn_attr *attr, pid_t *pid, int *is_child, int *failed_step, int *failed_index) {
    *failed_step = PR_STEP_NONE;
    *failed_index = -1;
    *pid = -1;
    *is_child = 0;
    int pipefd[2];
    int syncfd[2] = {-1, -1};  // parent → child: "your uid/gid maps are written"
    int userns = (attr->unshare_flags & CLONE_NEWUSER) != 0;
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        *failed_step = PR_STEP_PIPE;
        return -errno;
    }
    if (userns && pipe2(syncfd, O_CLOEXEC) != 0) {
        int err = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        *failed_step = PR_STEP_PIPE;
        return -err;
    }
    spawn_child c = {.attr = attr, .pipe_fd = pipefd[1], .sync_fd = syncfd[0]};
    pid_t child = -1;
    int rc = 0;
    if (attr->cgroup_into) {
        rc = pr_fork_into_cgroup(attr->cgroup_dir_fd, &child);
        if (rc == 0) {
            c.into = 1;
        } else if (rc == -ENOSYS || rc == -EINVAL || rc == -E2BIG) {
            rc = 0;
        } else {
            *failed_step = PR_STEP_CGROUP;
        }
    }
    if (rc == 0 && !c.into) {
        if (userns) {
            child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);  // fork without atfork handlers
            if (child < 0) rc = -errno;
        } else {
            rc = spawn_vm_child(&c, &child);
        }
        if (rc != 0) *failed_step = PR_STEP_FORK;
    }
    if (rc != 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        if (userns) {
            close(syncfd[0]);
            close(syncfd[1]);
        }
        return rc;
    }
    if (child == 0) {  // a real fork's child (a vfork-style one starts in vm_child_main)
        close(pipefd[0]);
        if (userns) close(syncfd[1]);
        child_main(&c);
    }
    close(pipefd[1]);
    if (userns) close(syncfd[0]);

    int forked_again = forks_again(attr);
    pid_t program = forked_again ? -1 : child;
    int err = 0;
    spawn_msg msg;
    for (;;) {
        ssize_t n = read(pipefd[0], &msg, sizeof(msg));
        if (n < 0 && errno == EINTR) continue;
        if (n != (ssize_t)sizeof(msg)) break;  // EOF: every writer exec'd or exited
        if (msg.kind == MSG_PID) {
            program = msg.pid;
        } else if (msg.kind == MSG_USERNS && syncfd[1] >= 0) {
            int rc = write_id_maps(child, attr);
            if (rc == 0) {
                write_all(syncfd[1], "1", 1);
            } else if (err == 0) {
                err = -rc;
                *failed_step = PR_STEP_USERNS_MAP;
            }
            close(syncfd[1]);
            syncfd[1] = -1;
        } else if (msg.kind == MSG_ERROR && err == 0) {
            err = msg.err ? msg.err : EIO;
            *failed_step = msg.step;
            *failed_index = msg.pid;
        }
    }
    close(pipefd[0]);
    if (syncfd[1] >= 0) close(syncfd[1]);

    if (forked_again) {
        // The intermediate exits right after forking; reap it. The program itself is now
        // reparented to init (or to our subreaper), so it is not our child.
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        if (err == 0 && program < 0) {
            err = ECHILD;
            *failed_step = PR_STEP_FORK_AGAIN;
        }
    } else if (err != 0) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    }
    if (err != 0) return -err;
    *pid = program;
    *is_child = forked_again ? 0 : 1;
    return 0;
}
