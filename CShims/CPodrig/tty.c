// pty pairs, raw mode and window sizes (ioctl and termios are out of Swift's reach).
#define _GNU_SOURCE
#include "pr_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int pr_pty_open(int *master, int *slave) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (m < 0) return -errno;
    if (grantpt(m) != 0 || unlockpt(m) != 0) {
        int err = errno;
        close(m);
        return -err;
    }
    // TIOCGPTPEER opens the peer without a path lookup (the container may see another /dev/pts).
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        char name[128];
        if (ptsname_r(m, name, sizeof(name)) != 0 || (s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
            int err = errno;
            close(m);
            return -err;
        }
    }
    *master = m;
    *slave = s;
    return 0;
}

static struct termios saved;
static int saved_fd = -1;

int pr_tty_raw(int fd) {
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -errno;
    if (saved_fd < 0) {
        saved = t;
        saved_fd = fd;
    }
    cfmakeraw(&t);
    // Output processing off too: the remote pty already turns \n into \r\n.
    if (tcsetattr(fd, TCSADRAIN, &t) != 0) return -errno;
    return 0;
}

void pr_tty_restore(void) {
    if (saved_fd < 0) return;
    tcsetattr(saved_fd, TCSADRAIN, &saved);
    saved_fd = -1;
}

int pr_winsize_get(int fd, uint16_t *rows, uint16_t *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -errno;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int pr_winsize_set(int fd, uint16_t rows, uint16_t cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    return ioctl(fd, TIOCSWINSZ, &ws) == 0 ? 0 : -errno;
}
