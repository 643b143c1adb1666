// hack/bench's process-start baseline: the cheapest program a static binary can be (what
// `podrig --version` is measured against).
#include <unistd.h>

int main(void) {
    static const char msg[] = "hello\n";
    return write(1, msg, sizeof msg - 1) == sizeof msg - 1 ? 0 : 1;
}
