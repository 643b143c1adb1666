// podrig-supervisor: one small process per pod that starts, reaps, restarts, probes and logs the
// pod's containers while no podrig command runs. Single-threaded poll loop; state in status.json.
#ifndef SUP_H
#define SUP_H

#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "pr_backoff.h"
#include "pr_spawn.h"

typedef enum { P_NONE = 0, P_EXEC, P_TCP, P_HTTP } probe_kind;
typedef enum { PR_STARTUP = 0, PR_READINESS, PR_LIVENESS, PR_COUNT } probe_role;

typedef struct probe {
    probe_kind kind;
    char **argv;                 // exec
    const char *host, *path, *scheme;
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

typedef enum { K_INIT, K_SIDECAR, K_MAIN } ckind;
typedef enum { S_WAITING, S_RUNNING, S_TERMINATED } cstate;

typedef struct ns_join {
    int type;
    const char *path;  // may hold "%d" for the container's pid
} ns_join;

typedef struct term_info {
    int exit_code, signal;
    int64_t started_ns, finished_ns;
    char reason[40];
    char message[1024];
} term_info;

typedef struct container {
    const char *name;
    ckind kind;
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
    // runtime
    cstate state;
    char reason[40];
    char message[256];
    pid_t pid;
    int64_t started_ns, restart_at_ns;
    int restart_count, ready, started, has_last, launched;
    term_info term, last;
    pr_backoff backoff;
    pid_t hook_pid;
    int64_t hook_deadline_ns;
    int hook_is_prestop;
    int stopping, term_sent, kill_reason;  // kill_reason: 0 none, 1 liveness, 2 startup, 3 poststart
    int64_t kill_at_ns;
} container;

typedef struct pod {
    const char *name, *state_dir, *log_dir, *probe_host, *restart_policy;
    int grace;
    char **finish;
    container *c;
    int count;
    int64_t start_ns, initialized_ns;
    int done;                    // 1 succeeded, 2 failed
    int terminating;
    int64_t terminate_deadline_ns;
    int dirty;
} pod;

extern pod P;

int64_t now_ns(void);
void fmt_time(int64_t ns, char *buf, size_t len);  // RFC 3339 with nanoseconds, UTC

// plan.c
int plan_load(const char *path, pod *p);

// output.c
void event(const container *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void status_write(void);
int log_open(container *c);
void stream_add(int fd, int log_fd, int is_err);
void streams_poll_fds(void *pfds, int *n, int max);
void streams_handle(void *pfds, int n);
void streams_drain(void);

// run.c
void container_start(container *c);
void container_exited(container *c, int status);
void container_stop(container *c, int64_t deadline_ns, int reason);
void pod_tick(int64_t now);
void pod_terminate(void);
int spawn_in_container(container *c, char **argv, pid_t *pid);
container *find_by_pid(pid_t pid, int *what);  // what: 0 main, 1 hook, 2..4 probe role + 2

// probe.c
void probes_reset(container *c);
void probes_tick(container *c, int64_t now);
void probe_exec_done(container *c, int role, int status);
void probes_poll_fds(void *pfds, int *n, int max, container **owners, int *roles);
void probe_io(container *c, int role, short revents);
int64_t probes_next_deadline(const container *c);

#endif
