#ifndef PR_NETNS_H
#define PR_NETNS_H

#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Makes `dir` (e.g. /run/netns) a shared mount point, as `ip netns add` does, so that pins made
/// there propagate to other mount namespaces. Returns 0 or -errno.
int pr_netns_prepare_dir(const char *dir);

/// Pins the network namespace of `pid` at `path` by bind mount. Returns 0 or -errno; on error
/// nothing is left at `path`.
int pr_netns_pin(pid_t pid, const char *path);

/// `ip netns add` in one call, without exec: a new network namespace with lo up, pinned at `path`,
/// made by a short-lived vfork-style child born in it (the caller never leaves its own netns).
/// Returns 0 or -errno; on error nothing is left at `path`.
int pr_netns_create(const char *path);

/// lo up in the calling thread's netns: what pr_netns_create's child and pr_spawn's child (its
/// `loopback_up`) both do. Async-signal-safe. Returns 0 or -errno.
int pr_netns_lo_up(void);

/// Unpins: umount(MNT_DETACH) then unlink. Missing path is not an error. Returns 0 or -errno.
int pr_netns_unpin(const char *path);

/// Whether `path` is a mount of an nsfs (a live pin). 1 yes, 0 no, -errno on error.
int pr_netns_is_pinned(const char *path);

#pragma clang assume_nonnull end

#endif
