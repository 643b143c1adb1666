#ifndef PR_SIGNALS_H
#define PR_SIGNALS_H

#include <stddef.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

/// SIGPIPE policy. podrig's processes ignore SIGPIPE (a plugin that exits without reading its
/// stdin must not kill the runtime); pr_spawn restores SIG_DFL in every child before execve.

/// signal(SIGPIPE, SIG_IGN) for the whole process; 0 or -errno. Called first thing by podrig's main.
int pr_ignore_sigpipe(void);

/// write(2) that never raises SIGPIPE, whatever the process's disposition (for library users
/// that keep SIGPIPE's default): blocks it in this thread, and if this write raised it, takes it
/// back before unblocking. Returns the bytes written or -errno (-EPIPE: the reader is gone).
ssize_t pr_write_nosigpipe(int fd, const void *buf, size_t len);

#pragma clang assume_nonnull end

#endif
