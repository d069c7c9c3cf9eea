import GatewayConfig
import Testing
@testable import GatewayCore

@Suite struct UpstreamBalancerTests {
    private func picks(_ balancer: inout UpstreamBalancer, _ count: Int, eligible: (Int) -> Bool = { _ in true }) -> [Int] {
        (0..<count).map { _ in balancer.pick(where: eligible) ?? -1 }
    }

    @Test func smoothWeightedRoundRobinInterleaves() {
        var balancer = UpstreamBalancer(weights: [5, 1, 1], leastConnections: false)
        // nginx's sequence for 5,1,1: the heavy target is spread out, not sent five in a row.
        #expect(picks(&balancer, 7) == [0, 0, 1, 0, 2, 0, 0])
        #expect(picks(&balancer, 7) == [0, 0, 1, 0, 2, 0, 0])
    }

    @Test func weightsAreHonouredExactlyOverWholeCycles() {
        var balancer = UpstreamBalancer(weights: [1, 3, 2], leastConnections: false)
        let sequence = picks(&balancer, 600)
        #expect(sequence.filter { $0 == 0 }.count == 100)
        #expect(sequence.filter { $0 == 1 }.count == 300)
        #expect(sequence.filter { $0 == 2 }.count == 200)
    }

    @Test func equalWeightsAreRoundRobin() {
        var balancer = UpstreamBalancer(weights: [1, 1, 1], leastConnections: false)
        #expect(picks(&balancer, 6) == [0, 1, 2, 0, 1, 2])
    }

    @Test func ineligibleTargetsAreSkippedAndNoneGivesNil() {
        var balancer = UpstreamBalancer(weights: [1, 1, 1], leastConnections: false)
        #expect(picks(&balancer, 4, eligible: { $0 != 1 }) == [0, 2, 0, 2])
        #expect(balancer.pick { _ in false } == nil)
    }

    @Test func leastConnectionsPrefersTheIdleTarget() {
        var balancer = UpstreamBalancer(weights: [1, 1], leastConnections: true)
        balancer.exchangeStarted(on: 0)
        #expect(picks(&balancer, 3) == [1, 1, 1])
        balancer.exchangeStarted(on: 1)
        balancer.exchangeStarted(on: 1)
        #expect(balancer.pick { _ in true } == 0)
        balancer.exchangeEnded(on: 1)
        balancer.exchangeEnded(on: 1)
        balancer.exchangeEnded(on: 0)
        // All idle again: ties go round-robin.
        let tied = picks(&balancer, 4)
        #expect(tied.filter { $0 == 0 }.count == 2 && tied.filter { $0 == 1 }.count == 2)
    }

    @Test func leastConnectionsWeighsLoadByWeight() {
        var balancer = UpstreamBalancer(weights: [1, 3], leastConnections: true)
        // 1 in flight on weight 1 is a heavier load than 2 on weight 3.
        balancer.exchangeStarted(on: 0)
        balancer.exchangeStarted(on: 1)
        balancer.exchangeStarted(on: 1)
        #expect(balancer.pick { _ in true } == 1)
        balancer.exchangeStarted(on: 1)
        // 3/3 == 1/1: a tie, broken by weighted round-robin (weight 3 first).
        #expect(balancer.pick { _ in true } == 1)
        #expect(balancer.pick { $0 == 0 } == 0)
    }
}

@Suite struct TargetHealthTests {
    private func health(maxFailures: Int = 3, backoff: Duration = .seconds(10), maxBackoff: Duration = .seconds(40)) -> TargetHealth {
        var config = UpstreamHealthConfig()
        config.maxFailures = maxFailures
        config.backoff = backoff
        config.maxBackoff = maxBackoff
        return TargetHealth(targets: 2, config: config, probeWindow: .seconds(5))
    }

    @Test func consecutiveFailuresTakeATargetOutThenOneProbeBringsItBack() {
        var h = health()
        #expect(h.failed(0, now: 1000) == nil)
        #expect(h.succeeded(0) == nil)  // the count restarts
        #expect(h.failed(0, now: 1000) == nil)
        #expect(h.failed(0, now: 1000) == nil)
        #expect(h.failed(0, now: 1000) == false)  // third in a row: out
        #expect(h.outCount == 1)
        #expect(!h.isAvailable(0, now: 10_999))
        #expect(h.isAvailable(0, now: 11_000))
        h.willUse(0, now: 11_000)  // the probe
        #expect(!h.isAvailable(0, now: 11_001))  // one probe at a time
        #expect(h.succeeded(0) == true)
        #expect(h.outCount == 0 && h.isAvailable(0, now: 11_001))
    }

    @Test func failedProbesDoubleTheBackoffUpToTheMaximum() {
        var h = health()
        for _ in 0..<3 { _ = h.failed(0, now: 0) }
        var now: UInt64 = 10_000
        for expected: UInt64 in [20_000, 40_000, 40_000] {
            #expect(h.isAvailable(0, now: now))
            h.willUse(0, now: now)
            #expect(h.failed(0, now: now) == nil)
            #expect(!h.isAvailable(0, now: now + expected - 1))
            #expect(h.isAvailable(0, now: now + expected))
            now += expected
        }
    }

    @Test func failuresOfExchangesStartedBeforeTheOutageDoNotLengthenIt() {
        var h = health()
        for _ in 0..<3 { _ = h.failed(0, now: 0) }
        _ = h.failed(0, now: 5000)  // not a probe
        #expect(h.isAvailable(0, now: 10_000))
    }

    @Test func anUnansweredProbeFreesTheSlotAfterItsWindow() {
        var h = health()
        for _ in 0..<3 { _ = h.failed(0, now: 0) }
        h.willUse(0, now: 10_000)
        #expect(!h.isAvailable(0, now: 14_999))
        #expect(h.isAvailable(0, now: 15_000))
    }

    @Test func zeroMaxFailuresTurnsPassiveHealthOff() {
        var h = health(maxFailures: 0)
        for _ in 0..<100 { #expect(h.failed(0, now: 0) == nil) }
        #expect(h.isAvailable(0, now: 0) && h.outCount == 0)
    }

    @Test func activeChecksOverrideAndEndBackoffs() {
        var h = health()
        #expect(h.checked(1, healthy: false, now: 50) == false)
        #expect(!h.isAvailable(1, now: 1_000_000))
        #expect(h.checked(1, healthy: false, now: 60) == nil)
        #expect(h.checked(1, healthy: true, now: 70) == true)
        for _ in 0..<3 { _ = h.failed(0, now: 100) }
        #expect(h.checked(0, healthy: true, now: 200) == true)
        #expect(h.isAvailable(0, now: 200))
    }

    @Test func withEveryTargetOutTheLeastRecentlyFailedIsTried() {
        var h = health()
        for _ in 0..<3 { _ = h.failed(1, now: 100) }
        for _ in 0..<3 { _ = h.failed(0, now: 200) }
        #expect(h.leastRecentlyFailed(excluding: { _ in false }) == 1)
        #expect(h.leastRecentlyFailed(excluding: { $0 == 1 }) == 0)
        #expect(h.leastRecentlyFailed(excluding: { _ in true }) == nil)
    }
}
