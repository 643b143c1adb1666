#ifndef PR_KUBELET_H
#define PR_KUBELET_H

#include <stdbool.h>

#pragma clang assume_nonnull begin

/// kubelet's rules for restarts and the pod phase, defined once: the supervisor acts on them and
/// PodrigPod's PodStatusView reports with them (Swift's RestartPolicy/ContainerState name these).

/// spec.restartPolicy.
typedef enum pr_restart_policy {
    PR_RESTART_ALWAYS = 0,
    PR_RESTART_ON_FAILURE = 1,
    PR_RESTART_NEVER = 2,
} pr_restart_policy;

/// "Always", "OnFailure" or "Never" → the policy; 0, or -EINVAL for anything else (the name is case-sensitive, as the API's).
int pr_restart_policy_parse(const char *name, pr_restart_policy *out);
const char *pr_restart_policy_name(pr_restart_policy policy);

/// Where a container sits in the pod: an init container, a sidecar (init with restartPolicy Always), a main container.
typedef enum pr_container_kind {
    PR_CONTAINER_INIT = 0,
    PR_CONTAINER_SIDECAR = 1,
    PR_CONTAINER_MAIN = 2,
} pr_container_kind;

/// A container's state, as status.json names it ("waiting", "running", "terminated").
typedef enum pr_container_state {
    PR_STATE_WAITING = 0,
    PR_STATE_RUNNING = 1,
    PR_STATE_TERMINATED = 2,
} pr_container_state;

const char *pr_container_state_name(pr_container_state state);

typedef enum pr_pod_phase {
    PR_PHASE_PENDING = 0,
    PR_PHASE_RUNNING = 1,
    PR_PHASE_SUCCEEDED = 2,
    PR_PHASE_FAILED = 3,
} pr_pod_phase;

const char *pr_pod_phase_name(pr_pod_phase phase);

/// The longest grace period or probe interval the supervisor keeps, in seconds (68 years, so every
/// deadline `now + s × 10^9` fits an int64): Kubernetes' probe fields are int32, and a longer
/// terminationGracePeriodSeconds (an int64 there) is as good as forever. podrig clamps what it
/// writes into plan.json and <stateDir>/grace to it (Swift: SupervisorTiming.clampSeconds); the
/// supervisor clamps what it reads (plan.c, main.c's grace override).
#define PR_MAX_SECONDS 2147483647

/// kubelet's pod status once activeDeadlineSeconds passed (status.json "reason" and "message";
/// Swift reads them back as SupervisorStatus.reason/message and shows them as status.reason/message).
#define PR_REASON_DEADLINE_EXCEEDED "DeadlineExceeded"
#define PR_MESSAGE_DEADLINE_EXCEEDED "Pod was active on the node longer than the specified deadline"

/// kubelet's ShouldContainerBeRestarted: sidecars always restart; init containers restart after a
/// failure unless the policy is Never; main containers follow the policy.
bool pr_container_restarts(pr_restart_policy policy, pr_container_kind kind, int exit_code);

/// An init container that failed and will not be restarted fails the pod (getPhase's failedInitialization with Never).
bool pr_init_failure_fails_pod(pr_restart_policy policy, int exit_code);

/// getPhase's counters over the main containers.
typedef struct pr_phase_counts {
    int running, waiting, stopped, succeeded;
} pr_phase_counts;

/// Counts one main container: waiting with a last termination counts as stopped (it is restarting).
/// `exit_code` is the current termination's (terminated) or the last one's (waiting with has_last).
void pr_phase_count(pr_phase_counts *counts, pr_container_state state, bool has_last, int exit_code);

/// kubelet's getPhase over the main containers. `initialized`: every init container completed
/// (sidecars started); `terminal`: the pod is over (nothing will run or restart any more).
pr_pod_phase pr_pod_phase_of(pr_restart_policy policy, const pr_phase_counts *counts, bool initialized, bool terminal);

/// A terminated container's reason, as containerd's CRI reports it and kubelet shows it:
/// "OOMKilled" when the kernel's OOM killer acted in the container's memory cgroup while it ran
/// (its exit is then normally SIGKILL's 137, and it counts in restarts like any exit), else
/// "Completed" for exit code 0 and "Error" for any other.
const char *pr_termination_reason(int exit_code, bool oom_killed);

#pragma clang assume_nonnull end

#endif
