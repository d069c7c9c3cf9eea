import GatewayConfig
import Synchronization

/// The health of every upstream target as the workers see it, for readiness and metrics.
///
/// Each worker keeps its own health state (no locks on the request path) and reports here only
/// when a target changes between up and down, so a target one worker took out may still be up
/// in another. Read it from any thread with ``snapshot()``; one instance belongs to each
/// ``RuntimeConfig`` (the workers running that config report to it).
public final class UpstreamHealth: Sendable {
    /// One target of one upstream.
    public struct Target: Sendable, Equatable {
        /// `ip:port`.
        public let address: String
        /// The host as configured (a name or an address).
        public let host: String
        public let weight: Int
        /// Workers that currently consider the target down (failed passively or by active check).
        public let downWorkers: Int
        /// Workers running this config.
        public let workers: Int

        /// Up in at least one worker.
        public var isUp: Bool { downWorkers < workers }
    }

    /// One upstream and its targets, in config order.
    public struct Upstream: Sendable, Equatable {
        public let name: String
        public let targets: [Target]

        /// At least one target is up somewhere: requests can be served.
        public var isAvailable: Bool { targets.contains(where: \.isUp) }
    }

    private let upstreams: [UpstreamConfig]
    private let workers: Int
    /// Per upstream, per target: how many workers have it down.
    private let down: Mutex<[[Int]]>

    init(upstreams: [UpstreamConfig], workers: Int) {
        self.upstreams = upstreams
        self.workers = workers
        down = Mutex(upstreams.map { Array(repeating: 0, count: $0.targets.count) })
    }

    /// The current state of every upstream, in config order.
    public func snapshot() -> [Upstream] {
        let counts = down.withLock { $0 }
        return zip(upstreams, counts).map { upstream, counts in
            Upstream(name: upstream.name, targets: zip(upstream.targets, counts).map { target, down in
                Target(address: target.address.description, host: target.host, weight: target.weight,
                       downWorkers: down, workers: workers)
            })
        }
    }

    /// A worker's view of a target changed (called on transitions only).
    func report(upstream: Int, target: Int, isUp: Bool) {
        down.withLock { $0[upstream][target] += isUp ? -1 : 1 }
    }
}
