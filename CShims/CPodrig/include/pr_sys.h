#ifndef PR_SYS_H
#define PR_SYS_H

#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Small syscall wrappers Swift cannot reach directly (variadic or macro-based in glibc).
///
/// Every pr_* function that can fail (here and in the other pr_*.h) follows one convention: it
/// returns a value ≥ 0 on success (0, an fd, 1/0 for a yes/no) and -errno on failure; errno itself
/// is not to be read afterwards. Swift turns such a result into a PodrigError with `checked`.

/// pipe2(fds, O_CLOEXEC); 0 or -errno.
int pr_pipe_cloexec(int fds[_Nonnull 2]);
/// pidfd_open(2); returns an fd or -errno.
int pr_pidfd_open(pid_t pid);
/// pidfd_send_signal(2); 0 or -errno.
int pr_pidfd_send_signal(int pidfd, int sig);
/// Waits up to timeout_ms for a pidfd to become readable (the process exited). 1 exited, 0 timeout, -errno.
int pr_pidfd_wait(int pidfd, int timeout_ms);
/// open(2) with flags and mode (Swift cannot call the variadic open); an fd or -errno.
int pr_open(const char *path, int flags, unsigned int mode);
/// openat(2), the same way (a path relative to dirfd); an fd or -errno.
int pr_openat(int dirfd, const char *path, int flags, unsigned int mode);

/// A small file's text (a cgroup or /proc control file), NUL-terminated in `buf` (of `len` >= 1
/// bytes; longer text is cut at len - 1). Returns its length or -errno.
int pr_read_small(const char *path, char *buf, size_t len);

/// statfs(path)'s f_type (TMPFS_MAGIC, EXT4_SUPER_MAGIC, …), or -errno.
long pr_statfs_type(const char *path);
/// prctl(PR_SET_CHILD_SUBREAPER, 1); 0 or -errno.
int pr_set_subreaper(void);
/// The kernel's CLONE_NEW* values, for Swift.
int pr_clone_newnet(void);
int pr_clone_newuts(void);
int pr_clone_newipc(void);
int pr_clone_newpid(void);
int pr_clone_newns(void);
int pr_clone_newcgroup(void);
int pr_clone_newuser(void);
/// flock(fd, LOCK_EX or LOCK_SH [| LOCK_NB]); 0 or -errno (-EWOULDBLOCK: held elsewhere).
int pr_flock(int fd, int exclusive, int nonblocking);
/// getrandom into buf, all of it; 0 or -errno.
int pr_random(void *buf, size_t len);

#pragma clang assume_nonnull end

#endif
