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

// lo up in the calling thread's netns (spawn.c brings it up the same way in a child).
static int lo_up(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(sock, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(sock);
    errno = saved;
    return rc;
}

int pr_netns_create(const char *path) {
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) return -errno;
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        int err = errno;
        close(self);
        return -err;
    }
    close(fd);
    int err = 0;
    if (unshare(CLONE_NEWNET) != 0) {
        err = errno;
    } else {
        if (lo_up() != 0 || mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) != 0) err = errno;
        // Back home; a thread that cannot return must not go on working in the pod's netns.
        if (setns(self, CLONE_NEWNET) != 0) abort();
    }
    close(self);
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
