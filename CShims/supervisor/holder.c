// A container's cgroup holder: a fork of the supervisor that moves itself into the container's
// cgroups once, at supervisor start, and then forks every process of the container for it (each
// start and restart, hooks, exec probes). A child forked inside a cgroup inherits it: no
// migration per start. The holder's own migration goes through each tree's `tasks`
// (cgroup_join_open), which spares it the kernel's cgroup_threadgroup_rwsem. The holder is forked
// after plan_load: every pointer in a pr_spawn_attr (the plan's strings, mounts, seccomp filter)
// means the same in both processes, so a request is the attr itself plus its fds (SCM_RIGHTS). It never execs; pr_spawn does all fork→exec work, with
// `reparent`, so the programs end up the supervisor's children (it is their subreaper).
#define _GNU_SOURCE
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOLDER_MAX_FDS (3 + PR_SPAWN_MAX_NS)

typedef struct holder_reply {
    int32_t rc, step, index, pid;
} holder_reply;

static void close_others(const container *self) {
    for (int i = 0; i < P.count; i++) {
        if (&P.c[i] != self && P.c[i].holder_fd >= 0) close(P.c[i].holder_fd);
    }
}

// The inherited oom_score_adj (the programs get it back), then the holder's own: never the OOM
// killer's pick nor part of a v2 memory.oom.group kill (both skip OOM_SCORE_ADJ_MIN).
static int exempt_from_oom(void) {
    char buf[16] = "0";
    int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    int inherited = atoi(buf);
    if (pwrite(fd, "-1000", 5, 0) != 5) {}  // without CAP_SYS_RESOURCE the holder stays an ordinary member
    close(fd);
    return inherited;
}

static __attribute__((noreturn)) void holder_main(container *c, int fd, pid_t supervisor) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != supervisor) _exit(0);
    prctl(PR_SET_NAME, "podrig-holder", 0, 0, 0);
    close_others(c);
    int inherited_score = exempt_from_oom();
    holder_reply failed = {0, PR_STEP_NONE, -1, 0};
    for (int i = 0; c->cgroup_procs[i]; i++) {
        int cg = cgroup_join_open(c->cgroup_procs[i]);
        if (cg < 0 || write(cg, "0", 1) != 1) {
            failed = (holder_reply){cg < 0 ? cg : -errno, PR_STEP_CGROUP, i, 0};
            if (cg >= 0) close(cg);
            break;
        }
        close(cg);
    }
    for (;;) {
        pr_spawn_attr a;
        union {
            char buf[CMSG_SPACE(sizeof(int) * HOLDER_MAX_FDS)];
            struct cmsghdr align;
        } u;
        struct iovec iov = {&a, sizeof(a)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
        ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(0);  // the supervisor is gone
        int fds[HOLDER_MAX_FDS], nfds = 0;
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
            if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
            nfds = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(h), sizeof(int) * (size_t)nfds);
        }
        holder_reply r = failed;
        if (n != (ssize_t)sizeof(a) || (m.msg_flags & MSG_CTRUNC)) {
            r = (holder_reply){-EPROTO, PR_STEP_PIPE, -1, 0};
        } else if (failed.rc == 0) {
            // The fds arrive in the order holder_spawn sent them: stdin, stdout, stderr (those >= 0), namespaces.
            int k = 0;
            int *std[3] = {&a.stdin_fd, &a.stdout_fd, &a.stderr_fd};
            for (int i = 0; i < 3; i++) {
                if (*std[i] >= 0) *std[i] = k < nfds ? fds[k++] : -1;
            }
            for (int i = 0; i < a.ns_count; i++) a.ns_fds[i] = k < nfds ? fds[k++] : -1;
            a.cgroup_count = 0;  // in them already
            a.reparent = 1;
            if (!a.set_oom_score_adj) {
                a.set_oom_score_adj = 1;
                a.oom_score_adj = inherited_score;
            }
            pid_t pid = -1;
            int is_child, step, index;
            r.rc = pr_spawn(&a, &pid, &is_child, &step, &index);
            r.step = step;
            r.index = index;
            r.pid = pid;
        }
        // The reply first: the supervisor (and `podrig start`) wait for it, not for these closes
        // (up to seven, each a syscall; the program has its own copies by now).
        while (send(fd, &r, sizeof(r), MSG_NOSIGNAL) < 0 && errno == EINTR) {}
        for (int i = 0; i < nfds; i++) close(fds[i]);
    }
}

// The file a single-threaded process joins a cgroup through by writing "0": v1's `tasks` next to
// `procs` (cgroup.procs), else `procs` itself (v2; test trees without one). "0" in `tasks` moves
// the writing thread alone, for which the kernel skips the global cgroup_threadgroup_rwsem
// (cgroup_procs_write_start): no RCU grace period (~10 ms) to wait out, no fork or exit elsewhere
// stalled. A freshly forked child has one thread, so that moves the whole process. Swift's side
// (pause, CRI exec): Spawner in PodrigCore/Spawn.swift.
int cgroup_join_open(const char *procs) {
    const char *slash = strrchr(procs, '/');
    char tasks[4096];
    if (slash && strcmp(slash + 1, "cgroup.procs") == 0 && (size_t)(slash - procs) + sizeof("/tasks") <= sizeof(tasks)) {
        memcpy(tasks, procs, (size_t)(slash - procs));
        memcpy(tasks + (slash - procs), "/tasks", sizeof("/tasks"));
        int fd = open(tasks, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) return fd;
        if (errno != ENOENT) return -errno;
    }
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

void holder_start(container *c) {
    c->holder_fd = -1;
    c->holder_pid = -1;
    if (c->cgroup_procs == NULL || c->cgroup_procs[0] == NULL) return;
    // cgroup v2: each spawn is cloned into the cgroup (clone3 CLONE_INTO_CGROUP), nothing migrates.
    if (c->cgroup_procs[1] == NULL) {
        char *dir = strdup(c->cgroup_procs[0]);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        struct statfs st;
        if (slash) *slash = '\0';
        if (slash && statfs(dir, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) {
            c->cgroup_dir = dir;
            return;
        }
        free(dir);
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        event(c, "cgroup holder: socketpair: %s (its processes join the cgroups themselves)", strerror(errno));
        return;
    }
    pid_t supervisor = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        event(c, "cgroup holder: fork: %s (its processes join the cgroups themselves)", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return;
    }
    if (pid == 0) {
        close(sv[0]);
        holder_main(c, sv[1], supervisor);
    }
    close(sv[1]);
    c->holder_fd = sv[0];
    c->holder_pid = pid;
}

int holder_spawn(container *c, const pr_spawn_attr *a, pid_t *pid, int *step, int *index) {
    if (c->holder_fd < 0) return HOLDER_NONE;
    int fds[HOLDER_MAX_FDS], n = 0;
    const int std[3] = {a->stdin_fd, a->stdout_fd, a->stderr_fd};
    for (int i = 0; i < 3; i++) {
        if (std[i] >= 0) fds[n++] = std[i];
    }
    for (int i = 0; i < a->ns_count; i++) fds[n++] = a->ns_fds[i];
    union {
        char buf[CMSG_SPACE(sizeof(int) * HOLDER_MAX_FDS)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct iovec iov = {(void *)a, sizeof(*a)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
        memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)n);
    }
    ssize_t sent;
    while ((sent = sendmsg(c->holder_fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
    holder_reply r;
    ssize_t got = -1;
    if (sent == (ssize_t)sizeof(*a)) {
        while ((got = recv(c->holder_fd, &r, sizeof(r), 0)) < 0 && errno == EINTR) {}
    }
    if (got != (ssize_t)sizeof(r)) {
        // The holder died (killed by someone): its container's processes join the cgroups themselves.
        event(c, "cgroup holder (pid %d) is gone: its processes join the cgroups themselves", (int)c->holder_pid);
        holder_stop(c);
        return HOLDER_NONE;
    }
    *pid = r.pid;
    *step = r.step;
    *index = r.index;
    return r.rc;
}

void holder_stop(container *c) {
    if (c->holder_fd >= 0) close(c->holder_fd);
    c->holder_fd = -1;
    if (c->holder_pid > 0) {
        kill(c->holder_pid, SIGKILL);
        while (waitpid(c->holder_pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    c->holder_pid = -1;
}

int holder_reaped(pid_t pid) {
    for (int i = 0; i < P.count; i++) {
        if (P.c[i].holder_pid == pid) {
            P.c[i].holder_pid = -1;  // holder_spawn notices on its socket and falls back
            return 1;
        }
    }
    return 0;
}
