// Startup, readiness and liveness probes with kubelet's semantics: exec (in the container's
// namespaces, as its user), tcpSocket and httpGet (from the supervisor, which lives in the pod's
// network namespace). All asynchronous: the loop never blocks on a probe.
#define _GNU_SOURCE
#include "sup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>


static const char *role_name[] = {"Startup", "Readiness", "Liveness"};

void probes_reset(container *c) {
    for (int r = 0; r < PR_COUNT; r++) {
        probe *p = &c->probes[r];
        p->successes = p->failures = p->in_flight = 0;
        p->pid = -1;
        p->fd = -1;
        p->next_ns = c->started_ns + (int64_t)p->initial_delay * SEC;
    }
    c->started = c->probes[PR_STARTUP].kind == P_NONE;
    c->ready = c->started && c->probes[PR_READINESS].kind == P_NONE;
}

static void result(container *c, int role, int ok, const char *why) {
    probe *p = &c->probes[role];
    p->in_flight = 0;
    p->pid = -1;
    if (p->fd >= 0) { close(p->fd); p->fd = -1; }
    if (c->state != PR_STATE_RUNNING || c->stopping) return;
    if (ok) { p->successes++; p->failures = 0; }
    else { p->failures++; p->successes = 0; }
    if (!ok) event(c, "%s probe failed (%d/%d): %s", role_name[role], p->failures, p->failure_threshold, why);
    int64_t deadline = now_ns() + (int64_t)P.grace * SEC;
    switch (role) {
    case PR_STARTUP:
        if (ok && p->successes >= 1) {
            c->started = 1;
            if (c->probes[PR_READINESS].kind == P_NONE) c->ready = 1;
            event(c, "Startup probe succeeded");
            int64_t now = now_ns();
            for (int r = PR_READINESS; r < PR_COUNT; r++)
                if (c->probes[r].next_ns < now) c->probes[r].next_ns = now;
        } else if (!ok && p->failures >= p->failure_threshold) {
            event(c, "Startup probe failed too often: the container will be restarted");
            container_stop(c, deadline, KILL_STARTUP);
        }
        break;
    case PR_READINESS:
        if (ok && p->successes >= p->success_threshold && !c->ready) { c->ready = 1; event(c, "Ready"); }
        if (!ok && p->failures >= p->failure_threshold && c->ready) { c->ready = 0; event(c, "Not ready"); }
        break;
    case PR_LIVENESS:
        if (!ok && p->failures >= p->failure_threshold) {
            event(c, "Liveness probe failed: the container will be restarted");
            p->failures = 0;
            container_stop(c, deadline, KILL_LIVENESS);
        }
        break;
    }
    P.dirty = 1;
}

static void launch(container *c, int role, int64_t now) {
    probe *p = &c->probes[role];
    p->next_ns = now + (int64_t)(p->period > 0 ? p->period : 10) * SEC;
    p->deadline_ns = now + (int64_t)(p->timeout > 0 ? p->timeout : 1) * SEC;
    p->in_flight = 1;
    p->sent = 0;
    p->reply_len = 0;
    if (p->kind == P_EXEC) {
        if (p->argv == NULL || p->argv[0] == NULL || spawn_in_container(c, p->argv, &p->pid) != 0) {
            result(c, role, 0, "exec failed");
        }
        return;
    }
    const char *host = p->host ? p->host : P.probe_host;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p->port);
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p->port);
        len = sizeof(*v6);
    } else {
        result(c, role, 0, "probe host is not an IP address");
        return;
    }
    p->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) { result(c, role, 0, strerror(errno)); return; }
    if (connect(p->fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
        char why[128];
        snprintf(why, sizeof(why), "dial tcp %s:%d: %s", host, p->port, strerror(errno));
        result(c, role, 0, why);
    }
}

void probes_tick(container *c, int64_t now) {
    if (c->hook_pid > 0) return;  // probes begin once postStart is done
    for (int role = 0; role < PR_COUNT; role++) {
        probe *p = &c->probes[role];
        if (p->kind == P_NONE) continue;
        if ((role == PR_STARTUP) == (c->started != 0)) continue;
        if (p->in_flight) {
            if (now < p->deadline_ns) continue;
            if (p->pid > 0) kill(p->pid, SIGKILL);
            char why[64];
            snprintf(why, sizeof(why), "timed out after %ds", p->timeout);
            result(c, role, 0, why);
            continue;
        }
        if (now >= p->next_ns) launch(c, role, now);
    }
}

void probe_exec_done(container *c, int role, int status) {
    probe *p = &c->probes[role];
    if (!p->in_flight) return;
    char why[64];
    if (WIFEXITED(status)) snprintf(why, sizeof(why), "command exited with %d", WEXITSTATUS(status));
    else snprintf(why, sizeof(why), "command killed by signal %d", WTERMSIG(status));
    result(c, role, WIFEXITED(status) && WEXITSTATUS(status) == 0, why);
}

void probes_poll_fds(void *pfds, int *n, int max, container **owners, int *roles) {
    struct pollfd *pf = pfds;
    for (int i = 0; i < P.count; i++) {
        for (int r = 0; r < PR_COUNT && *n < max; r++) {
            probe *p = &P.c[i].probes[r];
            if (p->fd < 0 || !p->in_flight) continue;
            pf[*n].fd = p->fd;
            pf[*n].events = p->sent || p->kind == P_TCP ? (p->kind == P_TCP ? POLLOUT : POLLIN) : POLLOUT;
            pf[*n].revents = 0;
            owners[*n] = &P.c[i];
            roles[*n] = r;
            (*n)++;
        }
    }
}

void probe_io(container *c, int role, short revents) {
    probe *p = &c->probes[role];
    if (!p->in_flight || p->fd < 0) return;
    if (!p->sent) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (revents & (POLLERR | POLLHUP) && !(revents & POLLOUT))) {
            char why[128];
            snprintf(why, sizeof(why), "dial tcp %s:%d: %s", p->host ? p->host : P.probe_host, p->port,
                     strerror(err ? err : ECONNREFUSED));
            result(c, role, 0, why);
            return;
        }
        if (p->kind == P_TCP) { result(c, role, 1, "connected"); return; }
        sbuf req = {0};
        sb_printf(&req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: kube-probe/1.31\r\nAccept: */*\r\nConnection: close\r\n",
                  p->path ? p->path : "/", p->host ? p->host : P.probe_host, p->port);
        for (char **h = p->headers; h && *h; h++) sb_printf(&req, "%s\r\n", *h);
        sb_add(&req, "\r\n");
        ssize_t w = send(p->fd, req.data, req.len, MSG_NOSIGNAL);
        sb_free(&req);
        if (w < 0) { result(c, role, 0, strerror(errno)); return; }
        p->sent = 1;
        return;
    }
    ssize_t n = read(p->fd, p->reply + p->reply_len, sizeof(p->reply) - 1 - p->reply_len);
    if (n > 0) p->reply_len += (size_t)n;
    p->reply[p->reply_len] = '\0';
    int code = 0;
    if (p->reply_len >= 12 && strncmp(p->reply, "HTTP/", 5) == 0) {
        char *sp = strchr(p->reply, ' ');
        if (sp) code = atoi(sp + 1);
    }
    if (code > 0) {
        char why[64];
        snprintf(why, sizeof(why), "HTTP probe failed with statuscode: %d", code);
        result(c, role, code >= 200 && code < 400, why);
    } else if (n <= 0 || p->reply_len >= sizeof(p->reply) - 1) {
        result(c, role, 0, "malformed HTTP response");
    }
}

int64_t probes_next_deadline(const container *c) {
    int64_t next = INT64_MAX;
    if (c->state != PR_STATE_RUNNING || c->stopping || c->hook_pid > 0) return next;
    for (int r = 0; r < PR_COUNT; r++) {
        const probe *p = &c->probes[r];
        if (p->kind == P_NONE || ((r == PR_STARTUP) == (c->started != 0))) continue;
        int64_t t = p->in_flight ? p->deadline_ns : p->next_ns;
        if (t < next) next = t;
    }
    return next;
}
