#ifndef PR_CAPS_H
#define PR_CAPS_H

#include <stdint.h>

#pragma clang assume_nonnull begin

/// The capability number of a name such as "CAP_NET_ADMIN" or "net_admin"; -EINVAL if unknown.
int pr_cap_from_name(const char *name);
/// The name (lower case, "cap_…") of a capability number; NULL if unknown. Caller frees.
char *_Nullable pr_cap_to_name(int cap);
/// The highest capability number the running kernel knows.
int pr_cap_last(void);
/// The current process's effective set as a mask.
uint64_t pr_cap_effective_self(void);

#pragma clang assume_nonnull end

#endif
