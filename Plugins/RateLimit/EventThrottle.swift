import Synchronization
import Glibc

/// Lets one event per subject through per interval, so one abusive client cannot flood the
/// event stream; counts what it held back. Bounded: when full, subjects whose interval is over
/// are forgotten, and if none are, everything is (the next events then go through at once).
final class EventThrottle: Sendable {
    private let interval: Int64
    private let maxSubjects: Int
    private let state = Mutex<[String: Entry]>([:])

    private struct Entry {
        var windowStart: Int64
        var suppressed: Int
    }

    init(interval: Duration, maxSubjects: Int = 10_000) {
        let (seconds, attoseconds) = interval.components
        self.interval = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        self.maxSubjects = maxSubjects
    }

    /// nil when the event is held back; else how many were held back since the last one.
    func admit(_ subject: String, now: Int64 = LocalRateLimiter.now()) -> Int? {
        state.withLock { entries in
            if var entry = entries[subject], now - entry.windowStart < interval {
                entry.suppressed += 1
                entries[subject] = entry
                return nil
            }
            let suppressed = entries[subject]?.suppressed ?? 0
            if entries.count >= maxSubjects {
                entries = entries.filter { now - $0.value.windowStart < interval }
                if entries.count >= maxSubjects { entries.removeAll() }
            }
            entries[subject] = Entry(windowStart: now, suppressed: 0)
            return suppressed
        }
    }
}
