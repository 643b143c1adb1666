// Reads the plan podrig wrote (plan.json): every container fully resolved (argv, env, mounts,
// ids, capability masks, seccomp BPF file), so the supervisor only has to act on it.
#define _GNU_SOURCE
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) { close(fd); return NULL; }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

static void load_probe(probe *p, const jnode *j) {
    memset(p, 0, sizeof(*p));
    p->fd = -1;
    if (j == NULL) return;
    const char *type = json_str(j, "type");
    if (type == NULL) return;
    if (strcmp(type, "exec") == 0) p->kind = P_EXEC;
    else if (strcmp(type, "tcp") == 0) p->kind = P_TCP;
    else if (strcmp(type, "http") == 0) p->kind = P_HTTP;
    p->argv = json_strv(json_get(j, "argv"));
    p->host = json_str(j, "host");
    p->path = json_str(j, "path");
    p->scheme = json_str(j, "scheme");
    p->port = (int)json_int(j, "port", 0);
    p->headers = json_strv(json_get(j, "headers"));
    p->initial_delay = (int)json_int(j, "initialDelaySeconds", 0);
    p->period = (int)json_int(j, "periodSeconds", 10);
    p->timeout = (int)json_int(j, "timeoutSeconds", 1);
    p->success_threshold = (int)json_int(j, "successThreshold", 1);
    p->failure_threshold = (int)json_int(j, "failureThreshold", 3);
}

static int load_container(container *c, const jnode *j) {
    memset(c, 0, sizeof(*c));
    c->name = json_str(j, "name");
    const char *kind = json_str(j, "kind");
    c->kind = kind && strcmp(kind, "init") == 0 ? K_INIT : kind && strcmp(kind, "sidecar") == 0 ? K_SIDECAR : K_MAIN;
    pr_spawn_attr_init(&c->attr);
    const jnode *s = json_get(j, "spawn");
    c->attr.path = json_str(s, "path");
    c->attr.argv = json_strv(json_get(s, "argv"));
    c->attr.envp = json_strv(json_get(s, "env"));
    if (c->name == NULL || c->attr.path == NULL || c->attr.argv == NULL) return -1;
    const jnode *joins = json_get(s, "join");
    for (size_t i = 0; joins && i < joins->count && i < PR_SPAWN_MAX_NS; i++) {
        c->joins[i].type = (int)json_int(&joins->items[i], "type", 0);
        c->joins[i].path = json_str(&joins->items[i], "path");
        c->join_count++;
    }
    c->attr.unshare_flags = (int)json_int(s, "unshare", 0);
    const jnode *mounts = json_get(s, "mounts");
    if (mounts && mounts->count) {
        c->mounts = calloc(mounts->count, sizeof(pr_spawn_mount));
        for (size_t i = 0; i < mounts->count; i++) {
            const jnode *m = &mounts->items[i];
            c->mounts[i].source = json_str(m, "source");
            c->mounts[i].target = json_str(m, "target");
            c->mounts[i].fstype = json_str(m, "fstype");
            c->mounts[i].flags = (unsigned long)json_u64(m, "flags");
            c->mounts[i].data = json_str(m, "data");
        }
        c->attr.mounts = c->mounts;
        c->attr.mount_count = mounts->count;
    }
    c->attr.cwd = json_str(s, "cwd");
    const jnode *user = json_get(s, "user");
    if (user) {
        c->attr.set_ids = 1;
        c->attr.uid = (uid_t)json_int(user, "uid", 0);
        c->attr.gid = (gid_t)json_int(user, "gid", 0);
        const jnode *groups = json_get(user, "groups");
        if (groups && groups->count) {
            c->groups = calloc(groups->count, sizeof(gid_t));
            for (size_t i = 0; i < groups->count; i++) c->groups[i] = (gid_t)strtoul(groups->items[i].str, NULL, 10);
            c->attr.groups = c->groups;
            c->attr.group_count = groups->count;
        }
    }
    const jnode *caps = json_get(s, "caps");
    if (caps) {
        c->attr.set_caps = 1;
        c->attr.cap_bounding = json_u64(caps, "bounding");
        c->attr.cap_effective = json_u64(caps, "effective");
        c->attr.cap_permitted = json_u64(caps, "permitted");
        c->attr.cap_inheritable = json_u64(caps, "inheritable");
        c->attr.cap_ambient = json_u64(caps, "ambient");
    }
    c->attr.no_new_privs = json_bool(s, "noNewPrivs");
    c->attr.new_session = 1;  // its own process group, so stop signals reach its children too
    const char *bpf = json_str(s, "seccomp");
    if (bpf) {
        c->seccomp = read_file(bpf, &c->seccomp_len);
        if (c->seccomp == NULL || c->seccomp_len == 0) {
            fprintf(stderr, "podrig-supervisor: seccomp filter %s: %s\n", bpf, strerror(errno));
            return -1;
        }
        c->attr.seccomp_filter = c->seccomp;
        c->attr.seccomp_filter_len = c->seccomp_len;
    }
    c->post_start = json_strv(json_get(j, "postStart"));
    c->pre_stop = json_strv(json_get(j, "preStop"));
    load_probe(&c->probes[PR_STARTUP], json_get(j, "startupProbe"));
    load_probe(&c->probes[PR_READINESS], json_get(j, "readinessProbe"));
    load_probe(&c->probes[PR_LIVENESS], json_get(j, "livenessProbe"));
    c->term_file = json_str(j, "terminationMessageFile");
    c->log_path = json_str(j, "logPath");
    c->state = S_WAITING;
    snprintf(c->reason, sizeof(c->reason), "%s", c->kind == K_MAIN ? "PodInitializing" : "PodInitializing");
    c->pid = -1;
    c->hook_pid = -1;
    return 0;
}

int plan_load(const char *path, pod *p) {
    char *text = read_file(path, NULL);
    if (text == NULL) {
        fprintf(stderr, "podrig-supervisor: read %s: %s\n", path, strerror(errno));
        return -1;
    }
    static jnode root;
    const char *err = NULL;
    if (json_parse(text, &root, &err) != 0) {
        fprintf(stderr, "podrig-supervisor: %s: %s\n", path, err);
        return -1;
    }
    p->name = json_str(&root, "name");
    p->state_dir = json_str(&root, "stateDir");
    p->log_dir = json_str(&root, "logDir");
    p->probe_host = json_str(&root, "probeHost");
    p->restart_policy = json_str(&root, "restartPolicy");
    p->grace = (int)json_int(&root, "terminationGracePeriodSeconds", 30);
    p->finish = json_strv(json_get(&root, "finish"));
    if (p->state_dir == NULL || p->log_dir == NULL || p->restart_policy == NULL) {
        fprintf(stderr, "podrig-supervisor: %s: stateDir, logDir and restartPolicy are required\n", path);
        return -1;
    }
    if (p->probe_host == NULL) p->probe_host = "127.0.0.1";
    const jnode *cs = json_get(&root, "containers");
    p->count = cs ? (int)cs->count : 0;
    p->c = calloc((size_t)p->count + 1, sizeof(container));
    for (int i = 0; i < p->count; i++) {
        if (load_container(&p->c[i], &cs->items[i]) != 0) {
            fprintf(stderr, "podrig-supervisor: %s: container %d is incomplete\n", path, i);
            return -1;
        }
    }
    return 0;
}
