import GatewayConfig

/// Counts failures in a row of a dependency and, past a threshold, refuses calls for a while so
/// the failure path is fast; then lets one probe through. Backs off exponentially while probes fail.
struct CircuitBreaker {
    private let threshold: Int
    private let baseOpenFor: UInt64
    private let maxOpenFor: UInt64
    private(set) var consecutiveFailures = 0
    /// How long the current (or last) opening lasts, in nanoseconds.
    private(set) var openFor: UInt64
    /// Monotonic time the breaker closes for a probe; 0 while closed.
    private var openUntil: UInt64 = 0
    private var probing = false

    init(_ config: CircuitBreakerConfig) {
        threshold = config.failures
        baseOpenFor = config.openFor.nanoseconds
        maxOpenFor = max(config.maxOpenFor.nanoseconds, baseOpenFor)
        openFor = baseOpenFor
    }

    var isOpen: Bool { openUntil != 0 }

    /// Whether a call may go out now. Once the open period is over, exactly one call (the probe)
    /// is allowed until it succeeds or fails.
    mutating func allows(now: UInt64) -> Bool {
        guard openUntil != 0 else { return true }
        guard now >= openUntil, !probing else { return false }
        probing = true
        return true
    }

    mutating func succeeded() {
        consecutiveFailures = 0
        openUntil = 0
        probing = false
        openFor = baseOpenFor
    }

    /// Records a failure; true when it opens the breaker.
    mutating func failed(now: UInt64) -> Bool {
        consecutiveFailures += 1
        if probing {
            probing = false
            openFor = min(openFor * 2, maxOpenFor)
            openUntil = now + openFor
            return true
        }
        guard openUntil == 0, consecutiveFailures >= threshold else { return false }
        openFor = baseOpenFor
        openUntil = now + openFor
        return true
    }
}
