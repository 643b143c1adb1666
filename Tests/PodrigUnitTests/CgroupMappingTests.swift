import Testing
@testable import PodrigCgroups

@Suite struct CgroupMappingTests {
    @Test func sharesAndQuota() {
        #expect(KubeletMapping.shares(milliCPU: 1000) == 1024)
        #expect(KubeletMapping.shares(milliCPU: 0) == 2)
        #expect(KubeletMapping.shares(milliCPU: 1) == 2)
        #expect(KubeletMapping.quota(milliCPU: 200) == 20000)
        #expect(KubeletMapping.quota(milliCPU: 5) == 1000)
        #expect(KubeletMapping.quota(milliCPU: 0) == 0)
        #expect(KubeletMapping.cpuMax(quota: 20000) == "20000 100000")
        // Millicores from a quantity of 9e15 cores overflowed ×1024 and ×period (a trap).
        #expect(KubeletMapping.shares(milliCPU: .max) == KubeletMapping.maxShares)
        #expect(KubeletMapping.quota(milliCPU: .max) == Int64.max / 1000)
        // CRI values (a sandbox's resources plus overhead) saturate too.
        var huge = CgroupResources()
        huge.cpuShares = .max; huge.cpuQuota = .max; huge.cpuPeriod = 1000; huge.memoryLimit = .max
        let sb = CgroupResources.sandbox(resources: huge, overhead: huge)
        #expect(sb?.cpuQuota == .max && sb?.memoryLimit == .max && sb?.cpuShares == KubeletMapping.maxShares)
    }
    @Test func publishedWeightExamples() {
        #expect(KubeletMapping.cpuWeight(shares: 1024) == 100)
        #expect(KubeletMapping.cpuWeight(shares: 2000) == 170)
        #expect(KubeletMapping.cpuWeight(shares: 1024, formula: .linear) == 39)
        #expect(KubeletMapping.cpuWeight(shares: 2000, formula: .linear) == 77)
    }
}
