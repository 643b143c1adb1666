// Capability names ↔ numbers through libcap (only ever called before a fork).
#include "pr_caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

int pr_cap_from_name(const char *name) {
    char buf[64];
    size_t len = strlen(name);
    if (len == 0 || len + 5 >= sizeof(buf)) return -EINVAL;
    // Kubernetes writes "NET_ADMIN" or "CAP_NET_ADMIN"; libcap wants "cap_net_admin".
    size_t off = 0;
    if (len < 4 || strncasecmp(name, "cap_", 4) != 0) {
        memcpy(buf, "cap_", 4);
        off = 4;
    }
    for (size_t i = 0; i < len; i++) buf[off + i] = (char)tolower((unsigned char)name[i]);
    buf[off + len] = '\0';
    cap_value_t value;
    if (cap_from_name(buf, &value) != 0) return -EINVAL;
    return (int)value;
}

char *pr_cap_to_name(int cap) {
    char *name = cap_to_name((cap_value_t)cap);
    if (name == NULL) return NULL;
    char *copy = strdup(name);
    cap_free(name);
    return copy;
}

int pr_cap_last(void) {
    return (int)cap_max_bits() - 1;
}

uint64_t pr_cap_effective_self(void) {
    cap_t caps = cap_get_proc();
    if (caps == NULL) return 0;
    uint64_t mask = 0;
    for (int cap = 0; cap <= pr_cap_last() && cap < 64; cap++) {
        cap_flag_value_t v = CAP_CLEAR;
        if (cap_get_flag(caps, (cap_value_t)cap, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
            mask |= 1ULL << cap;
    }
    cap_free(caps);
    return mask;
}
