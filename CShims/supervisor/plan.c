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

// Every key the plan may hold (docs/supervisor.md; PodPlanner writes them). A key this
// supervisor does not know is an error: the two sides were changed apart.
static const char *const root_keys[] = {"version", "name", "namespace", "stateDir", "logDir", "restartPolicy",
                                        "terminationGracePeriodSeconds", "probeHost", "finish", "containers", "logMaxSize",
                                        "logMaxFiles", "startGate", "startReply", "activeDeadlineSeconds", NULL};
static const char *const container_keys[] = {"name", "kind", "spawn", "postStart", "preStop", "startupProbe", "readinessProbe",
                                             "livenessProbe", "terminationMessageFile", "logPath", "stdin", "stdinOnce", "tty",
                                             "cgroup", NULL};
static const char *const spawn_keys[] = {"path", "argv", "env", "join", "unshare", "mounts", "cwd", "user", "caps",
                                         "noNewPrivs", "seccomp", "oomScoreAdj", NULL};
static const char *const cgroup_keys[] = {"path", "procs", "oomEvents", "eventControl", "cgroupEvents", "resources", "files", NULL};
static const char *const join_keys[] = {"type", "path", NULL};
static const char *const mount_keys[] = {"source", "target", "fstype", "flags", "data", NULL};
static const char *const user_keys[] = {"uid", "gid", "groups", NULL};
static const char *const caps_keys[] = {"bounding", "effective", "permitted", "inheritable", "ambient", NULL};
static const char *const probe_keys[] = {"type", "argv", "host", "path", "port", "headers", "initialDelaySeconds",
                                         "periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold", NULL};

static const char *plan_path;

// 0, or -1 after naming the first unknown key of `obj` (at `where`).
static int known_keys(const jnode *obj, const char *const *keys, const char *where) {
    if (obj == NULL || obj->type != J_OBJ) return 0;
    for (size_t i = 0; i < obj->count; i++) {
        const char *const *k = keys;
        while (*k && strcmp(*k, obj->keys[i]) != 0) k++;
        if (*k == NULL) {
            fprintf(stderr, "podrig-supervisor: %s: %s%s%s: unknown key (see docs/supervisor.md)\n", plan_path, where,
                    where[0] ? "." : "", obj->keys[i]);
            return -1;
        }
    }
    return 0;
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
    p->port = json_int_in(j, "port", 0, 0, 65535);
    p->headers = json_strv(json_get(j, "headers"));
    p->initial_delay = json_int_in(j, "initialDelaySeconds", 0, 0, PR_MAX_SECONDS);
    p->period = json_int_in(j, "periodSeconds", 10, 1, PR_MAX_SECONDS);
    p->timeout = json_int_in(j, "timeoutSeconds", 1, 1, PR_MAX_SECONDS);
    p->success_threshold = json_int_in(j, "successThreshold", 1, 1, INT32_MAX);
    p->failure_threshold = json_int_in(j, "failureThreshold", 3, 1, INT32_MAX);
}

// "init", "sidecar" or "main" (PodPlanner's ContainerKind names) → the kind; -1 for anything else.
static int parse_kind(const char *kind, pr_container_kind *out) {
    static const char *const names[] = {"init", "sidecar", "main"};
    for (int i = 0; kind && i < 3; i++) {
        if (strcmp(kind, names[i]) == 0) {
            *out = (pr_container_kind)i;
            return 0;
        }
    }
    return -1;
}

static int check_container_keys(const jnode *j, int index) {
    char where[64];
    snprintf(where, sizeof(where), "containers[%d]", index);
    if (known_keys(j, container_keys, where) != 0) return -1;
    const jnode *s = json_get(j, "spawn");
    snprintf(where, sizeof(where), "containers[%d].spawn", index);
    if (known_keys(s, spawn_keys, where) != 0) return -1;
    const jnode *joins = json_get(s, "join"), *mounts = json_get(s, "mounts");
    for (size_t i = 0; joins && i < joins->count; i++) {
        snprintf(where, sizeof(where), "containers[%d].spawn.join[%zu]", index, i);
        if (known_keys(&joins->items[i], join_keys, where) != 0) return -1;
    }
    for (size_t i = 0; mounts && i < mounts->count; i++) {
        snprintf(where, sizeof(where), "containers[%d].spawn.mounts[%zu]", index, i);
        if (known_keys(&mounts->items[i], mount_keys, where) != 0) return -1;
    }
    snprintf(where, sizeof(where), "containers[%d].spawn.user", index);
    if (known_keys(json_get(s, "user"), user_keys, where) != 0) return -1;
    snprintf(where, sizeof(where), "containers[%d].cgroup", index);
    if (known_keys(json_get(j, "cgroup"), cgroup_keys, where) != 0) return -1;
    snprintf(where, sizeof(where), "containers[%d].spawn.caps", index);
    if (known_keys(json_get(s, "caps"), caps_keys, where) != 0) return -1;
    static const char *const probes[] = {"startupProbe", "readinessProbe", "livenessProbe"};
    for (int r = 0; r < 3; r++) {
        snprintf(where, sizeof(where), "containers[%d].%s", index, probes[r]);
        if (known_keys(json_get(j, probes[r]), probe_keys, where) != 0) return -1;
    }
    return 0;
}

static int load_container(container *c, const jnode *j, const char *path, int index) {
    memset(c, 0, sizeof(*c));
    if (check_container_keys(j, index) != 0) return -1;
    c->name = json_str(j, "name");
    const char *kind = json_str(j, "kind");
    if (parse_kind(kind, &c->kind) != 0) {
        fprintf(stderr, "podrig-supervisor: %s: containers[%d].kind: expected init, sidecar or main, got %s\n", path, index,
                kind ? kind : "nothing");
        return -1;
    }
    pr_spawn_attr_init(&c->attr);
    const jnode *s = json_get(j, "spawn");
    c->attr.path = json_str(s, "path");
    c->attr.argv = json_strv(json_get(s, "argv"));
    c->attr.envp = json_strv(json_get(s, "env"));
    if (c->name == NULL || c->attr.path == NULL || c->attr.argv == NULL) {
        fprintf(stderr, "podrig-supervisor: %s: containers[%d]: name, spawn.path and spawn.argv are required\n", path, index);
        return -1;
    }
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
    if (json_get(s, "oomScoreAdj")) {
        c->attr.set_oom_score_adj = 1;
        c->attr.oom_score_adj = (int)json_int(s, "oomScoreAdj", 0);
    }
    const jnode *cg = json_get(j, "cgroup");
    c->cgroup_procs = json_strv(json_get(cg, "procs"));
    c->oom_events = json_str(cg, "oomEvents");
    c->event_control = json_str(cg, "eventControl");
    c->cgroup_events = json_str(cg, "cgroupEvents");
    c->oomw = (pr_oom_watch){.fd = -1, .events_wd = -1, .populated_wd = -1};
    for (int i = 0; c->cgroup_procs && c->cgroup_procs[i]; i++) {
        if (i == PR_SPAWN_MAX_CGROUPS) {
            fprintf(stderr, "podrig-supervisor: %s: containers[%d].cgroup.procs: more than %d files\n", path, index, PR_SPAWN_MAX_CGROUPS);
            return -1;
        }
    }
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
    c->want_stdin = json_bool(j, "stdin");
    c->stdin_once = json_bool(j, "stdinOnce");
    c->tty = json_bool(j, "tty");
    c->state = PR_STATE_WAITING;
    snprintf(c->reason, sizeof(c->reason), "PodInitializing");
    c->pid = -1;
    c->hook_pid = -1;
    c->listen_fd = c->stdin_fd = c->log_fd = c->holder_fd = -1;
    c->holder_pid = -1;
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
    plan_path = path;
    if (root.type != J_OBJ) {
        fprintf(stderr, "podrig-supervisor: %s: expected a JSON object\n", path);
        return -1;
    }
    if (known_keys(&root, root_keys, "") != 0) return -1;
    int64_t version = json_int(&root, "version", 0);
    if (version != SUP_PLAN_VERSION) {
        fprintf(stderr, "podrig-supervisor: %s: plan version %lld, this supervisor reads version %d (podrig and podrig-supervisor are from different builds)\n",
                path, (long long)version, SUP_PLAN_VERSION);
        return -1;
    }
    p->name = json_str(&root, "name");
    p->state_dir = json_str(&root, "stateDir");
    p->log_dir = json_str(&root, "logDir");
    p->probe_host = json_str(&root, "probeHost");
    const char *policy = json_str(&root, "restartPolicy");
    p->grace = json_int_in(&root, "terminationGracePeriodSeconds", 30, 0, PR_MAX_SECONDS);
    p->active_deadline_s = json_int_in(&root, "activeDeadlineSeconds", 0, 0, PR_MAX_SECONDS);
    p->log_max_size = json_int(&root, "logMaxSize", 10 * 1024 * 1024);
    p->log_max_files = json_int_in(&root, "logMaxFiles", 5, 1, INT32_MAX);
    p->finish = json_strv(json_get(&root, "finish"));
    p->gate_path = json_str(&root, "startGate");
    p->reply_path = json_str(&root, "startReply");
    if (p->state_dir == NULL || p->log_dir == NULL || policy == NULL) {
        fprintf(stderr, "podrig-supervisor: %s: stateDir, logDir and restartPolicy are required\n", path);
        return -1;
    }
    if (pr_restart_policy_parse(policy, &p->restart_policy) != 0) {
        fprintf(stderr, "podrig-supervisor: %s: restartPolicy: expected Always, OnFailure or Never, got %s\n", path, policy);
        return -1;
    }
    if (p->probe_host == NULL) p->probe_host = "127.0.0.1";
    const jnode *cs = json_get(&root, "containers");
    p->count = cs ? (int)cs->count : 0;
    p->c = calloc((size_t)p->count + 1, sizeof(container));
    for (int i = 0; i < p->count; i++) {
        if (load_container(&p->c[i], &cs->items[i], path, i) != 0) return -1;
    }
    return 0;
}
