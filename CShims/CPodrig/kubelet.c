// kubelet's restart and phase rules (pkg/kubelet/kubelet_pods.go getPhase, pkg/kubelet/container
// ShouldContainerBeRestarted), in C so the supervisor and the Swift status view share one definition.
#include "pr_kubelet.h"

#include <errno.h>
#include <string.h>

static const char *const policy_names[] = {"Always", "OnFailure", "Never"};

int pr_restart_policy_parse(const char *name, pr_restart_policy *out) {
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, policy_names[i]) == 0) {
            *out = (pr_restart_policy)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *pr_restart_policy_name(pr_restart_policy policy) {
    return (unsigned)policy < 3 ? policy_names[policy] : "?";
}

const char *pr_container_state_name(pr_container_state state) {
    static const char *const names[] = {"waiting", "running", "terminated"};
    return (unsigned)state < 3 ? names[state] : "?";
}

const char *pr_pod_phase_name(pr_pod_phase phase) {
    static const char *const names[] = {"Pending", "Running", "Succeeded", "Failed"};
    return (unsigned)phase < 4 ? names[phase] : "?";
}

bool pr_container_restarts(pr_restart_policy policy, pr_container_kind kind, int exit_code) {
    if (kind == PR_CONTAINER_SIDECAR) return true;
    bool failed = exit_code != 0;
    if (kind == PR_CONTAINER_INIT) return failed && policy != PR_RESTART_NEVER;
    switch (policy) {
    case PR_RESTART_ALWAYS: return true;
    case PR_RESTART_ON_FAILURE: return failed;
    case PR_RESTART_NEVER: return false;
    }
    return false;
}

bool pr_init_failure_fails_pod(pr_restart_policy policy, int exit_code) {
    return exit_code != 0 && !pr_container_restarts(policy, PR_CONTAINER_INIT, exit_code);
}

void pr_phase_count(pr_phase_counts *counts, pr_container_state state, bool has_last, int exit_code) {
    switch (state) {
    case PR_STATE_RUNNING:
        counts->running++;
        return;
    case PR_STATE_TERMINATED:
        counts->stopped++;
        if (exit_code == 0) counts->succeeded++;
        return;
    case PR_STATE_WAITING:
        if (!has_last) {
            counts->waiting++;
            return;
        }
        counts->stopped++;
        if (exit_code == 0) counts->succeeded++;
        return;
    }
}

pr_pod_phase pr_pod_phase_of(pr_restart_policy policy, const pr_phase_counts *c, bool initialized, bool terminal) {
    if (!initialized && !terminal) return PR_PHASE_PENDING;
    if (terminal) {
        // Nothing runs or restarts any more, whatever the policy says.
        return c->stopped > 0 && c->stopped == c->succeeded && c->waiting == 0 ? PR_PHASE_SUCCEEDED : PR_PHASE_FAILED;
    }
    if (c->waiting > 0) return PR_PHASE_PENDING;
    if (c->running > 0) return PR_PHASE_RUNNING;
    if (c->stopped > 0) {
        if (policy == PR_RESTART_ALWAYS) return PR_PHASE_RUNNING;  // all restarting
        if (c->stopped == c->succeeded) return PR_PHASE_SUCCEEDED;
        if (policy == PR_RESTART_NEVER) return PR_PHASE_FAILED;
        return PR_PHASE_RUNNING;  // OnFailure: the failed ones are restarting
    }
    return PR_PHASE_PENDING;
}

const char *pr_termination_reason(int exit_code, bool oom_killed) {
    if (oom_killed) return "OOMKilled";
    return exit_code == 0 ? "Completed" : "Error";
}
