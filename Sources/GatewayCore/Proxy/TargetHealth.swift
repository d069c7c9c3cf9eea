import GatewayConfig

/// One worker's health state for the targets of one upstream: passive (consecutive failures
/// take a target out for a back-off period, then one probe exchange may bring it back) and
/// active (a failed check takes it out until a check passes). Times are monotonic milliseconds.
struct TargetHealth {
    struct State {
        /// Consecutive failures.
        var failures = 0
        /// Taken out by failures; back with the first success.
        var down = false
        /// The last active check failed.
        var checkFailed = false
        /// One exchange is trying the target after its back-off.
        var probing = false
        /// When a down target may be probed (while probing: when the probe counts as lost).
        var retryAt: UInt64 = 0
        var backoff: UInt64 = 0
        var lastFailure: UInt64 = 0

        var isOut: Bool { down || checkFailed }
    }

    private(set) var states: [State]
    /// Targets down or failing their checks; zero is the common case and skips clock reads.
    private(set) var outCount = 0
    let maxFailures: Int
    let backoff: UInt64
    let maxBackoff: UInt64
    /// A probe that neither succeeded nor failed in this time (its client left) frees the slot.
    let probeWindow: UInt64

    init(targets: Int, config: UpstreamHealthConfig, probeWindow: Duration) {
        states = Array(repeating: State(), count: targets)
        maxFailures = config.maxFailures
        backoff = config.backoff.milliseconds
        maxBackoff = config.maxBackoff.milliseconds
        self.probeWindow = probeWindow.milliseconds
    }

    /// May take a new exchange now: up, or down with its back-off over and no probe out.
    func isAvailable(_ target: Int, now: UInt64) -> Bool {
        let state = states[target]
        return !state.checkFailed && (!state.down || now >= state.retryAt)
    }

    /// The exchange about to use `target` is its probe when it is down.
    mutating func willUse(_ target: Int, now: UInt64) {
        guard states[target].down, now >= states[target].retryAt else { return }
        states[target].probing = true
        states[target].retryAt = now + probeWindow
    }

    /// With every target out: the one whose last failure is oldest (most likely recovered),
    /// skipping `excluded` ones; nil if all are excluded.
    func leastRecentlyFailed(excluding excluded: (Int) -> Bool) -> Int? {
        states.indices.filter { !excluded($0) }.min { states[$0].lastFailure < states[$1].lastFailure }
    }

    /// A connect error, timeout, TLS or protocol failure. Returns the new availability when it changed.
    mutating func failed(_ target: Int, now: UInt64) -> Bool? {
        let (maxFailures, backoff, maxBackoff) = (self.maxFailures, self.backoff, self.maxBackoff)
        return update(target) { state in
            state.failures += 1
            state.lastFailure = now
            if state.down {
                // Only the probe's failure lengthens the back-off; exchanges started before the
                // target went out may still be failing.
                guard state.probing else { return }
                state.probing = false
                state.backoff = min(state.backoff * 2, maxBackoff)
                state.retryAt = now + state.backoff
            } else if maxFailures > 0, state.failures >= maxFailures {
                state.down = true
                state.backoff = backoff
                state.retryAt = now + backoff
            }
        }
    }

    /// An exchange got a valid response.
    mutating func succeeded(_ target: Int) -> Bool? {
        guard states[target].failures > 0 || states[target].down else { return nil }
        return update(target) { state in
            state.failures = 0
            state.down = false
            state.probing = false
        }
    }

    /// An active check's verdict; a passing check also ends a passive back-off.
    mutating func checked(_ target: Int, healthy: Bool, now: UInt64) -> Bool? {
        update(target) { state in
            if healthy {
                state.checkFailed = false
                state.down = false
                state.probing = false
                state.failures = 0
            } else {
                state.checkFailed = true
                state.lastFailure = now
            }
        }
    }

    private mutating func update(_ target: Int, _ change: (inout State) -> Void) -> Bool? {
        let wasOut = states[target].isOut
        change(&states[target])
        let isOut = states[target].isOut
        guard wasOut != isOut else { return nil }
        outCount += isOut ? 1 : -1
        return !isOut
    }
}

extension Duration {
    var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(seconds, 0)) * 1000 + UInt64(max(attoseconds, 0) / 1_000_000_000_000_000)
    }
}
