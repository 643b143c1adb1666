// kubelet's restart back-off, in C so the supervisor and the unit tests share one definition.
#include "pr_backoff.h"

int64_t pr_backoff_next(pr_backoff *b, int64_t finished_ns, int64_t now_ns) {
    int expired = b->delay_ns == 0 || finished_ns - b->last_update_ns > 2 * PR_BACKOFF_MAX_NS;
    int64_t at;
    if (expired) {
        at = finished_ns;  // first crash (or a long run): restart right away
        b->delay_ns = PR_BACKOFF_INITIAL_NS;
    } else {
        at = finished_ns + b->delay_ns;
        b->delay_ns = b->delay_ns * 2 > PR_BACKOFF_MAX_NS ? PR_BACKOFF_MAX_NS : b->delay_ns * 2;
    }
    b->last_update_ns = at > now_ns ? at : now_ns;
    return at;
}
