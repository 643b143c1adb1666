#ifndef PR_TTY_H
#define PR_TTY_H

#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Terminals for `exec -t` and `attach -t`: a pty pair, raw mode on the local terminal, window
/// sizes. Every function returns 0 (or an fd) on success and -errno on failure.

/// A new pty: *master stays with us (CLOEXEC, non-blocking), *slave becomes the command's stdio.
int pr_pty_open(int *master, int *slave);
/// Puts the terminal on `fd` in raw mode (as `ssh -t` does), remembering its settings for
/// pr_tty_restore. -ENOTTY when fd is not a terminal.
int pr_tty_raw(int fd);
/// Restores what pr_tty_raw changed (nothing if it did not run). Safe to call twice.
void pr_tty_restore(void);
/// The window size of the terminal on `fd`.
int pr_winsize_get(int fd, uint16_t *rows, uint16_t *cols);
/// Sets the window size of the pty on `fd` (the kernel sends SIGWINCH to its foreground group).
int pr_winsize_set(int fd, uint16_t rows, uint16_t cols);

#pragma clang assume_nonnull end

#endif
