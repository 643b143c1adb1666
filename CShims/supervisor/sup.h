// podrig-supervisor: one small process per pod that starts, reaps, restarts, probes and logs the
// pod's containers while no podrig command runs. Single-threaded poll loop; state in status.json.
#ifndef SUP_H
#define SUP_H

#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "pr_backoff.h"
#include "pr_kubelet.h"
#include "pr_oomwatch.h"
#include "pr_spawn.h"
#include "pr_sys.h"

// The plan.json format this supervisor reads (docs/supervisor.md); PodPlanner.planVersion is the other side.
#define SUP_PLAN_VERSION 1

typedef enum { P_NONE = 0, P_EXEC, P_TCP, P_HTTP } probe_kind;
typedef enum { PR_STARTUP = 0, PR_READINESS, PR_LIVENESS, PR_COUNT } probe_role;

typedef struct probe {
    probe_kind kind;
    char **argv;                 // exec
    const char *host, *path;
    int port;
    char **headers;              // "Name: value" lines
    int initial_delay, period, timeout, success_threshold, failure_threshold;
    // runtime
    int64_t next_ns, deadline_ns;
    int successes, failures, in_flight;
    pid_t pid;
    int fd, sent;
    char reply[64];
    size_t reply_len;
} probe;

/// Why the supervisor stopped a container itself (it shapes the termination message and events).
typedef enum kill_reason {
    KILL_NONE = 0,       // a pod stop, or a sidecar stopped after the mains
    KILL_LIVENESS,       // liveness probe failed failureThreshold times
    KILL_STARTUP,        // startup probe failed failureThreshold times
    KILL_POSTSTART,      // the postStart hook failed
} kill_reason;

/// How far a graceful stop has got.
typedef enum stop_stage {
    STOP_PRESTOP = 0,    // preStop hook running (or nothing sent yet)
    STOP_TERM_SENT,      // SIGTERM sent; SIGKILL at kill_at_ns
    STOP_KILL_SENT,      // SIGKILL sent
} stop_stage;

/// The pod's outcome once it completed on its own (status.json "result").
typedef enum pod_result {
    RESULT_NONE = 0,
    RESULT_SUCCEEDED,
    RESULT_FAILED,
} pod_result;

/// Which of a container's processes a reaped pid was.
typedef enum pid_owner {
    OWNER_NONE = 0,
    OWNER_MAIN,          // the container's own process
    OWNER_HOOK,          // its postStart or preStop hook
    OWNER_PROBE,         // an exec probe (the role says which)
} pid_owner;

typedef struct ns_join {
    int type;
    const char *path;  // may hold "%d" for the container's pid
} ns_join;

typedef struct term_info {
    int exit_code, signal;
    int64_t started_ns, finished_ns;  // wall clock (status.json)
    char reason[40];
    char message[1024];
} term_info;

typedef struct container {
    const char *name;
    pr_container_kind kind;
    pr_spawn_attr attr;          // template; ns fds filled at each start
    ns_join joins[PR_SPAWN_MAX_NS];
    int join_count;
    pr_spawn_mount *mounts;
    gid_t *groups;
    void *seccomp;
    size_t seccomp_len;
    char **post_start, **pre_stop;
    probe probes[PR_COUNT];
    const char *term_file;       // host file bind-mounted at terminationMessagePath
    const char *log_path;        // CRI containers: the log file kubelet asked for
    int want_stdin, stdin_once, tty;  // plan: keep a stdin pipe / a pty for attach
    char **cgroup_procs;         // plan cgroup.procs: its cgroup.procs files (its holder joins them; else each spawn)
    int holder_fd;               // holder.c: the socket to its cgroup holder, -1 without one
    pid_t holder_pid;            // the holder (a fork of the supervisor inside its cgroups), -1
    char *cgroup_dir;            // v2 (its one cgroup.procs is on cgroup2): spawns start in it by clone3, no holder
    const char *oom_events;      // plan cgroup.oomEvents: memory.events (v2) / memory.oom_control (v1)
    long long oom_kills;         // its oom_kill count when the current instance started
    const char *event_control;   // plan cgroup.eventControl (v1): cgroup.event_control of its memory cgroup
    const char *cgroup_events;   // plan cgroup.cgroupEvents (v2): its cgroup.events (populated)
    pr_oom_watch oomw;           // oom.c: the kernel's OOM events for its memory cgroup
    int oom_seen;                // an OOM event arrived while the current instance ran
    int listen_fd;               // its attach socket (attach.c), -1 if none
    int stdin_fd;                // write side of its stdin (pipe, or a dup of the pty master); -1
    int stdin_claimed;           // stdinOnce: an attach has used stdin (it closes when that one ends)
    int log_fd;                  // the current log file (output.c), -1 if it could not be opened
    int64_t log_size;            // its size, for rotation at logMaxSize
    // runtime (times ending _ns are CLOCK_MONOTONIC deadlines unless they say "wall")
    pr_container_state state;
    char reason[40];
    char message[256];
    pid_t pid;
    int64_t started_wall_ns, started_ns, restart_at_ns;
    int restart_count, ready, started, has_last, launched;
    term_info term, last;
    pr_backoff backoff;
    pid_t hook_pid;
    int hook_is_prestop;
    int stopping;
    stop_stage stage;
    kill_reason kill_reason;
    int64_t kill_at_ns;
} container;

typedef struct pod {
    const char *name, *state_dir, *log_dir, *probe_host;
    pr_restart_policy restart_policy;
    int grace;
    int64_t log_max_size;        // kubelet's containerLogMaxSize (bytes; 0: never rotate)
    int log_max_files;           // containerLogMaxFiles: files kept per container, the current one included
    char **finish;
    container *c;
    int count;
    int64_t start_wall_ns, initialized_wall_ns;
    pod_result done;
    int active_deadline_s;       // plan activeDeadlineSeconds (0: none)
    int64_t active_deadline_ns;  // monotonic: supervisor start + active_deadline_s
    int deadline_exceeded;       // the deadline passed: result Failed, reason DeadlineExceeded
    int terminating;
    int64_t terminate_deadline_ns;
    int dirty;
    const char *gate_path;       // plan startGate: a FIFO; no container starts before a byte arrives on it
    int gate_fd;                 // plan startGate (a FIFO), open until `podrig start` writes it; -1
    const char *reply_path;      // plan startReply: the FIFO `podrig start` reads (PodLayout.startReply)
    int reply_pending;           // the gate opened: reply once status.json shows the containers launched
} pod;

extern pod P;

#define SEC 1000000000LL  // nanoseconds per second, for every deadline below
int64_t now_ns(void);   // CLOCK_MONOTONIC: every deadline and interval (a wall-clock step moves none)
int64_t wall_ns(void);  // CLOCK_REALTIME: the times written to status.json, events and logs
void fmt_time(int64_t ns, char *buf, size_t len);  // RFC 3339 with nanoseconds, UTC

// plan.c
int plan_load(const char *path, pod *p);  // 0, or -1 after a one-line error on stderr

// output.c
void event(const container *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void status_write(void);
int log_open(container *c);  // 0, or -1 (an event says why)
int log_reopen(container *c, char *why, size_t why_len);
void stream_add(int fd, container *c, int is_err);
void streams_poll_fds(void *pfds, int *n, int max);
void streams_handle(void *pfds, int n);
void streams_drain(void);

// attach.c
void attach_listen(container *c);
void attach_poll_fds(void *pfds, int *n, int max);
void attach_handle(void *pfds, int n);
void attach_output(container *c, int is_err, const char *data, size_t n);
void attach_container_exited(container *c);
void attach_shutdown(void);

// run.c
void container_start(container *c);
void container_exited(container *c, int status);
void container_stop(container *c, int64_t deadline_ns, kill_reason reason);
void pod_tick(int64_t now);
void pod_terminate(void);
int spawn_in_container(container *c, char **argv, pid_t *pid);
container *find_by_pid(pid_t pid, pid_owner *owner, probe_role *role);

// oom.c
void oom_watch(container *c, long long kills);  // watches its memory cgroup (again) as an instance starts; kills: oom_kill now
void oom_watch_early(container *c);  // a created container's watch, made while it waits for its start
void oom_poll_fds(void *pfds, int *n, int max, container **owners);
void oom_handle(void *pfds, int n, container **owners);
int oom_killed(container *c);     // at exit: whether the kernel OOM-killed in it while it ran
void oom_score_check(container *c, pid_t pid);  // an event when the kernel kept another oom_score_adj

// holder.c
#define HOLDER_NONE 1            // holder_spawn: no holder (none made, or it died); spawn directly
void holder_start(container *c);  // forks its holder (nothing without cgroup.procs; an event if it fails)
int holder_spawn(container *c, const pr_spawn_attr *a, pid_t *pid, int *step, int *index);  // pr_spawn's 0 / -errno, or HOLDER_NONE
void holder_stop(container *c);   // SIGKILL and reap
int holder_reaped(pid_t pid);     // 1 when pid was a holder (reap() found it dead)
int cgroup_join_open(const char *procs);  // fd to write "0" into to join procs' cgroup (v1: its tasks), or -errno

// probe.c
void probes_reset(container *c);
void probes_tick(container *c, int64_t now);
void probe_exec_done(container *c, int role, int status);
void probes_poll_fds(void *pfds, int *n, int max, container **owners, int *roles);
void probe_io(container *c, int role, short revents);
int64_t probes_next_deadline(const container *c);

#endif
