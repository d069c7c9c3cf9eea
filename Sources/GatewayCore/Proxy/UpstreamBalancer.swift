/// Chooses an upstream's target for each new exchange, per worker (no locks, no sharing):
/// smooth weighted round-robin as nginx does it (weights 5,1,1 give a a b a c a a, not
/// a a a a a b c), or, for least-connections, the fewest exchanges in flight relative to
/// weight, ties broken by the same weighted round-robin.
struct UpstreamBalancer {
    let weights: [Int]
    let leastConnections: Bool
    /// Smooth round-robin state: each pick adds every candidate's weight, takes the largest,
    /// and subtracts the candidates' total from the winner.
    private var current: [Int]
    /// Exchanges in flight per target (upstream connections owned by a client connection).
    private(set) var inFlight: [Int]

    init(weights: [Int], leastConnections: Bool) {
        self.weights = weights
        self.leastConnections = leastConnections
        current = Array(repeating: 0, count: weights.count)
        inFlight = Array(repeating: 0, count: weights.count)
    }

    /// The next target among those `eligible` allows; nil when it allows none.
    mutating func pick(where eligible: (Int) -> Bool) -> Int? {
        var least = -1
        if leastConnections {
            for target in weights.indices where eligible(target) {
                if least < 0 || load(target, below: least) { least = target }
            }
            guard least >= 0 else { return nil }
        }
        var total = 0
        var best = -1
        for target in weights.indices where eligible(target) {
            // Least-connections: only the targets tied for the lowest load take part.
            if least >= 0, load(least, below: target) { continue }
            current[target] += weights[target]
            total += weights[target]
            if best < 0 || current[target] > current[best] { best = target }
        }
        guard best >= 0 else { return nil }
        current[best] -= total
        return best
    }

    /// in-flight(a)/weight(a) < in-flight(b)/weight(b), without division.
    private func load(_ a: Int, below b: Int) -> Bool {
        inFlight[a] * weights[b] < inFlight[b] * weights[a]
    }

    mutating func exchangeStarted(on target: Int) { inFlight[target] += 1 }
    mutating func exchangeEnded(on target: Int) { inFlight[target] -= 1 }
}
