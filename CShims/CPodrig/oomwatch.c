// OOM watches on a container's memory cgroup (pr_oomwatch.h): v1 eventfd + cgroup.event_control,
// v2 inotify on memory.events and cgroup.events.
#define _GNU_SOURCE
#include "pr_oomwatch.h"
#include "pr_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

// The value of a "key N" line; -ENOENT without one.
static long long key_value(const char *text, const char *key) {
    size_t k = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, k) == 0 && line[k] == ' ') return strtoll(line + k + 1, NULL, 10);
        line = strchr(line, '\n');
        if (line) line++;
    }
    return -ENOENT;
}

long long pr_oom_kill_count(const char *file) {
    char buf[1024];
    int n = pr_read_small(file, buf, sizeof(buf));
    if (n < 0) return n;
    long long v = key_value(buf, "oom_kill");
    return v < 0 ? 0 : v;
}

int pr_cgroup_populated(const char *events_file) {
    char buf[256];
    int n = pr_read_small(events_file, buf, sizeof(buf));
    if (n < 0) return n;
    long long v = key_value(buf, "populated");
    return v < 0 ? -EINVAL : v != 0;
}

static int open_watch(pr_oom_watch *w, const char *oom_file, const char *event_control, const char *populated_file);

int pr_oom_watch_open(pr_oom_watch *w, const char *oom_file, const char *event_control, const char *populated_file) {
    *w = (pr_oom_watch){-1, 0, -1, -1, NULL, NULL, 0};
    int rc = open_watch(w, oom_file, event_control, populated_file);
    if (rc == 0 && ((oom_file && !(w->oom_file = strdup(oom_file))) || (populated_file && !(w->populated_file = strdup(populated_file))))) rc = -ENOMEM;
    if (rc != 0) pr_oom_watch_close(w);
    return rc;
}

static int open_watch(pr_oom_watch *w, const char *oom_file, const char *event_control, const char *populated_file) {
    if (oom_file) {
        long long k = pr_oom_kill_count(oom_file);
        if (k < 0) return (int)k;
        w->kills = k;
    }
    if (event_control) {
        if (!oom_file) return -EINVAL;
        // "<eventfd> <fd of memory.oom_control>" into cgroup.event_control (cgroup v1's memcg
        // notification API); the kernel keeps the eventfd, not the control file's fd.
        int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0) return -errno;
        int ofd = open(oom_file, O_RDONLY | O_CLOEXEC);
        if (ofd < 0) {
            int err = errno;
            close(efd);
            return -err;
        }
        int cfd = open(event_control, O_WRONLY | O_CLOEXEC);
        int err = cfd < 0 ? errno : 0;
        if (cfd >= 0) {
            char line[32];
            int len = snprintf(line, sizeof(line), "%d %d", efd, ofd);
            if (write(cfd, line, (size_t)len) != len) err = errno ? errno : EIO;
            close(cfd);
        }
        close(ofd);
        if (err) {
            close(efd);
            return -err;
        }
        w->fd = efd;
        w->v1 = 1;
        return 0;
    }
    int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ifd < 0) return -errno;
    int err = 0;
    if (oom_file && (w->events_wd = inotify_add_watch(ifd, oom_file, IN_MODIFY)) < 0) err = errno;
    if (!err && populated_file && (w->populated_wd = inotify_add_watch(ifd, populated_file, IN_MODIFY)) < 0) err = errno;
    if (err) {
        close(ifd);
        w->events_wd = w->populated_wd = -1;
        return -err;
    }
    w->fd = ifd;
    return 0;
}

// A new oom_kill count above the baseline is an OOM event; an unreadable file a removed cgroup.
static int recount(pr_oom_watch *w) {
    long long k = pr_oom_kill_count(w->oom_file);
    if (k < 0) return PR_OOM_GONE;
    if (k > w->kills) {
        w->kills = k;
        return PR_OOM_EVENT;
    }
    return 0;
}

int pr_oom_watch_read(pr_oom_watch *w) {
    if (w->fd < 0) return 0;
    int found = 0;
    if (w->v1) {
        uint64_t count;
        ssize_t n = read(w->fd, &count, sizeof(count));
        if (n < 0) return errno == EAGAIN ? 0 : -errno;
        // Signalled under OOM, and once more at removal: the file tells which.
        long long k = pr_oom_kill_count(w->oom_file);
        if (k < 0) return PR_OOM_GONE;
        if (k > w->kills) w->kills = k;
        return PR_OOM_EVENT;
    }
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EAGAIN) break;
            return -errno;
        }
        if (n == 0) break;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            p += sizeof(*e) + e->len;
            if (e->mask & IN_IGNORED) {
                found |= PR_OOM_GONE;
                if (e->wd == w->events_wd) w->events_wd = -1;
                if (e->wd == w->populated_wd) w->populated_wd = -1;
                continue;
            }
            if (e->wd == w->events_wd && w->oom_file) found |= recount(w);
            if (e->wd == w->populated_wd && w->populated_file) {
                int pop = pr_cgroup_populated(w->populated_file);
                if (pop == 0) found |= PR_OOM_EMPTIED;
                if (pop < 0) found |= PR_OOM_GONE;
            }
        }
    }
    return found;
}

void pr_oom_watch_close(pr_oom_watch *w) {
    if (w->fd >= 0) close(w->fd);
    w->fd = w->events_wd = w->populated_wd = -1;
    w->v1 = 0;
    free(w->oom_file);
    free(w->populated_file);
    w->oom_file = w->populated_file = NULL;
}
