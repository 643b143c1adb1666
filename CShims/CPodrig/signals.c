// SIGPIPE: ignored by podrig, never delivered by a pipe write to a plugin (see pr_signals.h).
#define _GNU_SOURCE
#include "pr_signals.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

int pr_ignore_sigpipe(void) {
    struct sigaction ign = {0};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    return sigaction(SIGPIPE, &ign, NULL) == 0 ? 0 : -errno;
}

ssize_t pr_write_nosigpipe(int fd, const void *buf, size_t len) {
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    // A SIGPIPE already pending is someone else's: leave it for them.
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask) != 0) return -EINVAL;
    ssize_t n = write(fd, buf, len);
    int err = n < 0 ? errno : 0;
    if (err == EPIPE && !was_pending) {
        // The kernel queued SIGPIPE on this thread (blocked): consume it so it never lands.
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {}
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return n < 0 ? -err : n;
}
