// Container lifecycle as kubelet drives it: init containers one at a time, sidecars that keep
// running, main containers, restarts with back-off, graceful stops (preStop, SIGTERM, SIGKILL).
#define _GNU_SOURCE
#include "sup.h"
#include "pr_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


// Opens the namespaces (paths may name the container's pid with %d) and spawns: through the
// container's cgroup holder (its programs are born in its cgroups), else with its cgroup.procs
// files opened here and written by the child between fork and exec. 0 or -errno.
static int spawn_joined(container *c, pr_spawn_attr *a, const ns_join *joins, int count, pid_t target, pid_t *pid,
                        char *why, size_t why_len) {
    char **procs = c->cgroup_procs;
    int n = 0, rc = 0, step = PR_STEP_NONE, index = -1;
    a->cgroup_count = 0;
    for (int i = 0; i < count; i++) {
        char path[256];
        snprintf(path, sizeof(path), joins[i].path, (int)target);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            snprintf(why, why_len, "open(%s): %s", path, strerror(-rc));
            break;
        }
        a->ns_fds[n] = fd;
        a->ns_types[n] = joins[i].type;
        n++;
    }
    a->ns_count = n;
    if (rc == 0) rc = holder_spawn(c, a, pid, &step, &index);
    if (rc == HOLDER_NONE) {
        rc = 0;
        if (c->cgroup_dir) {  // v2: cloned into it (where the kernel cannot, the child writes its cgroup.procs)
            a->cgroup_dir_fd = open(c->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (a->cgroup_dir_fd < 0) {
                rc = -errno;
                snprintf(why, why_len, "open(%s): %s", c->cgroup_dir, strerror(-rc));
            } else {
                a->cgroup_into = 1;
            }
        }
        for (int i = 0; !c->cgroup_dir && procs && procs[i] && i < PR_SPAWN_MAX_CGROUPS; i++) {
            int fd = cgroup_join_open(procs[i]);  // the child is single-threaded: `tasks` on v1
            if (fd < 0) {
                rc = fd;
                snprintf(why, why_len, "open(%s): %s", procs[i], strerror(-rc));
                break;
            }
            a->cgroup_fds[a->cgroup_count++] = fd;
        }
        int is_child;
        if (rc == 0) rc = pr_spawn(a, pid, &is_child, &step, &index);
        else step = PR_STEP_NONE;
    }
    if (rc != 0 && step != PR_STEP_NONE) {
        int ncg = 0;
        while (procs && procs[ncg]) ncg++;
        const char *obj = step == PR_STEP_EXEC ? a->path : step == PR_STEP_CHDIR && a->cwd ? a->cwd
                        : step == PR_STEP_CGROUP && index >= 0 && index < ncg ? procs[index]
                        : step == PR_STEP_CGROUP && a->cgroup_into ? c->cgroup_dir
                        : step == PR_STEP_MOUNT && index >= 0 && (size_t)index < a->mount_count ? a->mounts[index].target : NULL;
        snprintf(why, why_len, "%s%s%s%s: %s", pr_spawn_step_name(step), obj ? "(" : "", obj ? obj : "", obj ? ")" : "",
                 strerror(-rc));
    }
    for (int i = 0; i < n; i++) close(a->ns_fds[i]);
    for (int i = 0; i < a->cgroup_count; i++) close(a->cgroup_fds[i]);
    if (a->cgroup_into) close(a->cgroup_dir_fd);
    return rc;
}

int spawn_in_container(container *c, char **argv, pid_t *pid) {
    static const struct { int type; const char *name; } kinds[] = {
        {CLONE_NEWIPC, "ipc"}, {CLONE_NEWUTS, "uts"}, {CLONE_NEWNET, "net"}, {CLONE_NEWPID, "pid"}, {CLONE_NEWNS, "mnt"},
        {CLONE_NEWUSER, "user"}};
    // The pod's user namespace too when the container joined one (joining our own would fail).
    int count = 5;
    for (int i = 0; i < c->join_count; i++) {
        if (c->joins[i].type == CLONE_NEWUSER) count = 6;
    }
    ns_join joins[6];
    char paths[6][48];
    for (int i = 0; i < count; i++) {
        snprintf(paths[i], sizeof(paths[i]), "/proc/%%d/ns/%s", kinds[i].name);
        joins[i].type = kinds[i].type;
        joins[i].path = paths[i];
    }
    pr_spawn_attr a = c->attr;
    a.path = argv[0];
    a.argv = argv;
    a.unshare_flags = 0;
    a.mounts = NULL;
    a.mount_count = 0;
    a.stdin_fd = a.stdout_fd = a.stderr_fd = -1;
    char why[512];
    int rc = spawn_joined(c, &a, joins, count, c->pid, pid, why, sizeof(why));
    if (rc != 0) event(c, "exec %s failed: %s", argv[0], why);
    return rc;
}

static void set_terminated(container *c, int code, int sig, const char *reason, const char *message) {
    c->term.exit_code = code;
    c->term.signal = sig;
    c->term.started_ns = c->started_wall_ns;
    c->term.finished_ns = wall_ns();
    snprintf(c->term.reason, sizeof(c->term.reason), "%s", reason);
    snprintf(c->term.message, sizeof(c->term.message), "%s", message ? message : "");
    c->state = PR_STATE_TERMINATED;
    c->reason[0] = c->message[0] = '\0';
    c->pid = -1;
    c->ready = c->started = 0;
    c->stopping = 0;
    c->stage = STOP_PRESTOP;
    P.dirty = 1;
}

static void after_exit(container *c);

// The container's stdio: pipes to our log streams; with tty a pty (stdout and stderr both on it,
// logged as stdout, as containerd does); with stdin a pipe the attach sessions write to.
typedef struct stdio_fds {
    int out[2], err[2], in[2], pty_master, pty_slave;
} stdio_fds;

static void stdio_close(stdio_fds *f) {
    int *all[] = {&f->out[0], &f->out[1], &f->err[0], &f->err[1], &f->in[0], &f->in[1], &f->pty_master, &f->pty_slave};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (*all[i] >= 0) close(*all[i]);
        *all[i] = -1;
    }
}

static int stdio_open(container *c, stdio_fds *f) {
    *f = (stdio_fds){{-1, -1}, {-1, -1}, {-1, -1}, -1, -1};
    if (c->tty) {
        int rc = pr_pty_open(&f->pty_master, &f->pty_slave);
        if (rc < 0) { errno = -rc; return -1; }
    } else if (pipe2(f->out, O_CLOEXEC) != 0 || pipe2(f->err, O_CLOEXEC) != 0) {
        return -1;
    }
    if (c->want_stdin && !c->tty && pipe2(f->in, O_CLOEXEC) != 0) return -1;
    return 0;
}

void container_start(container *c) {
    c->launched = 1;
    log_open(c);
    if (c->term_file) {
        int fd = open(c->term_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd >= 0) { fchmod(fd, 0666); close(fd); }
    }
    stdio_fds f;
    if (stdio_open(c, &f) != 0) {
        char why[128];
        snprintf(why, sizeof(why), "%s failed: %s", c->tty ? "opening a pty" : "pipe", strerror(errno));
        stdio_close(&f);
        c->started_ns = now_ns();
        c->started_wall_ns = wall_ns();
        set_terminated(c, 128, 0, "StartError", why);
        after_exit(c);
        return;
    }
    pr_spawn_attr a = c->attr;
    if (c->tty) {
        a.stdin_fd = a.stdout_fd = a.stderr_fd = f.pty_slave;
        a.controlling_tty = 1;  // attr.new_session is set for every container
    } else {
        a.stdout_fd = f.out[1];
        a.stderr_fd = f.err[1];
        a.stdin_fd = f.in[0];   // -1 (/dev/null) without stdin
    }
    char why[512] = "";
    pid_t pid = -1;
    c->started_ns = now_ns();
    c->started_wall_ns = wall_ns();
    long long kills = c->oom_events ? pr_oom_kill_count(c->oom_events) : 0;
    c->oom_kills = kills < 0 ? 0 : kills;
    oom_watch(c, kills);
    int rc = spawn_joined(c, &a, c->joins, c->join_count, 0, &pid, why, sizeof(why));
    if (rc != 0) {
        stdio_close(&f);
        event(c, "Failed to start: %s", why);
        set_terminated(c, 128, 0, "StartError", why);
        after_exit(c);
        return;
    }
    if (c->stdin_fd >= 0) close(c->stdin_fd);
    c->stdin_fd = -1;
    c->stdin_claimed = 0;
    if (c->tty) {
        close(f.pty_slave);
        c->stdin_fd = fcntl(f.pty_master, F_DUPFD_CLOEXEC, 3);  // attach writes and resizes through it
        stream_add(f.pty_master, c, 0);
    } else {
        close(f.out[1]);
        close(f.err[1]);
        if (f.in[0] >= 0) close(f.in[0]);
        c->stdin_fd = f.in[1];
        if (c->stdin_fd >= 0) fcntl(c->stdin_fd, F_SETFL, fcntl(c->stdin_fd, F_GETFL) | O_NONBLOCK);
        stream_add(f.out[0], c, 0);
        stream_add(f.err[0], c, 1);
    }
    c->pid = pid;
    c->state = PR_STATE_RUNNING;
    c->reason[0] = c->message[0] = '\0';
    c->ready = 0;
    c->started = 0;
    c->stopping = 0;
    c->stage = STOP_PRESTOP;
    c->kill_reason = KILL_NONE;
    P.dirty = 1;
    event(c, "Started (pid %d)", (int)pid);
    oom_score_check(c, pid);
    if (c->post_start) {
        c->hook_is_prestop = 0;
        if (spawn_in_container(c, c->post_start, &c->hook_pid) != 0) {
            c->hook_pid = -1;
            container_stop(c, now_ns() + (int64_t)P.grace * SEC, KILL_POSTSTART);
            return;
        }
    }
    probes_reset(c);
}

static void signal_container(container *c, int sig) {
    if (c->pid <= 0) return;
    kill(-c->pid, sig);  // its process group (it is a session leader)
    kill(c->pid, sig);
}

void container_stop(container *c, int64_t deadline_ns, kill_reason reason) {
    if (c->state != PR_STATE_RUNNING) return;
    if (c->stopping) {
        if (deadline_ns < c->kill_at_ns) c->kill_at_ns = deadline_ns;
        return;
    }
    c->stopping = 1;
    c->kill_reason = reason;
    c->kill_at_ns = deadline_ns;
    if (c->hook_pid > 0 && !c->hook_is_prestop) {  // a postStart still running: abandon it
        kill(c->hook_pid, SIGKILL);
    }
    if (c->pre_stop && c->hook_pid <= 0) {
        event(c, "Running preStop hook");
        c->hook_is_prestop = 1;
        if (spawn_in_container(c, c->pre_stop, &c->hook_pid) == 0) return;
        c->hook_pid = -1;
    }
    event(c, "Stopping (SIGTERM, grace %llds)", (long long)((deadline_ns - now_ns() + SEC - 1) / SEC));
    signal_container(c, SIGTERM);
    c->stage = STOP_TERM_SENT;
}

static void stop_tick(container *c, int64_t now) {
    if (!c->stopping || c->state != PR_STATE_RUNNING) return;
    if (c->stage == STOP_PRESTOP) {
        if (c->hook_pid > 0 && now < c->kill_at_ns) return;
        if (c->hook_pid > 0) kill(c->hook_pid, SIGKILL);
        if (c->kill_at_ns - now < 2 * SEC) c->kill_at_ns = now + 2 * SEC;  // kubelet's minimum after preStop
        event(c, "Stopping (SIGTERM)");
        signal_container(c, SIGTERM);
        c->stage = STOP_TERM_SENT;
        return;
    }
    if (now >= c->kill_at_ns && c->stage == STOP_TERM_SENT) {
        event(c, "Grace period over: SIGKILL");
        signal_container(c, SIGKILL);
        c->stage = STOP_KILL_SENT;
    }
}

static void read_termination_message(container *c) {
    if (c->term_file == NULL) return;
    int fd = open(c->term_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, c->term.message, sizeof(c->term.message) - 1);
    close(fd);
    if (n > 0) c->term.message[n] = '\0';
}

// Decides what follows an exit: nothing, a restart (maybe after back-off), or a failed pod.
static void after_exit(container *c) {
    if (c->kind == PR_CONTAINER_INIT && pr_init_failure_fails_pod(P.restart_policy, c->term.exit_code) && !P.terminating) {
        event(c, "Init container failed with restartPolicy Never: the pod fails");
        P.done = RESULT_FAILED;
    }
    if (P.terminating || P.done || !pr_container_restarts(P.restart_policy, c->kind, c->term.exit_code)) return;
    int64_t now = now_ns();  // the exit was just now: back-off runs on the monotonic clock
    c->restart_at_ns = pr_backoff_next(&c->backoff, now, now);
    if (c->restart_at_ns > now) {
        c->last = c->term;
        c->has_last = 1;
        c->state = PR_STATE_WAITING;
        snprintf(c->reason, sizeof(c->reason), "CrashLoopBackOff");
        long long secs = (long long)((c->restart_at_ns - now + SEC / 2) / SEC);
        snprintf(c->message, sizeof(c->message), "back-off %llds restarting failed container=%s", secs, c->name);
        event(c, "Back-off %llds before restarting", secs);
    }
}

void container_exited(container *c, int status) {
    streams_drain();
    attach_container_exited(c);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (c->hook_pid > 0) { kill(c->hook_pid, SIGKILL); }
    for (int r = 0; r < PR_COUNT; r++) {
        probe *p = &c->probes[r];
        if (p->pid > 0) kill(p->pid, SIGKILL);
        if (p->fd >= 0) { close(p->fd); p->fd = -1; }
        p->in_flight = 0;
    }
    kill_reason reason = c->kill_reason;
    int oom = oom_killed(c);
    set_terminated(c, code, sig, pr_termination_reason(code, oom), NULL);
    read_termination_message(c);
    if (reason == KILL_POSTSTART) snprintf(c->term.message, sizeof(c->term.message), "PostStartHook failed");
    if (oom) event(c, "Exited: OOMKilled (the memory limit was reached)");
    else if (sig) event(c, "Exited: killed by signal %d", sig);
    else event(c, "Exited with status %d", code);
    after_exit(c);
}

container *find_by_pid(pid_t pid, pid_owner *owner, probe_role *role) {
    *owner = OWNER_NONE;
    for (int i = 0; i < P.count; i++) {
        container *c = &P.c[i];
        if (c->pid == pid) { *owner = OWNER_MAIN; return c; }
        if (c->hook_pid == pid) { *owner = OWNER_HOOK; return c; }
        for (int r = 0; r < PR_COUNT; r++) {
            if (c->probes[r].pid == pid) {
                *owner = OWNER_PROBE;
                *role = (probe_role)r;
                return c;
            }
        }
    }
    return NULL;
}

void pod_terminate(void) {
    if (P.terminating) return;
    P.terminating = 1;
    P.terminate_deadline_ns = now_ns() + (int64_t)P.grace * SEC;
    event(NULL, "Terminating (grace %ds)", P.grace);
    for (int i = 0; i < P.count; i++) {
        P.c[i].restart_at_ns = 0;
        if (P.c[i].kind != PR_CONTAINER_SIDECAR) container_stop(&P.c[i], P.terminate_deadline_ns, KILL_NONE);
    }
    P.dirty = 1;
}

static int running(const container *c) { return c->state == PR_STATE_RUNNING; }

static void stop_sidecars(int64_t now) {
    for (int i = 0; i < P.count; i++) {
        if (P.c[i].kind != PR_CONTAINER_SIDECAR && running(&P.c[i])) return;  // mains first
    }
    int64_t deadline = P.terminating ? P.terminate_deadline_ns : now + (int64_t)P.grace * SEC;
    if (deadline < now + 2 * SEC) deadline = now + 2 * SEC;
    for (int i = P.count - 1; i >= 0; i--) {
        P.c[i].restart_at_ns = 0;
        if (P.c[i].kind == PR_CONTAINER_SIDECAR) container_stop(&P.c[i], deadline, KILL_NONE);
    }
}

// The pod completed on its own once kubelet's phase over the main containers is terminal.
static void check_done(void) {
    if (P.done || P.terminating) return;
    pr_phase_counts counts = {0};
    for (int i = 0; i < P.count; i++) {
        const container *c = &P.c[i];
        if (c->kind != PR_CONTAINER_MAIN) continue;
        const term_info *t = c->state == PR_STATE_TERMINATED ? &c->term : &c->last;
        pr_phase_count(&counts, c->state, c->has_last, t->exit_code);
    }
    pr_pod_phase phase = pr_pod_phase_of(P.restart_policy, &counts, 1, 0);
    if (phase == PR_PHASE_SUCCEEDED) P.done = RESULT_SUCCEEDED;
    if (phase == PR_PHASE_FAILED) P.done = RESULT_FAILED;
}

// kubelet's activeDeadlineHandler: a pod active longer than activeDeadlineSeconds fails
// (reason DeadlineExceeded) and its containers are killed with the grace period; none restarts.
static void check_deadline(int64_t now) {
    if (!P.active_deadline_ns || P.done || P.terminating || now < P.active_deadline_ns) return;
    P.done = RESULT_FAILED;
    P.deadline_exceeded = 1;
    event(NULL, "%s: %s", PR_REASON_DEADLINE_EXCEEDED, PR_MESSAGE_DEADLINE_EXCEEDED);
    for (int i = 0; i < P.count; i++) {
        P.c[i].restart_at_ns = 0;
        if (P.c[i].kind == PR_CONTAINER_MAIN) container_stop(&P.c[i], now + (int64_t)P.grace * SEC, KILL_NONE);
    }
    P.dirty = 1;
}

void pod_tick(int64_t now) {
    check_deadline(now);
    for (int i = 0; i < P.count; i++) {
        container *c = &P.c[i];
        if (c->restart_at_ns && now >= c->restart_at_ns && !P.terminating && !P.done) {
            c->restart_at_ns = 0;
            if (c->state == PR_STATE_TERMINATED) { c->last = c->term; c->has_last = 1; }
            c->restart_count++;
            container_start(c);
        }
        stop_tick(c, now);
        if (running(c) && !c->stopping) probes_tick(c, now);
    }
    if (P.terminating || P.done) {
        if (P.done) {
            for (int i = 0; i < P.count; i++) {
                P.c[i].restart_at_ns = 0;
                if (P.c[i].kind == PR_CONTAINER_INIT) container_stop(&P.c[i], now + (int64_t)P.grace * SEC, KILL_NONE);
            }
        }
        stop_sidecars(now);
        return;
    }
    if (P.gate_fd >= 0) return;  // created, not started yet
    if (!P.initialized_wall_ns) {
        int complete = 1;
        for (int i = 0; i < P.count && complete; i++) {
            container *c = &P.c[i];
            if (c->kind == PR_CONTAINER_MAIN) continue;
            if (!c->launched) { container_start(c); complete = 0; break; }
            if (c->kind == PR_CONTAINER_SIDECAR) {
                if (!(running(c) && c->started)) complete = 0;
                continue;
            }
            if (!(c->state == PR_STATE_TERMINATED && c->term.exit_code == 0 && c->restart_at_ns == 0)) complete = 0;
        }
        if (!complete || P.done) { check_done(); return; }
        P.initialized_wall_ns = wall_ns();
        P.dirty = 1;
        event(NULL, "Initialized");
    }
    for (int i = 0; i < P.count; i++) {
        container *c = &P.c[i];
        if (c->kind == PR_CONTAINER_MAIN && !c->launched) container_start(c);
    }
    check_done();
    if (P.done) event(NULL, "Pod %s", P.done == RESULT_SUCCEEDED ? "succeeded" : "failed");
}
