// podrig-pause: holds a pod's namespaces. As PID 1 of a pod PID namespace it reaps every
// orphan; SIGTERM or SIGINT end it with status 0. Tiny on purpose (statically linked, no stdio).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// Exit codes for setup failures, distinct so podrig can tell what went wrong.
enum { EXIT_USAGE = 2, EXIT_SIGNALS = 3 };

static void say(const char *s) {
    ssize_t unused = write(STDERR_FILENO, s, strlen(s));
    (void)unused;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0) {
            ssize_t unused = write(STDOUT_FILENO, "podrig-pause 1\n", 15);
            (void)unused;
            return 0;
        }
        say("usage: podrig-pause [-v]\n");
        return EXIT_USAGE;
    }
    // Like every podrig process: a closed pipe is an error, never a death.
    signal(SIGPIPE, SIG_IGN);
    // Block the signals we care about and take them synchronously: no handler races. podrig
    // starts us with this set blocked already (SandboxManager.pauseSignals): as PID 1 of a PID
    // namespace a SIGTERM that came before this call would otherwise be dropped.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        say("podrig-pause: sigprocmask failed\n");
        return EXIT_SIGNALS;
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGCHLD) {
            while (waitpid(-1, NULL, WNOHANG) > 0) {}
            continue;
        }
        return 0;
    }
}
