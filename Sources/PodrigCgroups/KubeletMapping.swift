#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// kubelet's CPU/memory → cgroup mapping (pkg/kubelet/cm/helpers_linux.go), each rule once.
public enum KubeletMapping {
    public static let minShares: UInt64 = 2
    public static let maxShares: UInt64 = 262_144
    public static let sharesPerCPU: UInt64 = 1024
    public static let quotaPeriod: Int64 = 100_000
    /// kubelet's MinQuotaPeriod: 1 ms.
    public static let minQuota: Int64 = 1000
    /// The kernel's largest CFS quota, µs (kernel/sched/core.c: max_cfs_runtime = MAX_BW, 2^44 − 1
    /// µs); above it cpu.cfs_quota_us / cpu.max answer EINVAL.
    public static let maxQuota: Int64 = (1 << 44) - 1

    /// MilliCPUToShares: request (else limit) ×1024/1000, floor 2, cap 262144.
    public static func shares(milliCPU: Int64) -> UInt64 {
        if milliCPU <= 0 { return minShares }
        let s = UInt64(milliCPU).multiplied(saturating: sharesPerCPU) / 1000
        return min(max(s, minShares), maxShares)
    }

    /// MilliCPUToQuota: 0 (no limit) for 0 millicores, else ≥ 1 ms.
    public static func quota(milliCPU: Int64, period: Int64 = quotaPeriod) -> Int64 {
        if milliCPU <= 0 { return 0 }
        return max(milliCPU.multiplied(saturating: period) / 1000, minQuota)
    }

    public enum WeightFormula: String, Sendable { case quadratic, linear }

    /// v2 cpu.weight from shares: runc ≥ 1.3.2 / crun ≥ 1.23 quadratic-in-log formula, or the
    /// older linear 1 + (shares-2)*9999/262142.
    public static func cpuWeight(shares: UInt64, formula: WeightFormula = .quadratic) -> UInt64 {
        if shares == 0 { return 0 }
        let s = min(max(shares, minShares), maxShares)
        switch formula {
        case .linear:
            return 1 + (s - 2) * 9999 / 262_142
        case .quadratic:
            let l = log2(Double(s))
            let w = ceil(pow(10, (l * l + 125 * l) / 612 - 7.0 / 34.0))
            return UInt64(min(max(w, 1), 10_000))
        }
    }

    /// v2 cpu.max text: "quota period", or "max period" without a limit.
    public static func cpuMax(quota: Int64, period: Int64 = quotaPeriod) -> String {
        quota > 0 ? "\(quota) \(period)" : "max \(period)"
    }
}
