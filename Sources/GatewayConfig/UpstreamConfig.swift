import GatewayNetwork

/// An `upstreams:` entry.
public struct UpstreamConfig: Sendable {
    public var name: String
    /// Every address of every target, names resolved at load time, duplicates removed (the
    /// first listing wins); each address of a name carries that target's weight.
    public var targets: [UpstreamTarget]
    /// Idle keep-alive connections kept per worker.
    public var maxIdle: Int
    /// How a target is chosen for a new exchange.
    public var balance: UpstreamBalance = .roundRobin
    /// Passive (and optionally active) health checking.
    public var health = UpstreamHealthConfig()
    /// Nil for plain HTTP to the targets.
    public var tls: UpstreamTLSConfig?
    /// The upstream's name key.
    public var location: ConfigLocation
}

/// One address of a `targets:` entry.
public struct UpstreamTarget: Sendable, Hashable {
    public var address: SocketAddress
    /// Relative share of new exchanges, 1-1000 (default 1).
    public var weight: Int
    /// The host as written (a name or an address literal, without brackets): the default TLS
    /// server name and the Host of active checks.
    public var host: String

    public init(address: SocketAddress, weight: Int = 1, host: String) {
        self.address = address
        self.weight = weight
        self.host = host
    }
}

/// `balance:`.
public enum UpstreamBalance: String, Sendable, CaseIterable {
    /// Smooth weighted round-robin (weights interleave: 5,1,1 gives a a b a c a a).
    case roundRobin = "round_robin"
    /// Fewest exchanges in flight relative to weight; ties by weighted round-robin.
    case leastConnections = "least_connections"
}

/// An upstream's `health:` section; `init()` gives the defaults.
public struct UpstreamHealthConfig: Sendable, Equatable {
    /// Consecutive failures (connect errors, timeouts, TLS handshake failures, invalid or
    /// missing responses, `failure_statuses`) that take a target out; 0 turns passive health off.
    public var maxFailures = 3
    /// How long a failed target stays out before one probe request may try it; doubles on each
    /// failed probe up to `maxBackoff`.
    public var backoff: Duration = .seconds(10)
    public var maxBackoff: Duration = .seconds(300)
    /// Upstream response statuses that count as failures (default none: a 5xx is an answer).
    public var failureStatuses: [Int] = []
    /// Nil: no active checks.
    public var check: HealthCheckConfig?

    public init() {}
}

/// `health.check:`: a periodic GET per target.
public struct HealthCheckConfig: Sendable, Equatable {
    /// Origin-form request target, e.g. `/healthz`.
    public var path: String
    public var interval: Duration = .seconds(5)
    /// For the connect (and TLS handshake) plus the status line.
    public var timeout: Duration = .seconds(1)
    /// Statuses that mean healthy.
    public var expect: ClosedRange<Int> = 200...399

    public init(path: String) {
        self.path = path
    }
}

/// An upstream's `tls:` section: the gateway is a TLS client to every target.
public struct UpstreamTLSConfig: Sendable {
    /// Verify the certificate chain and the server name (default true).
    public var verify = true
    /// PEM CA bundle (absolute); nil means the system's default store.
    public var caPath: String?
    /// SNI and the name the certificate must match; nil means each target's host as written.
    public var serverName: String?
    /// Client certificate chain and key (absolute PEM paths), both or neither.
    public var certPath: String?
    public var keyPath: String?
    /// The `tls` mapping.
    public var location: ConfigLocation
    /// The `ca` value, for errors OpenSSL reports when loading it.
    public var caLocation: ConfigLocation?
    /// The `cert` value.
    public var certLocation: ConfigLocation?

    public init(location: ConfigLocation) {
        self.location = location
    }
}
