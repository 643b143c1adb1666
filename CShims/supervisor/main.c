// podrig-supervisor [--check] PLAN: supervises one pod (--check: reads the plan, reports what is
// wrong with it and exits; the unit tests run PodPlanner's output through it). Started detached by `podrig up`, in the pod's
// network namespace (so tcp/http probes reach the pod IP); a child subreaper, so containers that
// pr_spawn double-forked into PID namespaces are reparented here and reaped here. SIGTERM means
// "terminate the pod gracefully"; when it is done it exits (running the plan's finish command
// when the pod completed on its own).
#define _GNU_SOURCE
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 256

pod P;

static int64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
int64_t wall_ns(void) { return clock_ns(CLOCK_REALTIME); }

static void reap(void) {
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;
        pid_owner owner;
        probe_role role = PR_STARTUP;
        container *c = find_by_pid(pid, &owner, &role);
        if (c == NULL) {
            holder_reaped(pid);
            continue;
        }
        switch (owner) {
        case OWNER_NONE: break;
        case OWNER_MAIN: container_exited(c, status); break;
        case OWNER_HOOK: {
            c->hook_pid = -1;
            int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (c->hook_is_prestop) {
                event(c, "preStop hook finished (%s)", ok ? "ok" : "failed");
            } else if (!ok) {
                event(c, "postStart hook failed: the container is killed");
                container_stop(c, now_ns() + (int64_t)P.grace * 1000000000LL, KILL_POSTSTART);
            } else {
                probes_reset(c);  // probes begin once postStart is done, timed from the container's start
                P.dirty = 1;
            }
            break;
        }
        case OWNER_PROBE: probe_exec_done(c, role, status); break;
        }
    }
}

// `podrig stop --timeout N` writes N to <stateDir>/grace before its SIGTERM.
static void read_grace_override(void) {
    char path[4096], buf[32];
    snprintf(path, sizeof(path), "%s/grace", P.state_dir);
    if (pr_read_small(path, buf, sizeof(buf)) <= 0) return;
    long long g = strtoll(buf, NULL, 10);  // saturates; atoi's overflow is undefined
    P.grace = g < 0 ? 0 : g > PR_MAX_SECONDS ? PR_MAX_SECONDS : (int)g;
}

// The plan's startGate: a CRI container's supervisor starts at `podrig create` (its holder joins
// the cgroups meanwhile) and starts the container once `podrig start` writes a byte into the FIFO.
static void gate_open(void) {
    P.gate_fd = -1;
    if (P.gate_path == NULL) return;
    P.gate_fd = open(P.gate_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (P.gate_fd < 0) {
        event(NULL, "start gate %s: %s: the containers start now", P.gate_path, strerror(errno));
        return;
    }
    event(NULL, "Created: waiting for podrig start");
}

static void gate_read(void) {
    char b[16];
    ssize_t n = read(P.gate_fd, b, sizeof(b));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    close(P.gate_fd);
    P.gate_fd = -1;
    if (n == 0) {  // a writer left without a byte: wait for the next one
        gate_open();
        return;
    }
    event(NULL, "Start requested");
    P.reply_pending = P.reply_path != NULL;
}

// `podrig start` made the startReply FIFO and reads it before it writes the gate; one byte, once
// status.json shows the launched containers, wakes it at once (a poll of the file would see the
// change a tick later; inotify's teardown waits out an SRCU grace period, 10-30 ms here). No
// reader (a start that gave up, an older podrig): ENXIO or ENOENT, and start's own re-read stays.
static void start_reply(void) {
    P.reply_pending = 0;
    int fd = open(P.reply_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    if (write(fd, "1", 1) != 1) {}  // a reader that left meanwhile: nothing to wake
    close(fd);
}

static int64_t next_wake(void) {
    int64_t next = INT64_MAX;
    if (P.active_deadline_ns && !P.done && !P.terminating) next = P.active_deadline_ns;
    for (int i = 0; i < P.count; i++) {
        container *c = &P.c[i];
        if (c->restart_at_ns && c->restart_at_ns < next) next = c->restart_at_ns;
        if (c->stopping && c->kill_at_ns < next) next = c->kill_at_ns;
        int64_t p = probes_next_deadline(c);
        if (p < next) next = p;
    }
    return next;
}

static int all_stopped(void) {
    for (int i = 0; i < P.count; i++)
        if (P.c[i].state == PR_STATE_RUNNING || P.c[i].hook_pid > 0) return 0;
    return 1;
}

static void run_finish(void) {
    if (P.finish == NULL || P.finish[0] == NULL) return;
    pr_spawn_attr a;
    pr_spawn_attr_init(&a);
    a.path = P.finish[0];
    a.argv = P.finish;
    static char *env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    a.envp = env;
    a.detach = 1;
    a.stderr_fd = STDERR_FILENO;
    pid_t pid;
    int is_child, step, index;
    int rc = pr_spawn(&a, &pid, &is_child, &step, &index);
    if (rc != 0) event(NULL, "finish command %s failed: %s: %s", a.path, pr_spawn_step_name(step), strerror(-rc));
}

int main(int argc, char **argv) {
    int check = argc == 3 && strcmp(argv[1], "--check") == 0;
    if (argc != 2 && !check) {
        fprintf(stderr, "usage: podrig-supervisor [--check] PLAN\n");
        return 2;
    }
    if (plan_load(argv[argc - 1], &P) != 0) return 1;
    if (check) return 0;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "podrig-supervisor: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fprintf(stderr, "podrig-supervisor: signalfd: %s\n", strerror(errno));
        return 1;
    }
    P.start_wall_ns = wall_ns();
    // kubelet counts activeDeadlineSeconds from the pod's StartTime: when it took the pod on.
    if (P.active_deadline_s > 0) P.active_deadline_ns = now_ns() + (int64_t)P.active_deadline_s * SEC;
    for (int i = 0; i < P.count; i++) holder_start(&P.c[i]);  // first: they inherit as few fds as can be
    gate_open();
    for (int i = 0; i < P.count; i++) attach_listen(&P.c[i]);
    event(NULL, "Supervisor started (pid %d)", (int)getpid());
    status_write();
    if (P.gate_fd >= 0) {
        for (int i = 0; i < P.count; i++) oom_watch_early(&P.c[i]);  // after the gate is open: `start` need not wait for it
    }

    struct pollfd pfds[MAX_FDS];
    container *owners[MAX_FDS];
    int roles[MAX_FDS];
    for (;;) {
        int64_t now = now_ns();
        pod_tick(now);
        if ((P.terminating || P.done) && all_stopped()) break;
        if (P.dirty) status_write();
        if (P.reply_pending && P.gate_fd < 0) start_reply();

        int n = 0;
        pfds[n].fd = sfd;
        pfds[n].events = POLLIN;
        pfds[n].revents = 0;
        n++;
        int gate = -1;
        if (P.gate_fd >= 0) {
            gate = n;
            pfds[n].fd = P.gate_fd;
            pfds[n].events = POLLIN;
            pfds[n].revents = 0;
            n++;
        }
        int probe_start = n;
        probes_poll_fds(pfds, &n, MAX_FDS, owners, roles);
        int stream_start = n;
        streams_poll_fds(pfds, &n, MAX_FDS);
        int attach_start = n;
        attach_poll_fds(pfds, &n, MAX_FDS);
        int oom_start = n;
        oom_poll_fds(pfds, &n, MAX_FDS, owners);
        int64_t wake = next_wake();
        int timeout = 1000;
        if (wake != INT64_MAX) {
            int64_t ms = (wake - now_ns()) / 1000000 + 1;
            if (ms < timeout) timeout = ms < 0 ? 0 : (int)ms;
        }
        int rc = poll(pfds, (nfds_t)n, timeout);
        if (rc < 0 && errno != EINTR) break;
        if (rc <= 0) continue;
        if (pfds[0].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                    read_grace_override();
                    pod_terminate();
                }
            }
            reap();
        }
        if (gate >= 0 && pfds[gate].revents) gate_read();
        for (int i = probe_start; i < stream_start; i++)
            if (pfds[i].revents) probe_io(owners[i], roles[i], pfds[i].revents);
        streams_handle(pfds + stream_start, attach_start - stream_start);
        attach_handle(pfds + attach_start, oom_start - attach_start);
        oom_handle(pfds + oom_start, n - oom_start, owners + oom_start);
    }
    streams_drain();
    attach_shutdown();
    for (int i = 0; i < P.count; i++) holder_stop(&P.c[i]);  // its cgroups are empty once we are gone
    if (P.gate_fd >= 0) close(P.gate_fd);
    int completed = P.done && !P.terminating;
    event(NULL, "Supervisor exiting%s", completed ? " (pod completed)" : "");
    P.terminating = P.terminating || P.done;
    status_write();
    if (completed) run_finish();
    return 0;
}
