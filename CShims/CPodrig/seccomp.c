// seccomp filters are built with libseccomp before the fork and exported as raw BPF, so the
// child only has to call prctl (libseccomp's seccomp_load allocates, which a forked child of a
// multithreaded process must not do).
#define _GNU_SOURCE
#include "pr_seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

uint32_t pr_seccomp_act_allow(void) { return SCMP_ACT_ALLOW; }
uint32_t pr_seccomp_act_errno(uint16_t err) { return SCMP_ACT_ERRNO(err); }
uint32_t pr_seccomp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
uint32_t pr_seccomp_act_log(void) { return SCMP_ACT_LOG; }
uint32_t pr_seccomp_act_trap(void) { return SCMP_ACT_TRAP; }

void *pr_seccomp_new(uint32_t default_action) {
    scmp_filter_ctx ctx = seccomp_init(default_action);
    if (ctx == NULL) return NULL;
    // podrig sets no_new_privs itself when asked; don't let libseccomp force it on.
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    return ctx;
}

int pr_seccomp_add_arch(void *ctx, const char *arch) {
    uint32_t token = seccomp_arch_resolve_name(arch);
    if (token == 0) return -EINVAL;
    int rc = seccomp_arch_add(ctx, token);
    return rc == -EEXIST ? 0 : rc;
}

int pr_seccomp_rule(void *ctx, uint32_t action, const char *syscall,
                    const pr_seccomp_cond *conds, unsigned int cond_count) {
    int nr = seccomp_syscall_resolve_name(syscall);
    if (nr == __NR_SCMP_ERROR) return -ENOENT;
    if (cond_count > 6) return -EINVAL;
    struct scmp_arg_cmp cmps[6];
    for (unsigned int i = 0; i < cond_count; i++) {
        cmps[i].arg = conds[i].arg;
        cmps[i].op = (enum scmp_compare)conds[i].op;
        cmps[i].datum_a = conds[i].value;
        cmps[i].datum_b = conds[i].value_two;
    }
    int rc = seccomp_rule_add_array(ctx, action, nr, cond_count, cond_count ? cmps : NULL);
    // A rule equal to the default action is not an error for us.
    if (rc == -EACCES || rc == -EEXIST) return 0;
    return rc;
}

int pr_seccomp_export(void *ctx, void **out, size_t *len) {
    *out = NULL;
    *len = 0;
    int fd = memfd_create("podrig-seccomp", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        close(fd);
        return -EIO;
    }
    char *buf = malloc((size_t)st.st_size);
    if (buf == NULL) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            free(buf);
            close(fd);
            return -EIO;
        }
        got += (size_t)n;
    }
    close(fd);
    *out = buf;
    *len = got;
    return 0;
}

void pr_seccomp_release(void *ctx) {
    seccomp_release(ctx);
}
