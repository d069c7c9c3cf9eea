import GatewayConfig
import Testing
@testable import RateLimit

private let second: Int64 = 1_000_000

private func limit(_ algorithm: RateLimit.Algorithm, requests: Int, per seconds: Int64, burst: Int? = nil) -> RateLimit {
    RateLimit(name: "l", requests: requests, window: "\(seconds)s", windowMicros: seconds * second, algorithm: algorithm,
              burst: burst ?? requests, key: [.clientIP], onMissingKey: .clientIP, scope: RateLimit.Scope())
}

/// Runs one request at `now` (seconds, fractional) against `limits`, all in one group.
private func check(_ limiter: LocalRateLimiter, _ limits: [RateLimit], at now: Double, key: String = "k") -> [LimitOutcome] {
    limiter.check(limits.enumerated().map { ($0.offset, $0.element, Array("\(key)\($0.offset)".utf8)) }, now: Int64(now * 1_000_000))
}

@Suite struct LocalRateLimiterTests {
    @Test func slidingWindowAllowsExactlyNInAnyWindow() {
        let limiter = LocalRateLimiter()
        let auth = [limit(.slidingWindow, requests: 5, per: 900)]
        for i in 0..<5 {
            let outcome = check(limiter, auth, at: 1000 + Double(i))[0]
            #expect(outcome.allowed)
            #expect(outcome.remaining == 4 - i)
        }
        let sixth = check(limiter, auth, at: 1010)[0]
        #expect(!sixth.allowed)
        // The first request (t=1000) leaves the window at t=1900.
        #expect(sixth.retryMicros == 890 * second)
        #expect(!check(limiter, auth, at: 1899.9)[0].allowed)
        #expect(check(limiter, auth, at: 1900)[0].allowed)
        // One slot freed, one used: the next waits for t=1001's departure.
        #expect(!check(limiter, auth, at: 1900.5)[0].allowed)
        #expect(check(limiter, auth, at: 1901)[0].allowed)
    }

    @Test func rejectedRequestsConsumeNoQuota() {
        let limiter = LocalRateLimiter()
        let payments = [limit(.slidingWindow, requests: 3, per: 60)]
        for t in 0..<3 { #expect(check(limiter, payments, at: Double(t))[0].allowed) }
        for t in 3..<50 { #expect(!check(limiter, payments, at: Double(t))[0].allowed) }
        // Had rejections counted, the window would still be full at t=60.
        #expect(check(limiter, payments, at: 60)[0].allowed)
    }

    @Test func fixedWindowCountsPerClockWindow() {
        let limiter = LocalRateLimiter()
        let uploads = [limit(.fixedWindow, requests: 10, per: 60)]
        for i in 0..<10 { #expect(check(limiter, uploads, at: 120 + Double(i))[0].allowed) }
        let eleventh = check(limiter, uploads, at: 150)[0]
        #expect(!eleventh.allowed)
        #expect(eleventh.retryMicros == 30 * second)
        #expect(check(limiter, uploads, at: 180)[0].allowed)
    }

    @Test func tokenBucketAllowsBurstThenSteadyRate() {
        let limiter = LocalRateLimiter()
        let tier = [limit(.tokenBucket, requests: 20, per: 1, burst: 40)]
        for i in 0..<40 {
            let outcome = check(limiter, tier, at: 10)[0]
            #expect(outcome.allowed, "request \(i)")
            #expect(outcome.remaining == 39 - i)
        }
        let over = check(limiter, tier, at: 10)[0]
        #expect(!over.allowed)
        #expect(over.retryMicros == 50_000)
        // 20 per second: one more every 50 ms.
        #expect(check(limiter, tier, at: 10.05)[0].allowed)
        #expect(!check(limiter, tier, at: 10.06)[0].allowed)
        #expect(check(limiter, tier, at: 10.1)[0].allowed)
    }

    @Test func aGroupIsAllOrNothing() {
        let limiter = LocalRateLimiter()
        let pair = [limit(.slidingWindow, requests: 2, per: 60), limit(.slidingWindow, requests: 100, per: 60)]
        #expect(check(limiter, pair, at: 0).allSatisfy { $0.allowed })
        #expect(check(limiter, pair, at: 1).allSatisfy { $0.allowed })
        let third = check(limiter, pair, at: 2)
        #expect(!third[0].allowed)
        #expect(third[1].allowed)
        // The general limit was not charged for the rejected request: still 2 counted, so 97 after one more.
        #expect(check(limiter, pair, at: 59)[1].remaining == 97)
    }

    @Test func keysAreSeparateBuckets() {
        let limiter = LocalRateLimiter()
        let one = [limit(.fixedWindow, requests: 1, per: 60)]
        #expect(check(limiter, one, at: 0, key: "a")[0].allowed)
        #expect(!check(limiter, one, at: 1, key: "a")[0].allowed)
        #expect(check(limiter, one, at: 1, key: "b")[0].allowed)
    }

    @Test func storeStaysBounded() {
        let limiter = LocalRateLimiter(maxKeys: 100)
        let one = [limit(.slidingWindow, requests: 1, per: 60)]
        for i in 0..<1000 { #expect(check(limiter, one, at: 0, key: "client-\(i)")[0].allowed) }
        #expect(limiter.count <= 100)
    }
}
