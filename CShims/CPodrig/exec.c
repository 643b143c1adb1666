// `podrig exec`'s wait: one poll loop over the command's pidfd, its pty and our signals.
#define _GNU_SOURCE
#include "pr_exec.h"
#include "pr_tty.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Writes everything, waiting on a non-blocking fd; 0 or -errno.
static int write_all(int fd, const char *p, size_t n) {
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

// Copies what the pty has to fd 1; 0 when it is closed (EOF/EIO), 1 otherwise.
static int pump_pty(int pty) {
    char buf[65536];
    for (;;) {
        ssize_t n = read(pty, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 1;
        if (n <= 0) return 0;
        write_all(STDOUT_FILENO, buf, (size_t)n);
    }
}

int pr_exec_wait(const pr_exec_io *io, int *wait_status) {
    sigset_t set, old;
    sigemptyset(&set);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCHLD};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, &old) != 0) return -errno;
    int rc = 0;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    int pidfd = (int)syscall(SYS_pidfd_open, io->pid, 0);
    if (sfd < 0 || pidfd < 0) {
        rc = -errno;
        goto out;
    }
    int pty_open = io->pty >= 0, in_open = io->pty >= 0 && io->forward_stdin;
    int64_t deadline = io->timeout_ms > 0 ? mono_ms() + io->timeout_ms : 0;
    if (io->pty >= 0) {
        uint16_t rows, cols;
        if (pr_winsize_get(STDIN_FILENO, &rows, &cols) == 0 || pr_winsize_get(STDOUT_FILENO, &rows, &cols) == 0)
            pr_winsize_set(io->pty, rows, cols);
    }
    for (;;) {
        struct pollfd p[4];
        int n = 0, at_pty = -1, at_in = -1;
        p[n++] = (struct pollfd){pidfd, POLLIN, 0};
        p[n++] = (struct pollfd){sfd, POLLIN, 0};
        if (pty_open) { at_pty = n; p[n++] = (struct pollfd){io->pty, POLLIN, 0}; }
        if (in_open) { at_in = n; p[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0}; }
        int timeout = -1;
        if (deadline) {
            int64_t left = deadline - mono_ms();
            if (left <= 0) { rc = 1; goto out; }
            timeout = left > 1000000 ? 1000000 : (int)left;
        }
        int r = poll(p, (nfds_t)n, timeout);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { rc = -errno; goto out; }
        if (r == 0) continue;
        if (p[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                int sig = (int)si.ssi_signo;
                if (sig == SIGCHLD) continue;
                if (sig == SIGWINCH) {
                    uint16_t rows, cols;
                    if (io->pty >= 0 && pr_winsize_get(STDIN_FILENO, &rows, &cols) == 0) pr_winsize_set(io->pty, rows, cols);
                    continue;
                }
                kill(-io->pid, sig);  // its process group: it leads its own session
            }
        }
        if (at_pty >= 0 && p[at_pty].revents) pty_open = pump_pty(io->pty);
        if (at_in >= 0 && p[at_in].revents) {
            char buf[65536];
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
            if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (got <= 0) {
                // Our stdin ended: the command reads the pty's EOF character (^D), as from a terminal.
                struct termios t;
                char eof = tcgetattr(io->pty, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
                write_all(io->pty, &eof, 1);
                in_open = 0;
            } else {
                write_all(io->pty, buf, (size_t)got);
            }
        }
        if (p[0].revents) {
            if (pty_open) pump_pty(io->pty);  // what it wrote last
            break;
        }
    }
    while (waitpid(io->pid, wait_status, 0) < 0) {
        if (errno != EINTR) { rc = -errno; break; }
    }
out:
    if (sfd >= 0) close(sfd);
    if (pidfd >= 0) close(pidfd);
    // Signals that arrived meanwhile were consumed through the signalfd; the old mask comes back.
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}
