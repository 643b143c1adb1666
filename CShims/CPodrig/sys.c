#define _GNU_SOURCE
#include "pr_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int pr_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

int pr_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

int pr_pidfd_send_signal(int pidfd, int sig) {
    return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0 ? 0 : -errno;
}

int pr_pidfd_wait(int pidfd, int timeout_ms) {
    struct pollfd p = {pidfd, POLLIN, 0};
    for (;;) {
        int rc = poll(&p, 1, timeout_ms);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return -errno;
        return rc > 0 ? 1 : 0;
    }
}

int pr_open(const char *path, int flags, unsigned int mode) {
    int fd = open(path, flags, (mode_t)mode);
    return fd < 0 ? -errno : fd;
}

int pr_openat(int dirfd, const char *path, int flags, unsigned int mode) {
    int fd = openat(dirfd, path, flags, (mode_t)mode);
    return fd < 0 ? -errno : fd;
}

int pr_read_small(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int err = errno;
    close(fd);
    if (n < 0) return -err;
    buf[n] = '\0';
    return (int)n;
}

int pr_set_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

int pr_clone_newnet(void) { return CLONE_NEWNET; }
int pr_clone_newuts(void) { return CLONE_NEWUTS; }
int pr_clone_newipc(void) { return CLONE_NEWIPC; }
int pr_clone_newpid(void) { return CLONE_NEWPID; }
int pr_clone_newns(void) { return CLONE_NEWNS; }
int pr_clone_newcgroup(void) { return CLONE_NEWCGROUP; }
int pr_clone_newuser(void) { return CLONE_NEWUSER; }

int pr_flock(int fd, int exclusive, int nonblocking) {
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (nonblocking ? LOCK_NB : 0);
    for (;;) {
        if (flock(fd, op) == 0) return 0;
        if (errno != EINTR) return -errno;
    }
}

int pr_random(void *buf, size_t len) {
    char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

long pr_statfs_type(const char *path) {
    struct statfs st;
    return statfs(path, &st) == 0 ? (long)st.f_type : -errno;
}
