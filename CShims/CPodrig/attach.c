// The attach socket's framing and its client side (`podrig attach`, `podrig logs --reopen`).
#define _GNU_SOURCE
#include "pr_attach.h"
#include "pr_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// The socket's path through an fd of its directory: sun_path holds 108 bytes, state paths do not fit.
static int socket_address(const char *dir, struct sockaddr_un *addr, int *dirfd) {
    *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0) return -errno;
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd, PR_ATTACH_SOCKET);
    return 0;
}

int pr_attach_connect(const char *dir) {
    struct sockaddr_un addr;
    int dirfd, rc = socket_address(dir, &addr, &dirfd);
    if (rc < 0) return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        rc = -errno;
        if (fd >= 0) close(fd);
        close(dirfd);
        return rc;
    }
    close(dirfd);
    return fd;
}

int pr_attach_listen(const char *dir) {
    struct sockaddr_un addr;
    int dirfd, rc = socket_address(dir, &addr, &dirfd);
    if (rc < 0) return rc;
    unlinkat(dirfd, PR_ATTACH_SOCKET, 0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0) {
        rc = -errno;
        if (fd >= 0) close(fd);
        close(dirfd);
        return rc;
    }
    fchmodat(dirfd, PR_ATTACH_SOCKET, 0600, 0);
    close(dirfd);
    return fd;
}

static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, 1000);
            continue;
        }
        if (w <= 0) return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int pr_attach_send(int fd, int channel, const void *data, size_t len) {
    unsigned char h[5] = {(unsigned char)channel, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8), (unsigned char)len};
    int rc = write_all(fd, h, sizeof(h));
    if (rc == 0 && len) rc = write_all(fd, data, len);
    return rc;
}

// Reads exactly n bytes; 0, -EPIPE at EOF, or -errno.
static int read_full(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) return -EPIPE;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void send_size(int sock) {
    uint16_t rows, cols;
    if (pr_winsize_get(STDIN_FILENO, &rows, &cols) != 0 && pr_winsize_get(STDOUT_FILENO, &rows, &cols) != 0) return;
    unsigned char p[4] = {(unsigned char)(rows >> 8), (unsigned char)rows, (unsigned char)(cols >> 8), (unsigned char)cols};
    pr_attach_send(sock, PR_ATTACH_RESIZE, p, sizeof(p));
}

// One frame from the server: writes output, fills message on ERROR. 0 go on, 1 refused, 2 done (EOF), -errno.
static int read_frame(int sock, char *message, size_t message_len, int *got_error) {
    unsigned char h[5];
    int rc = read_full(sock, h, sizeof(h));
    if (rc == -EPIPE || rc == -ECONNRESET) return 2;
    if (rc < 0) return rc;
    size_t len = ((size_t)h[1] << 24) | ((size_t)h[2] << 16) | ((size_t)h[3] << 8) | h[4];
    if (len > PR_ATTACH_MAX_PAYLOAD) return -EPROTO;
    static char buf[PR_ATTACH_MAX_PAYLOAD + 1];
    rc = read_full(sock, buf, len);
    if (rc < 0) return rc == -EPIPE ? 2 : rc;
    switch (h[0]) {
    case PR_ATTACH_STDOUT: write_all(STDOUT_FILENO, buf, len); return 0;
    case PR_ATTACH_STDERR: write_all(STDERR_FILENO, buf, len); return 0;
    case PR_ATTACH_ERROR:
        *got_error = 1;
        if (len == 0) return 0;
        buf[len] = '\0';
        snprintf(message, message_len, "%s", buf);
        return 1;
    default: return 0;
    }
}

int pr_attach_session(int sock, int forward_stdin, int tty, char *message, size_t message_len) {
    if (message_len) message[0] = '\0';
    unsigned char hello = forward_stdin ? PR_ATTACH_WANT_STDIN : 0;
    int rc = pr_attach_send(sock, PR_ATTACH_HELLO, &hello, 1);
    if (rc < 0) return rc;
    if (tty) send_size(sock);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_BLOCK, &set, &old);
    int sfd = tty ? signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) : -1;
    int in_open = forward_stdin, got_error = 0;
    rc = 0;
    for (;;) {
        struct pollfd p[3];
        int n = 0, at_in = -1, at_sig = -1;
        p[n++] = (struct pollfd){sock, POLLIN, 0};
        if (in_open) { at_in = n; p[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0}; }
        if (sfd >= 0) { at_sig = n; p[n++] = (struct pollfd){sfd, POLLIN, 0}; }
        int r = poll(p, (nfds_t)n, -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { rc = -errno; break; }
        if (at_sig >= 0 && p[at_sig].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {}
            send_size(sock);
        }
        if (at_in >= 0 && p[at_in].revents) {
            char buf[PR_ATTACH_MAX_PAYLOAD];
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
            if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (got <= 0) {
                pr_attach_send(sock, PR_ATTACH_CLOSE, NULL, 0);
                in_open = 0;
            } else if (pr_attach_send(sock, PR_ATTACH_STDIN, buf, (size_t)got) < 0) {
                in_open = 0;
            }
        }
        if (p[0].revents) {
            int f = read_frame(sock, message, message_len, &got_error);
            if (f == 0) continue;
            rc = f == 2 ? 0 : f;
            break;
        }
    }
    if (sfd >= 0) close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int pr_attach_reopen(int sock, char *message, size_t message_len) {
    if (message_len) message[0] = '\0';
    int rc = pr_attach_send(sock, PR_ATTACH_REOPEN, NULL, 0);
    if (rc < 0) return rc;
    for (;;) {
        int got_error = 0;
        int f = read_frame(sock, message, message_len, &got_error);
        if (f < 0) return f;
        if (f == 1) return 1;
        if (got_error) return 0;  // an empty ERROR frame: done
        if (f == 2) return -EPIPE;
    }
}
