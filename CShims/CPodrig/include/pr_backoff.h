#ifndef PR_BACKOFF_H
#define PR_BACKOFF_H

#include <stdint.h>

#pragma clang assume_nonnull begin

/// kubelet's container restart back-off (flowcontrol.Backoff with 10 s initial, 5 min max): the
/// first restart is immediate, later ones wait 10 s, 20 s, … 300 s after the exit; an entry whose
/// container ran for more than 2 × max (10 min) since the last restart starts over.
typedef struct pr_backoff {
    int64_t delay_ns;        // current back-off; 0 = no entry yet
    int64_t last_update_ns;  // when the last restart was allowed
} pr_backoff;

#define PR_BACKOFF_INITIAL_NS (10LL * 1000000000LL)
#define PR_BACKOFF_MAX_NS (300LL * 1000000000LL)

/// A container finished at `finished_ns`; returns the time (ns) at which it may restart and
/// updates the entry as kubelet's Next() does once that restart happens at `now_ns`.
int64_t pr_backoff_next(pr_backoff *b, int64_t finished_ns, int64_t now_ns);

#pragma clang assume_nonnull end

#endif
