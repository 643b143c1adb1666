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
    }
    @Test func publishedWeightExamples() {
        #expect(KubeletMapping.cpuWeight(shares: 1024) == 100)
        #expect(KubeletMapping.cpuWeight(shares: 2000) == 170)
        #expect(KubeletMapping.cpuWeight(shares: 1024, formula: .linear) == 39)
        #expect(KubeletMapping.cpuWeight(shares: 2000, formula: .linear) == 77)
    }
}
