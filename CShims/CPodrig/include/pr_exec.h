#ifndef PR_EXEC_H
#define PR_EXEC_H

#include <sys/types.h>

#pragma clang assume_nonnull begin

/// The local side of `podrig exec` while its command runs.
typedef struct pr_exec_io {
    /// The command, our child (pr_spawn's program; reparented to us as subreaper).
    pid_t pid;
    /// With -t: the pty master (its output goes to fd 1); -1 when stdio was handed over as is.
    int pty;
    /// With -t -i: fd 0 is copied to the pty; its EOF becomes the pty's EOF character.
    int forward_stdin;
    /// Milliseconds before pr_exec_wait gives up (> 0), or 0 for none.
    int timeout_ms;
} pr_exec_io;

/// Waits for the command: relays the pty, passes SIGWINCH on as the window size, and SIGINT,
/// SIGTERM, SIGHUP, SIGQUIT to the command's process group. Returns 0 with the wait status,
/// 1 when the timeout passed (the command is still running, not reaped), or -errno.
int pr_exec_wait(const pr_exec_io *io, int *wait_status);

#pragma clang assume_nonnull end

#endif
