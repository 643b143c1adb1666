// `podrig --version` answered from the binary's first initialiser: the version line costs what
// exec of the static binary costs, not the Swift runtime's start-up (its image registration,
// conformance tables, libdispatch, C++ statics: ≈ 90 page faults). Anything but exactly
// `podrig --version` returns at once and main runs as usual.
#include "pr_early.h"
#include "pr_version.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int pr_early_linked(void) { return 1; }

// glibc calls .init_array entries with (argc, argv, envp), in static binaries too.
__attribute__((constructor(101))) static void pr_early_version(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc != 2 || argv[1] == NULL || strcmp(argv[1], "--version") != 0) return;
    // As main does: SIGPIPE ignored, so a closed stdout is exit status 1, not a signal death.
    signal(SIGPIPE, SIG_IGN);
    static const char line[] = PR_VERSION "\n";
    const char *p = line;
    size_t left = sizeof line - 1;
    while (left > 0) {
        ssize_t n = write(1, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(1);
        p += n;
        left -= (size_t)n;
    }
    _exit(0);
}
