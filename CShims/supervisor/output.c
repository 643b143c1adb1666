// What the supervisor writes: CRI-format container logs, status.json (read by podrig) and an
// events log (what happened to which container, with times).
#define _GNU_SOURCE
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384  // longer lines are split into P (partial) records, as containerd does

typedef struct stream {
    int fd, is_err;
    container *c;                // whose log (c->log_fd) and attach sessions get what it reads
    size_t len;
    char buf[LINE_MAX_BYTES];
} stream;

static stream **streams;
static int stream_count;

void fmt_time(int64_t ns, char *buf, size_t len) {
    time_t secs = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(ns % 1000000000));
}

static void write_all(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

void event(const container *c, const char *fmt, ...) {
    char ts[40], msg[1024];
    fmt_time(wall_ns(), ts, sizeof(ts));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sbuf b = {0};
    sb_printf(&b, "%s\t%s\t%s\n", ts, c ? c->name : "-", msg);
    char path[4096];
    snprintf(path, sizeof(path), "%s/events.log", P.state_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        write_all(fd, b.data, b.len);
        close(fd);
    }
    sb_free(&b);
}

// The container's current log file: CRI's log_path, else kubelet's <logDir>/<name>/<restart>.log.
static void log_file(container *c, char *path, size_t len) {
    if (c->log_path) snprintf(path, len, "%s", c->log_path);
    else snprintf(path, len, "%s/%s/%d.log", P.log_dir, c->name, c->restart_count);
}

// (Re)opens the current log file at its path; 0, or -1 with `why`.
int log_reopen(container *c, char *why, size_t why_len) {
    char path[4096];
    log_file(c, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(why, why_len, "reopen %s: %s", path, strerror(errno));
        return -1;
    }
    if (c->log_fd >= 0) close(c->log_fd);
    c->log_fd = fd;
    struct stat st;
    c->log_size = fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
    return 0;
}

int log_open(container *c) {
    char path[4096];
    if (!c->log_path) {
        snprintf(path, sizeof(path), "%s/%s", P.log_dir, c->name);
        mkdir(path, 0750);
        // kubelet keeps the current and the previous instance's log only.
        if (c->restart_count >= 2) {
            snprintf(path, sizeof(path), "%s/%s/%d.log", P.log_dir, c->name, c->restart_count - 2);
            unlink(path);
        }
    }
    char why[256];
    if (log_reopen(c, why, sizeof(why)) != 0) {
        event(c, "%s", why);
        return -1;
    }
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// Rotated siblings of `path` (<base>.<YYYYMMDD-hhmmss>[.nnn]: a digit after the dot, never
// another file), sorted by name, which is by time. Returns how many (at most max); caller frees.
static int rotated_files(const char *path, char *dir, size_t dir_len, char **names, int max) {
    snprintf(dir, dir_len, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    char prefix[512];
    snprintf(prefix, sizeof(prefix), "%s.", base);
    if (slash) *slash = '\0';
    if (!slash || !dir[0]) snprintf(dir, dir_len, "%s", slash ? "/" : ".");
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    size_t pl = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (strncmp(e->d_name, prefix, pl) == 0 && e->d_name[pl] >= '0' && e->d_name[pl] <= '9' && strstr(e->d_name, ".tmp") == NULL)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), by_name);
    return n;
}

// kubelet's rotation (container_log_manager.go): the full file is renamed <path>.<YYYYMMDD-hhmmss>,
// a new one opened at the path (ReopenContainerLog), and only logMaxFiles files (the current one
// included) are kept, oldest removed first. Several rotations within one second get .001, .002…
// so names keep sorting by time. Rotated files stay uncompressed here.
static void log_rotate(container *c) {
    char path[4096], rotated[4200], stamp[32], dir[4096];
    log_file(c, path, sizeof(path));
    time_t secs = (time_t)(wall_ns() / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    char *names[256];
    int n = rotated_files(path, dir, sizeof(dir), names, 256);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char same[600];
    snprintf(same, sizeof(same), "%s.%s", base, stamp);
    int seq = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(names[i], same, strlen(same)) != 0) continue;
        const char *rest = names[i] + strlen(same);
        int k = rest[0] == '.' ? atoi(rest + 1) : 0;
        if (k + 1 > seq) seq = k + 1;
    }
    if (seq == 0) snprintf(rotated, sizeof(rotated), "%s.%s", path, stamp);
    else snprintf(rotated, sizeof(rotated), "%s.%s.%03d", path, stamp, seq);
    for (int i = 0; i < n; i++) free(names[i]);
    if (rename(path, rotated) != 0) {
        event(c, "log rotation: rename %s: %s", path, strerror(errno));
        c->log_size = 0;  // try again after another logMaxSize
        return;
    }
    char why[256];
    if (log_reopen(c, why, sizeof(why)) != 0) event(c, "log rotation: %s", why);
    n = rotated_files(path, dir, sizeof(dir), names, 256);
    int keep = P.log_max_files > 1 ? P.log_max_files - 1 : 1;
    for (int i = 0; i < n; i++) {
        if (i < n - keep) {
            char victim[4600];
            snprintf(victim, sizeof(victim), "%s/%s", dir, names[i]);
            unlink(victim);
        }
        free(names[i]);
    }
}

void stream_add(int fd, container *c, int is_err) {
    stream *s = calloc(1, sizeof(stream));
    s->fd = fd;
    s->c = c;
    s->is_err = is_err;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    streams = realloc(streams, sizeof(stream *) * (size_t)(stream_count + 1));
    streams[stream_count++] = s;
}

static void emit(stream *s, const char *line, size_t n, int partial) {
    char ts[40];
    fmt_time(wall_ns(), ts, sizeof(ts));
    sbuf b = {0};
    sb_printf(&b, "%s %s %c ", ts, s->is_err ? "stderr" : "stdout", partial ? 'P' : 'F');
    sb_addn(&b, line, n);
    sb_addn(&b, "\n", 1);
    container *c = s->c;
    if (c->log_fd >= 0) {
        write_all(c->log_fd, b.data, b.len);
        c->log_size += (int64_t)b.len;
        if (P.log_max_size > 0 && c->log_size >= P.log_max_size) log_rotate(c);
    }
    sb_free(&b);
}

// Reads what is there; returns 0 at EOF or error (the stream is finished).
static int pump(stream *s) {
    for (;;) {
        ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 1;
        if (n <= 0) {
            if (s->len) emit(s, s->buf, s->len, 0);
            s->len = 0;
            return 0;
        }
        attach_output(s->c, s->is_err, s->buf + s->len, (size_t)n);
        s->len += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < s->len; i++) {
            if (s->buf[i] == '\n') {
                emit(s, s->buf + start, i - start, 0);
                start = i + 1;
            }
        }
        if (start == 0 && s->len == sizeof(s->buf)) {
            emit(s, s->buf, s->len, 1);
            start = s->len;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
    }
}

static void stream_close(int i) {
    close(streams[i]->fd);
    free(streams[i]);
    streams[i] = streams[--stream_count];
}

void streams_poll_fds(void *pfds, int *n, int max) {
    struct pollfd *p = pfds;
    for (int i = 0; i < stream_count && *n < max; i++) {
        p[*n].fd = streams[i]->fd;
        p[*n].events = POLLIN;
        p[*n].revents = 0;
        (*n)++;
    }
}

void streams_handle(void *pfds, int n) {
    struct pollfd *p = pfds;
    for (int k = 0; k < n; k++) {
        if (!p[k].revents) continue;
        for (int i = 0; i < stream_count; i++) {
            if (streams[i]->fd != p[k].fd) continue;
            if (!pump(streams[i])) stream_close(i);
            break;
        }
    }
}

// Reads everything already written (a container just exited: its last lines go in first).
void streams_drain(void) {
    for (int i = 0; i < stream_count;) {
        struct pollfd p = {streams[i]->fd, POLLIN, 0};
        if (poll(&p, 1, 0) > 0 && !pump(streams[i])) { stream_close(i); continue; }
        i++;
    }
}

static void term_json(sbuf *b, const term_info *t) {
    sb_printf(b, "{\"exitCode\":%d,\"signal\":%d,\"startedAt\":%lld,\"finishedAt\":%lld,\"reason\":", t->exit_code,
              t->signal, (long long)t->started_ns, (long long)t->finished_ns);
    sb_str(b, t->reason);
    sb_add(b, ",\"message\":");
    sb_str(b, t->message);
    sb_add(b, "}");
}

void status_write(void) {
    sbuf b = {0};
    sb_printf(&b, "{\"supervisorPid\":%d,\"startTime\":%lld,\"initializedAt\":%lld,\"terminating\":%s,\"result\":",
              (int)getpid(), (long long)P.start_wall_ns, (long long)P.initialized_wall_ns, P.terminating ? "true" : "false");
    sb_str(&b, P.done == RESULT_SUCCEEDED ? pr_pod_phase_name(PR_PHASE_SUCCEEDED)
               : P.done == RESULT_FAILED  ? pr_pod_phase_name(PR_PHASE_FAILED)
                                          : NULL);
    if (P.deadline_exceeded) {
        sb_add(&b, ",\"reason\":");
        sb_str(&b, PR_REASON_DEADLINE_EXCEEDED);
        sb_add(&b, ",\"message\":");
        sb_str(&b, PR_MESSAGE_DEADLINE_EXCEEDED);
    }
    sb_add(&b, ",\"containers\":[");
    for (int i = 0; i < P.count; i++) {
        container *c = &P.c[i];
        if (i) sb_add(&b, ",");
        sb_add(&b, "{\"name\":");
        sb_str(&b, c->name);
        sb_printf(&b, ",\"state\":\"%s\",\"pid\":%d,\"startedAt\":%lld,\"restartCount\":%d,\"ready\":%s,\"started\":%s",
                  pr_container_state_name(c->state), c->state == PR_STATE_RUNNING ? (int)c->pid : 0, (long long)c->started_wall_ns, c->restart_count,
                  c->ready ? "true" : "false", c->started ? "true" : "false");
        sb_add(&b, ",\"reason\":");
        sb_str(&b, c->reason[0] ? c->reason : NULL);
        sb_add(&b, ",\"message\":");
        sb_str(&b, c->message[0] ? c->message : NULL);
        if (c->state == PR_STATE_TERMINATED) {
            sb_add(&b, ",\"terminated\":");
            term_json(&b, &c->term);
        }
        if (c->has_last) {
            sb_add(&b, ",\"lastTerminated\":");
            term_json(&b, &c->last);
        }
        sb_add(&b, "}");
    }
    sb_add(&b, "]}\n");
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/status.json", P.state_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        write_all(fd, b.data, b.len);
        close(fd);
        rename(tmp, path);
    }
    sb_free(&b);
    P.dirty = 0;
}
