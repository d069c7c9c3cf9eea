import Synchronization
import Glibc

/// The same algorithms as ``RateLimitScript``, in process: the store when the config has no
/// `redis:` (one gateway instance), and the `on_redis_failure: local` fallback. Shared by the
/// filter's workers behind one lock, held for a few dictionary operations per request.
///
/// Bounded: past `maxKeys` buckets, expired ones are swept; if that is not enough, the half
/// closest to expiry is dropped (a dropped bucket starts afresh).
final class LocalRateLimiter: Sendable {
    private let state: Mutex<[[UInt8]: Entry]>
    let maxKeys: Int

    private struct Entry {
        var bucket: Bucket
        /// When the bucket holds nothing that matters any more (microseconds).
        var expires: Int64
    }

    private enum Bucket {
        /// Sliding window: timestamps of counted requests, oldest first.
        case log([Int64])
        case fixed(slot: Int64, count: Int)
        /// Token bucket: the theoretical arrival time (GCRA).
        case gcra(Double)
    }

    init(maxKeys: Int = 100_000) {
        self.maxKeys = maxKeys
        state = Mutex([:])
    }

    /// Buckets held now.
    var count: Int { state.withLock { $0.count } }

    /// Judges and (when all allow) counts one request in `group`; `now` in microseconds.
    func check(_ group: [(index: Int, limit: RateLimit, key: [UInt8])], now: Int64 = LocalRateLimiter.now()) -> [LimitOutcome] {
        state.withLock { buckets in
            var outcomes: [LimitOutcome] = []
            var updates: [([UInt8], Entry)] = []
            for (index, limit, key) in group {
                let stored = buckets[key].flatMap { $0.expires > now ? $0.bucket : nil }
                let (outcome, update) = judge(limit, stored, now: now)
                outcomes.append(LimitOutcome(limit: index, allowed: outcome.allowed, remaining: outcome.remaining,
                                             resetMicros: outcome.resetMicros, retryMicros: outcome.retryMicros))
                updates.append((key, update))
            }
            if outcomes.allSatisfy(\.allowed) {
                if buckets.count + updates.count > maxKeys { evict(&buckets, now: now) }
                for (key, bucket) in updates { buckets[key] = bucket }
            }
            return outcomes
        }
    }

    /// The outcome, and the bucket as it is after counting this request.
    private func judge(_ limit: RateLimit, _ bucket: Bucket?, now: Int64) -> (LimitOutcome, Entry) {
        let window = limit.windowMicros
        let requests = limit.requests
        switch limit.algorithm {
        case .slidingWindow:
            var times: [Int64] = []
            if case .log(let stored) = bucket { times = stored.filter { $0 > now - window } }
            if times.count < requests {
                let reset = times.first.map { $0 + window - now } ?? window
                let outcome = LimitOutcome(limit: 0, allowed: true, remaining: requests - times.count - 1, resetMicros: reset, retryMicros: 0)
                return (outcome, Entry(bucket: .log(times + [now]), expires: now + window))
            }
            let retry = times[times.count - requests] + window - now
            return (LimitOutcome(limit: 0, allowed: false, remaining: 0, resetMicros: retry, retryMicros: retry),
                    Entry(bucket: .log(times), expires: times.last! + window))
        case .fixedWindow:
            let slot = now / window
            var count = 0
            if case .fixed(let storedSlot, let storedCount) = bucket, storedSlot == slot { count = storedCount }
            let reset = (slot + 1) * window - now
            let allowed = count < requests
            return (LimitOutcome(limit: 0, allowed: allowed, remaining: allowed ? requests - count - 1 : 0,
                                 resetMicros: reset, retryMicros: allowed ? 0 : reset),
                    Entry(bucket: .fixed(slot: slot, count: count + 1), expires: now + reset))
        case .tokenBucket:
            let interval = Double(window) / Double(requests)
            var tat = Double(now)
            if case .gcra(let stored) = bucket, stored > tat { tat = stored }
            let newTAT = tat + interval
            let allowAt = newTAT - interval * Double(limit.burst)
            if Double(now) >= allowAt {
                let remaining = Int(((Double(now) - allowAt) / interval).rounded(.down))
                return (LimitOutcome(limit: 0, allowed: true, remaining: remaining,
                                     resetMicros: Int64((newTAT - Double(now)).rounded(.up)), retryMicros: 0),
                        Entry(bucket: .gcra(newTAT), expires: Int64(newTAT.rounded(.up))))
            }
            return (LimitOutcome(limit: 0, allowed: false, remaining: 0, resetMicros: Int64((tat - Double(now)).rounded(.up)),
                                 retryMicros: Int64((allowAt - Double(now)).rounded(.up))),
                    Entry(bucket: .gcra(tat), expires: Int64(tat.rounded(.up))))
        }
    }

    private func evict(_ buckets: inout [[UInt8]: Entry], now: Int64) {
        buckets = buckets.filter { $0.value.expires > now }
        guard buckets.count >= maxKeys else { return }
        // Still full of live buckets: keep the half that lives longest.
        let keep = buckets.sorted { $0.value.expires > $1.value.expires }.prefix(maxKeys / 2)
        buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }

    /// CLOCK_MONOTONIC in microseconds.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }
}
