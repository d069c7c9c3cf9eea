/// How a request's filters decided, a label of `gateway_requests_total`.
enum RequestVerdict: Int, CaseIterable {
    /// Every filter of the route proceeded (or it has none): the request went upstream.
    case passed
    /// A filter answered it locally (403, 429, a preflight...).
    case blocked
    /// The gateway answered before any filter ran: no route (404) or a protocol error.
    case rejected

    var label: String {
        switch self {
        case .passed: "passed"
        case .blocked: "blocked"
        case .rejected: "rejected"
        }
    }
}

/// One worker's counters. Only the worker's loop thread writes or reads them, with plain
/// stores: no atomics or locks on the request path, a few array increments per request. A
/// scrape runs ``Worker/metricsSample()`` on each worker's loop and sums the copies.
///
/// Per-route and per-upstream counters live in slots allocated by name, never freed, so a
/// counter keeps growing across reloads (Prometheus counters must not go back).
final class WorkerMetrics {
    /// `none` (no response was sent: the client went away), then 1xx-5xx.
    static let statusClasses = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"]
    /// Upper bounds of `gateway_request_duration_seconds`, in microseconds (a last bucket is +Inf).
    static let latencyBoundsMicros: [Int64] = [1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
                                               1_000_000, 2_500_000, 5_000_000, 10_000_000]
    static let perRoute = statusClasses.count * RequestVerdict.allCases.count
    /// Connect errors, timeouts, retries.
    static let perUpstream = 3

    /// Slot 0 is "no route".
    private(set) var routeNames: [String] = [""]
    private(set) var requests = [Int](repeating: 0, count: perRoute)
    private(set) var latencyBuckets = [Int](repeating: 0, count: latencyBoundsMicros.count + 1)
    private(set) var latencySumMicros: Int64 = 0
    private(set) var upstreamNames: [String] = []
    private(set) var upstreamCounters: [Int] = []
    var tlsHandshakes = 0
    var tlsHandshakeFailures = 0
    var upstreamTLSHandshakes = 0
    var upstreamTLSResumed = 0

    func routeSlot(_ name: String) -> Int {
        if let slot = routeNames.firstIndex(of: name), slot > 0 { return slot }
        routeNames.append(name)
        requests.append(contentsOf: repeatElement(0, count: WorkerMetrics.perRoute))
        return routeNames.count - 1
    }

    func upstreamSlot(_ name: String) -> Int {
        if let slot = upstreamNames.firstIndex(of: name) { return slot }
        upstreamNames.append(name)
        upstreamCounters.append(contentsOf: repeatElement(0, count: WorkerMetrics.perUpstream))
        return upstreamNames.count - 1
    }

    /// One finished request: `routeSlot` 0 when it had no route, `status` 0 when nothing was sent.
    func recordRequest(routeSlot: Int, status: Int, verdict: RequestVerdict, durationMicros: Int64) {
        let statusClass = status >= 100 && status < 600 ? status / 100 : 0
        requests[routeSlot * WorkerMetrics.perRoute + statusClass * RequestVerdict.allCases.count + verdict.rawValue] += 1
        var bucket = 0
        while bucket < WorkerMetrics.latencyBoundsMicros.count, durationMicros > WorkerMetrics.latencyBoundsMicros[bucket] {
            bucket += 1
        }
        latencyBuckets[bucket] += 1
        latencySumMicros += durationMicros
    }

    enum UpstreamCounter: Int {
        case connectError, timeout, retry
    }

    func count(_ counter: UpstreamCounter, upstreamSlot: Int) {
        upstreamCounters[upstreamSlot * WorkerMetrics.perUpstream + counter.rawValue] += 1
    }

    func sample(downstreamConnections: Int, upstreamConnections: Int) -> MetricsSample {
        var sample = MetricsSample()
        for (slot, name) in routeNames.enumerated() {
            let start = slot * WorkerMetrics.perRoute
            sample.requests[name] = Array(requests[start..<start + WorkerMetrics.perRoute])
        }
        for (slot, name) in upstreamNames.enumerated() {
            let start = slot * WorkerMetrics.perUpstream
            sample.upstreams[name] = Array(upstreamCounters[start..<start + WorkerMetrics.perUpstream])
        }
        sample.latencyBuckets = latencyBuckets
        sample.latencySumMicros = latencySumMicros
        sample.tlsHandshakes = tlsHandshakes
        sample.tlsHandshakeFailures = tlsHandshakeFailures
        sample.upstreamTLSHandshakes = upstreamTLSHandshakes
        sample.upstreamTLSResumed = upstreamTLSResumed
        sample.downstreamConnections = downstreamConnections
        sample.upstreamConnections = upstreamConnections
        return sample
    }
}

/// Counters and gauges of one worker, or the sum of several: what `/metrics` renders.
struct MetricsSample: Sendable {
    /// Route name ("" for none) -> counts by status class and verdict (``WorkerMetrics/perRoute``).
    var requests: [String: [Int]] = [:]
    /// Upstream name -> connect errors, timeouts, retries.
    var upstreams: [String: [Int]] = [:]
    /// Non-cumulative, one per bound of ``WorkerMetrics/latencyBoundsMicros`` plus +Inf.
    var latencyBuckets = [Int](repeating: 0, count: WorkerMetrics.latencyBoundsMicros.count + 1)
    var latencySumMicros: Int64 = 0
    var tlsHandshakes = 0
    var tlsHandshakeFailures = 0
    var upstreamTLSHandshakes = 0
    var upstreamTLSResumed = 0
    var downstreamConnections = 0
    var upstreamConnections = 0
    /// The workers' Redis clients (nil without `redis:`), and how many have their breaker open.
    var redis: RedisClient.Stats?
    var redisBreakersOpen = 0

    mutating func add(_ other: MetricsSample) {
        requests.merge(other.requests) { zip($0, $1).map(+) }
        upstreams.merge(other.upstreams) { zip($0, $1).map(+) }
        latencyBuckets = zip(latencyBuckets, other.latencyBuckets).map(+)
        latencySumMicros += other.latencySumMicros
        tlsHandshakes += other.tlsHandshakes
        tlsHandshakeFailures += other.tlsHandshakeFailures
        upstreamTLSHandshakes += other.upstreamTLSHandshakes
        upstreamTLSResumed += other.upstreamTLSResumed
        downstreamConnections += other.downstreamConnections
        upstreamConnections += other.upstreamConnections
        if let theirs = other.redis { redis = (redis ?? RedisClient.Stats()) + theirs }
        redisBreakersOpen += other.redisBreakersOpen
    }
}
