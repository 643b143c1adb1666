#ifndef PR_OOMWATCH_H
#define PR_OOMWATCH_H

#include <stdbool.h>

#pragma clang assume_nonnull begin

/// One container's memory cgroup watched for OOM kills, as containerd's monitors do, so that the
/// kernel's own event (not an inference from SIGKILL) says OOMKilled:
/// - v1: an eventfd registered on memory.oom_control through cgroup.event_control; the kernel
///   signals it when the cgroup is under OOM (and once more when the cgroup is removed).
/// - v2: inotify on memory.events (its `oom_kill` count) and cgroup.events (`populated`): the
///   kernel emits IN_MODIFY on both when they change (no IN_IGNORED when a cgroup is removed: the
///   watch is dropped once `populated` is 0 and nothing more will run there).
/// The supervisor polls `fd` in its event loop (docs/supervisor.md, "OOM"); the Swift tests drive
/// the same functions on the real kernel and on a fake tree. Errors are -errno (pr_sys.h).
typedef struct pr_oom_watch {
    int fd;                       // to poll: the eventfd (v1) or the inotify fd (v2); -1 when none
    int v1;                       // fd is v1's eventfd
    int events_wd, populated_wd;  // v2: memory.events' and cgroup.events' watches, -1 without
    char *_Nullable oom_file;        // copies: memory.oom_control (v1) / memory.events (v2)
    char *_Nullable populated_file;  // v2 cgroup.events
    long long kills;              // the oom_kill count last seen (the baseline of the next event)
} pr_oom_watch;

/// What pr_oom_watch_read found (a bit mask; 0: nothing new).
enum {
    PR_OOM_EVENT = 1,    // the kernel reported an OOM in the cgroup (v1 eventfd; v2 oom_kill rose)
    PR_OOM_EMPTIED = 2,  // v2: populated went to 0 (no process left in the cgroup or below)
    PR_OOM_GONE = 4,     // the cgroup was removed: the watch is useless now (close it)
};

/// v1: oom_file = memory.oom_control, event_control = the cgroup's cgroup.event_control,
/// populated_file = NULL. v2: oom_file = memory.events and/or populated_file = cgroup.events,
/// event_control = NULL. The baseline is the current oom_kill count. On a zeroed or closed watch;
/// 0 or -errno (nothing left open).
int pr_oom_watch_open(pr_oom_watch *w, const char *_Nullable oom_file, const char *_Nullable event_control,
                      const char *_Nullable populated_file);
/// Reads whatever arrived, without blocking: PR_OOM_* bits, 0 when nothing, or -errno.
int pr_oom_watch_read(pr_oom_watch *w);
/// Closes the fd (inotify watches go with it; v1's registration with the eventfd) and frees the
/// copies. Idempotent.
void pr_oom_watch_close(pr_oom_watch *w);

/// The `oom_kill N` count of memory.events / memory.oom_control (0 without the line), or -errno.
long long pr_oom_kill_count(const char *file);
/// cgroup.events' `populated`: 1 or 0, or -errno.
int pr_cgroup_populated(const char *events_file);

#pragma clang assume_nonnull end

#endif
