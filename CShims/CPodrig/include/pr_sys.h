#ifndef PR_SYS_H
#define PR_SYS_H

#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Small syscall wrappers Swift cannot reach directly (variadic or macro-based in glibc).

/// pipe2(fds, O_CLOEXEC); 0 or -1 with errno.
int pr_pipe_cloexec(int fds[_Nonnull 2]);
/// pidfd_open(2); returns an fd or -errno.
int pr_pidfd_open(pid_t pid);
/// pidfd_send_signal(2); 0 or -errno.
int pr_pidfd_send_signal(int pidfd, int sig);
/// Waits up to timeout_ms for a pidfd to become readable (the process exited). 1 exited, 0 timeout, -errno.
int pr_pidfd_wait(int pidfd, int timeout_ms);
/// open(2) with flags and mode (Swift cannot call the variadic open).
int pr_open(const char *path, int flags, unsigned int mode);
/// fcntl(fd, F_SETFD, FD_CLOEXEC) on or off.
int pr_set_cloexec(int fd, int on);
/// prctl(PR_SET_CHILD_SUBREAPER, 1).
int pr_set_subreaper(void);
/// The kernel's CLONE_NEW* values, for Swift.
int pr_clone_newnet(void);
int pr_clone_newuts(void);
int pr_clone_newipc(void);
int pr_clone_newpid(void);
int pr_clone_newns(void);
int pr_clone_newcgroup(void);
/// flock(fd, LOCK_EX or LOCK_SH [| LOCK_NB]) as 0 or errno.
int pr_flock(int fd, int exclusive, int nonblocking);
/// getrandom into buf; 0 or errno.
int pr_random(void *buf, size_t len);

#pragma clang assume_nonnull end

#endif
