import CPodrig

// kubelet's restart and phase rules live once, in C (CShims/CPodrig/kubelet.c): the supervisor acts
// on them, the status view reports with them. These are the Swift names for their C enums.

/// A container's state as status.json writes it; the C side is pr_container_state.
public enum ContainerState: String, Sendable, CaseIterable {
    case waiting, running, terminated

    public var c: pr_container_state {
        switch self {
        case .waiting: PR_STATE_WAITING
        case .running: PR_STATE_RUNNING
        case .terminated: PR_STATE_TERMINATED
        }
    }
}

extension RestartPolicy {
    /// The C side: pr_restart_policy (parsed from the same names).
    public var c: pr_restart_policy {
        switch self {
        case .always: PR_RESTART_ALWAYS
        case .onFailure: PR_RESTART_ON_FAILURE
        case .never: PR_RESTART_NEVER
        }
    }
}

/// kubelet's pod phases, named as the API names them (pr_pod_phase).
public enum PodPhase: String, Sendable, CaseIterable {
    case pending = "Pending", running = "Running", succeeded = "Succeeded", failed = "Failed"

    init(_ c: pr_pod_phase) {
        switch c {
        case PR_PHASE_RUNNING: self = .running
        case PR_PHASE_SUCCEEDED: self = .succeeded
        case PR_PHASE_FAILED: self = .failed
        default: self = .pending
        }
    }
}

public enum KubeletRules {
    /// getPhase over the main containers: `initialized` when every init container completed,
    /// `terminal` when nothing runs or restarts any more (the supervisor is gone).
    public static func phase(_ policy: RestartPolicy, mains: [SupervisorStatus.Container?], initialized: Bool, terminal: Bool) -> PodPhase {
        var counts = pr_phase_counts()
        for c in mains {
            guard let c else {
                pr_phase_count(&counts, PR_STATE_WAITING, false, 0)
                continue
            }
            let exit = c.state == .terminated ? c.terminated?.exitCode : c.lastTerminated?.exitCode
            pr_phase_count(&counts, c.state.c, c.lastTerminated != nil, Int32(clamping: exit ?? 0))
        }
        return PodPhase(pr_pod_phase_of(policy.c, &counts, initialized, terminal))
    }

    /// ShouldContainerBeRestarted.
    public static func restarts(_ policy: RestartPolicy, sidecar: Bool, initContainer: Bool, exitCode: Int) -> Bool {
        let kind = sidecar ? PR_CONTAINER_SIDECAR : initContainer ? PR_CONTAINER_INIT : PR_CONTAINER_MAIN
        return pr_container_restarts(policy.c, kind, Int32(clamping: exitCode))
    }
}

/// Seconds as the supervisor keeps them (PR_MAX_SECONDS in CShims/CPodrig/include/pr_kubelet.h).
public enum SupervisorTiming {
    public static let maxSeconds = Int(PR_MAX_SECONDS)

    /// A grace period as plan.json and <stateDir>/grace carry it: 0…maxSeconds (68 years is forever).
    public static func clampSeconds(_ s: Int) -> Int { min(max(0, s), maxSeconds) }
}
