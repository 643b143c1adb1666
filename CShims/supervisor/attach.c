// Attach sockets: one per container in <stateDir>/containers/<name>/ (pr_attach.h has the
// framing). A client gets the container's output as it is produced; with stdin it writes to
// the stdin pipe or pty the supervisor keeps (plan: stdin, stdinOnce, tty); it may resize the
// pty; REOPEN reopens the container's log file. A client that cannot keep up is dropped rather
// than stalling the pod.
#define _GNU_SOURCE
#include "sup.h"
#include "pr_attach.h"
#include "pr_tty.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define HDR 5

typedef struct client {
    int fd;
    container *c;
    int hello, has_stdin;
    size_t len;
    unsigned char buf[HDR + PR_ATTACH_MAX_PAYLOAD];
} client;

static client *clients[MAX_CLIENTS];
static int client_count;

void attach_listen(container *c) {
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/containers/%s", P.state_dir, c->name);
    c->listen_fd = pr_attach_listen(dir);
    if (c->listen_fd < 0) {
        event(c, "attach socket in %s: %s", dir, strerror(-c->listen_fd));
        c->listen_fd = -1;
    }
}

// Writes a frame without blocking the loop for long: a stuck client is dropped (returns -1).
static int send_frame(client *cl, int channel, const void *data, size_t len) {
    unsigned char h[HDR] = {(unsigned char)channel, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                            (unsigned char)(len >> 8), (unsigned char)len};
    struct { const void *p; size_t n; } parts[2] = {{h, HDR}, {data, len}};
    for (int i = 0; i < 2; i++) {
        const char *p = parts[i].p;
        size_t n = parts[i].n;
        int waits = 0;
        while (n > 0) {
            ssize_t w = send(cl->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && errno == EAGAIN && waits++ < 10) {
                struct pollfd pf = {cl->fd, POLLOUT, 0};
                poll(&pf, 1, 20);
                continue;
            }
            if (w <= 0) return -1;
            p += w;
            n -= (size_t)w;
        }
    }
    return 0;
}

// stdinOnce: the first attach that used stdin has ended, so the container's stdin ends too.
static void close_container_stdin(container *c) {
    if (c->stdin_fd < 0) return;
    if (c->tty) {
        struct termios t;
        char eof = tcgetattr(c->stdin_fd, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
        if (write(c->stdin_fd, &eof, 1) < 0) {}
        return;  // the master stays: it is also the pty's output and resize handle
    }
    close(c->stdin_fd);
    c->stdin_fd = -1;
    event(c, "stdin closed (stdinOnce: the first attach ended)");
}

static void drop(int i) {
    client *cl = clients[i];
    if (cl->has_stdin && cl->c->stdin_once) close_container_stdin(cl->c);
    close(cl->fd);
    free(cl);
    clients[i] = clients[--client_count];
}

static void write_stdin(container *c, const unsigned char *p, size_t n) {
    int waits = 0;
    while (n > 0 && c->stdin_fd >= 0) {
        ssize_t w = write(c->stdin_fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN && waits++ < 50) {  // the container reads slowly: up to ~1 s
            struct pollfd pf = {c->stdin_fd, POLLOUT, 0};
            poll(&pf, 1, 20);
            continue;
        }
        if (w <= 0) {
            event(c, "stdin: %zu bytes dropped (%s)", n, w < 0 ? strerror(errno) : "closed");
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static int refuse(client *cl, const char *why) {
    send_frame(cl, PR_ATTACH_ERROR, why, strlen(why));
    return -1;
}

// One complete frame from a client; -1 ends its session.
static int handle_frame(client *cl, int channel, const unsigned char *p, size_t n) {
    container *c = cl->c;
    if (!cl->hello && channel != PR_ATTACH_HELLO && channel != PR_ATTACH_REOPEN) return refuse(cl, "protocol: HELLO first");
    switch (channel) {
    case PR_ATTACH_HELLO:
        cl->hello = 1;
        if (n >= 1 && (p[0] & PR_ATTACH_WANT_STDIN)) {
            if (!c->want_stdin) return refuse(cl, "the container was not created with stdin (CRI stdin / manifest stdin: true)");
            if (c->state != PR_STATE_RUNNING) return refuse(cl, "the container is not running");
            if (c->stdin_once && c->stdin_claimed) return refuse(cl, "stdin is closed: stdinOnce, and an attach has used it");
            cl->has_stdin = 1;
            c->stdin_claimed = 1;
        }
        return 0;
    case PR_ATTACH_STDIN:
        if (cl->has_stdin) write_stdin(c, p, n);
        return 0;
    case PR_ATTACH_RESIZE:
        if (c->tty && c->stdin_fd >= 0 && n == 4) pr_winsize_set(c->stdin_fd, (uint16_t)(p[0] << 8 | p[1]), (uint16_t)(p[2] << 8 | p[3]));
        return 0;
    case PR_ATTACH_REOPEN: {
        char why[256] = "";
        if (log_reopen(c, why, sizeof(why)) != 0) return refuse(cl, why);
        send_frame(cl, PR_ATTACH_ERROR, NULL, 0);
        return -1;
    }
    case PR_ATTACH_CLOSE:
        // Its stdin ended. Output goes on until the container exits or the client leaves; with
        // stdinOnce the container's stdin ends now (a shell reading it then exits, ending the session).
        if (cl->has_stdin && c->stdin_once) close_container_stdin(c);
        cl->has_stdin = 0;
        return 0;
    default:
        return 0;
    }
}

static void client_read(int i) {
    client *cl = clients[i];
    ssize_t r = recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len, MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (r <= 0) { drop(i); return; }
    cl->len += (size_t)r;
    size_t at = 0;
    while (cl->len - at >= HDR) {
        const unsigned char *h = cl->buf + at;
        size_t n = ((size_t)h[1] << 24) | ((size_t)h[2] << 16) | ((size_t)h[3] << 8) | h[4];
        if (n > PR_ATTACH_MAX_PAYLOAD) { refuse(cl, "protocol: frame too large"); drop(i); return; }
        if (cl->len - at < HDR + n) break;
        if (handle_frame(cl, h[0], h + HDR, n) != 0) { drop(i); return; }
        at += HDR + n;
    }
    memmove(cl->buf, cl->buf + at, cl->len - at);
    cl->len -= at;
}

void attach_poll_fds(void *pfds, int *n, int max) {
    struct pollfd *p = pfds;
    for (int i = 0; i < P.count && *n < max; i++) {
        if (P.c[i].listen_fd < 0) continue;
        p[*n] = (struct pollfd){P.c[i].listen_fd, POLLIN, 0};
        (*n)++;
    }
    for (int i = 0; i < client_count && *n < max; i++) {
        p[*n] = (struct pollfd){clients[i]->fd, POLLIN, 0};
        (*n)++;
    }
}

void attach_handle(void *pfds, int n) {
    struct pollfd *p = pfds;
    for (int k = 0; k < n; k++) {
        if (!p[k].revents) continue;
        for (int i = 0; i < P.count; i++) {
            if (P.c[i].listen_fd != p[k].fd) continue;
            int fd = accept4(p[k].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) break;
            if (client_count == MAX_CLIENTS) { close(fd); break; }
            client *cl = calloc(1, sizeof(client));
            cl->fd = fd;
            cl->c = &P.c[i];
            clients[client_count++] = cl;
            break;
        }
        for (int i = 0; i < client_count; i++) {
            if (clients[i]->fd != p[k].fd) continue;
            client_read(i);
            break;
        }
    }
}

void attach_output(container *c, int is_err, const char *data, size_t n) {
    for (int i = 0; i < client_count;) {
        if (clients[i]->c == c && clients[i]->hello &&
            send_frame(clients[i], is_err ? PR_ATTACH_STDERR : PR_ATTACH_STDOUT, data, n) != 0) {
            drop(i);
            continue;
        }
        i++;
    }
}

// The container's process ended: its sessions end, its stdin goes (a restart makes new ones).
void attach_container_exited(container *c) {
    for (int i = 0; i < client_count;) {
        if (clients[i]->c == c) { clients[i]->has_stdin = 0; drop(i); continue; }
        i++;
    }
    if (c->stdin_fd >= 0) close(c->stdin_fd);
    c->stdin_fd = -1;
}

void attach_shutdown(void) {
    while (client_count) drop(0);
    for (int i = 0; i < P.count; i++) {
        if (P.c[i].listen_fd < 0) continue;
        close(P.c[i].listen_fd);
        char path[4200];
        snprintf(path, sizeof(path), "%s/containers/%s/%s", P.state_dir, P.c[i].name, PR_ATTACH_SOCKET);
        unlink(path);
    }
}
