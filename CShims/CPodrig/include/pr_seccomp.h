#ifndef PR_SECCOMP_H
#define PR_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

/// A comparison on a syscall argument (op: 1 NE, 2 LT, 3 LE, 4 EQ, 5 GE, 6 GT, 7 MASKED_EQ).
typedef struct pr_seccomp_cond {
    unsigned int arg;
    int op;
    uint64_t value;
    uint64_t value_two;
} pr_seccomp_cond;

/// Actions, as libseccomp encodes them.
uint32_t pr_seccomp_act_allow(void);
uint32_t pr_seccomp_act_errno(uint16_t err);
uint32_t pr_seccomp_act_kill_process(void);
uint32_t pr_seccomp_act_log(void);
uint32_t pr_seccomp_act_trap(void);

/// Creates a filter context; returns NULL on failure.
void *_Nullable pr_seccomp_new(uint32_t default_action);
/// Adds extra architectures by name ("x86", "x32", …); unknown names return -EINVAL.
int pr_seccomp_add_arch(void *ctx, const char *arch);
/// Adds a rule. A syscall this kernel/libseccomp does not know returns -ENOENT (callers skip it).
int pr_seccomp_rule(void *ctx, uint32_t action, const char *syscall,
                    const pr_seccomp_cond *_Nullable conds, unsigned int cond_count);
/// Exports the BPF program to a malloc'd buffer (struct sock_filter[], `len` bytes). 0 or -errno.
int pr_seccomp_export(void *ctx, void *_Nullable *_Nonnull out, size_t *len);
void pr_seccomp_release(void *ctx);

#pragma clang assume_nonnull end

#endif
