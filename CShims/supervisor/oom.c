// OOM watches (pr_oomwatch.h) in the supervisor's event loop, and the oom_score_adj check: each container's memory cgroup is
// watched from its first start; the kernel's event makes its exit OOMKilled (kubelet's rule,
// pr_termination_reason), and a watch is dropped once its cgroup is empty or gone.
#define _GNU_SOURCE
#include "sup.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Registered before the spawn, so an OOM in the first instant is seen too; a failure is an
// event and leaves the oom_kill count, read at exit, as the only signal. `kills`: the count the
// caller just read (a new instance: a new baseline), so it is read once per start.
void oom_watch(container *c, long long kills) {
    c->oom_seen = 0;
    if (c->oom_events == NULL) return;
    if (c->oomw.fd >= 0) {
        if (kills >= 0) c->oomw.kills = kills;
        return;
    }
    int rc = pr_oom_watch_open(&c->oomw, c->oom_events, c->event_control, c->cgroup_events);
    if (rc < 0) event(c, "OOM watch on %s: %s (OOM kills are counted at exit only)", c->oom_events, strerror(-rc));
}

// A CRI container waits between `create` and `start` with its cgroup made (v1: its holder in
// it): its watch (v1: eventfd, two opens and the cgroup.event_control write) is made now, so
// `start` does not wait for it. Nothing it reports before the start counts (oom_read: not
// running); a failure is silent here and the start tries again, and reports it.
void oom_watch_early(container *c) {
    if (c->oom_events == NULL || c->oomw.fd >= 0) return;
    if (pr_oom_watch_open(&c->oomw, c->oom_events, c->event_control, c->cgroup_events) < 0) c->oomw.fd = -1;
}

static void oom_read(container *c) {
    int r = pr_oom_watch_read(&c->oomw);
    if (r < 0) {
        event(c, "OOM watch: read: %s", strerror(-r));
        pr_oom_watch_close(&c->oomw);
        return;
    }
    int running = c->state == PR_STATE_RUNNING;
    if ((r & PR_OOM_EVENT) && running && !c->oom_seen) {
        c->oom_seen = 1;
        event(c, "OOM event (%s): the kernel's OOM killer acted in the container's memory cgroup (oom_kill %lld)",
              c->oomw.v1 ? "memory.oom_control eventfd" : "memory.events", c->oomw.kills);
    }
    // No watch outlives its cgroup: gone, or emptied with nothing left to run in it.
    if ((r & PR_OOM_GONE) || ((r & PR_OOM_EMPTIED) && !running && c->restart_at_ns == 0)) pr_oom_watch_close(&c->oomw);
}

void oom_poll_fds(void *pfds, int *n, int max, container **owners) {
    struct pollfd *pf = pfds;
    for (int i = 0; i < P.count && *n < max; i++) {
        if (P.c[i].oomw.fd < 0) continue;
        pf[*n].fd = P.c[i].oomw.fd;
        pf[*n].events = POLLIN;
        pf[*n].revents = 0;
        owners[*n] = &P.c[i];
        (*n)++;
    }
}

void oom_handle(void *pfds, int n, container **owners) {
    struct pollfd *pf = pfds;
    for (int i = 0; i < n; i++)
        if (pf[i].revents) oom_read(owners[i]);
}

int oom_killed(container *c) {
    if (c->oomw.fd >= 0) oom_read(c);  // an event not yet polled counts (the reap may come first)
    // The count too: v2's notification is deferred by the kernel and may trail the exit.
    long long k = c->oom_events ? pr_oom_kill_count(c->oom_events) : -1;
    if (!c->oom_seen && k > c->oom_kills) {
        c->oom_seen = 1;
        event(c, "OOM: oom_kill rose to %lld in %s", k, c->oom_events);
    }
    return c->oom_seen;
}

// kubelet's oom_score_adj is written by the child while it is still root (pr_spawn, before the
// capabilities go); a lower score than inherited needs CAP_SYS_RESOURCE, which a confined host
// may not have at all. Say so, rather than show a value the kernel did not take.
void oom_score_check(container *c, pid_t pid) {
    if (!c->attr.set_oom_score_adj || pid <= 0) return;
    char path[64], buf[16];
    snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
    if (pr_read_small(path, buf, sizeof(buf)) <= 0) return;
    int got = atoi(buf);
    if (got != c->attr.oom_score_adj)
        event(c, "oom_score_adj %d not applied (lowering it needs CAP_SYS_RESOURCE, which podrig lacks here): %d kept",
              c->attr.oom_score_adj, got);
}
