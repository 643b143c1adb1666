// Pinning network namespaces the way `ip netns add` and containerd do: a bind mount of
// /proc/<pid>/ns/net onto a file in a shared /run/netns.
#define _GNU_SOURCE
#include "pr_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int pr_netns_prepare_dir(const char *dir) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return -errno;
    // Try to make it shared; if it is not a mount point yet, bind it onto itself first.
    if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0) return 0;
    if (errno != EINVAL) return -errno;
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) != 0) return -errno;
    if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) != 0) return -errno;
    return 0;
}

int pr_netns_pin(pid_t pid, const char *path) {
    char source[64];
    snprintf(source, sizeof(source), "/proc/%d/ns/net", (int)pid);
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) return -errno;
    close(fd);
    if (mount(source, path, "none", MS_BIND, NULL) != 0) {
        int err = errno;
        unlink(path);
        return -err;
    }
    return 0;
}

int pr_netns_lo_up(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(sock, SIOCSIFFLAGS, &ifr);
    }
    int err = rc == 0 ? 0 : errno;
    close(sock);
    return -err;
}

// The child of pr_netns_create: born in the new netns (CLONE_NEWNET), it shares the caller's
// memory (CLONE_VM) and runs while the caller waits (CLONE_VFORK), so only syscalls here.
typedef struct {
    const char *path;
    int err;
} netns_child;

static int netns_child_main(void *arg) {
    netns_child *c = arg;
    int rc = pr_netns_lo_up();
    if (rc == 0 && mount("/proc/self/ns/net", c->path, "none", MS_BIND, NULL) != 0) rc = errno ? -errno : -EIO;
    if (rc != 0) {
        c->err = -rc;
        return 1;
    }
    return 0;
}

int pr_netns_create(const char *path) {
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) return -errno;
    close(fd);
    // The namespace is made by a short-lived child, never by this process: a thread of ours that
    // entered the pod's netns could not be trusted to come back (setns only in forked children).
    // CLONE_VM + CLONE_VFORK: no page tables copied, as posix_spawn does; signals stay blocked
    // while the child borrows our memory, so no handler of ours runs on its stack.
    _Alignas(16) char stack[16384]; // the child's, on our stack: we are suspended while it runs
    netns_child c = {.path = path, .err = 0};
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone(netns_child_main, stack + sizeof(stack), CLONE_NEWNET | CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
    int err = pid < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid > 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (c.err == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0) c.err = EIO;
        err = c.err;
    }
    if (err != 0) {
        umount2(path, MNT_DETACH);
        unlink(path);
        return -err;
    }
    return 0;
}

int pr_netns_unpin(const char *path) {
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) return -errno;
    if (unlink(path) != 0 && errno != ENOENT) return -errno;
    return 0;
}

int pr_netns_is_pinned(const char *path) {
    struct statfs st;
    if (statfs(path, &st) != 0) return errno == ENOENT ? 0 : -errno;
    return st.f_type == NSFS_MAGIC ? 1 : 0;
}
