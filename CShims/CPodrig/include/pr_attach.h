#ifndef PR_ATTACH_H
#define PR_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

/// The attach socket the supervisor serves for each container, and its framing. The socket is
/// <stateDir>/containers/<name>/attach.sock (ContainerExec.Target.stateDirectory on the Swift
/// side; the supervisor's attach.c the other). Each frame: one channel byte, a big-endian u32
/// payload length (at most PR_ATTACH_MAX_PAYLOAD), the payload. Channels 0–4 are numbered as in
/// Kubernetes' remotecommand protocol.
#define PR_ATTACH_SOCKET "attach.sock"
#define PR_ATTACH_MAX_PAYLOAD 65536

typedef enum pr_attach_channel {
    PR_ATTACH_STDIN = 0,    // client → container stdin
    PR_ATTACH_STDOUT = 1,   // container → client
    PR_ATTACH_STDERR = 2,   // container → client
    PR_ATTACH_ERROR = 3,    // server → client: a one-line refusal (empty: a request succeeded)
    PR_ATTACH_RESIZE = 4,   // client → server: u16 rows, u16 cols (big-endian) for the pty
    PR_ATTACH_HELLO = 5,    // client → server, first frame: one byte of PR_ATTACH_WANT_* flags
    PR_ATTACH_REOPEN = 6,   // client → server: reopen the container's log file (ReopenContainerLog)
    PR_ATTACH_CLOSE = 255,  // client → server: its stdin ended (output goes on)
} pr_attach_channel;

#define PR_ATTACH_WANT_STDIN 1

/// Connects to the attach socket in `dir` (any length: through /proc/self/fd). fd or -errno.
int pr_attach_connect(const char *dir);
/// Binds and listens on the attach socket in `dir`, replacing a stale one. fd or -errno.
int pr_attach_listen(const char *dir);
/// Writes one frame on a blocking socket; 0 or -errno.
int pr_attach_send(int fd, int channel, const void *_Nullable data, size_t len);

/// The client's session: sends HELLO (with stdin if `forward_stdin`), then relays fd 0 as STDIN
/// (EOF as CLOSE), STDOUT/STDERR frames to fds 1/2 and, with `tty`, SIGWINCH as RESIZE frames
/// (fd 0's window size). Returns 0 when the server ends the session, 1 with `message` filled when
/// it refused (an ERROR frame), or -errno.
int pr_attach_session(int sock, int forward_stdin, int tty, char *message, size_t message_len);

/// Asks the supervisor to reopen the container's log file; 0, 1 with `message`, or -errno.
int pr_attach_reopen(int sock, char *message, size_t message_len);

#pragma clang assume_nonnull end

#endif
