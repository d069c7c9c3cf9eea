import GatewayNetwork

/// A validated gateway config file. Every element keeps the location of its YAML node, so the
/// engine can report later problems (a certificate OpenSSL rejects, an address it cannot bind)
/// at the right line.
public struct GatewayConfiguration: Sendable {
    /// The file it was loaded from, as given.
    public var path: String
    /// A hex digest of the file's bytes, to tell which config a running gateway has loaded.
    public var sourceHash: String
    /// Worker threads; defaults to the processors available.
    public var workers: Int
    /// Peers whose `X-Forwarded-For` is believed.
    public var trustedProxies: CIDRSet
    public var listeners: [ListenerConfig]
    /// Nil when the config has no `admin:` section (no admin listener).
    public var admin: AdminConfig?
    public var limits: LimitsConfig
    public var timeouts: TimeoutsConfig
    /// In file order.
    public var upstreams: [UpstreamConfig]
    /// In file order.
    public var routes: [RouteConfig]
    /// The `filters:` entries in file order; their plugins and settings are for the engine to check.
    public var filters: [FilterEntry]
    /// Nil when the config has no `redis:` section.
    public var redis: RedisConfig?
    /// Nil when the config has no `events:` section (events go to stderr).
    public var events: EventsConfig?
    /// Nil when the config has no `access_log:` section (no access log).
    public var accessLog: AccessLogConfig?
    /// Nil when the config has no `geo:` section (no lookups, no geo fields in events).
    public var geo: GeoConfig?
    /// The parsed file, for showing the running config (`/config`, secrets redacted).
    public var source: ConfigNode?
}

/// A `listeners:` entry.
public struct ListenerConfig: Sendable {
    public var name: String
    public var address: SocketAddress
    /// Nil for plain HTTP.
    public var tls: TLSConfig?
    /// The listener's mapping.
    public var location: ConfigLocation
    /// The `address` value, for bind errors.
    public var addressLocation: ConfigLocation
}

/// A listener's `tls:` section.
public struct TLSConfig: Sendable {
    /// At least one; the first is the default, the others are chosen by SNI.
    public var certificates: [CertificateConfig]
    public var minVersion: TLSVersion
    /// An OpenSSL TLS 1.2 cipher list; nil means the engine's default.
    public var ciphers: String?
    /// The `ciphers` value, when present.
    public var ciphersLocation: ConfigLocation?
    /// The `tls` mapping.
    public var location: ConfigLocation
}

/// A certificate chain and its private key, both PEM files that existed when loaded.
public struct CertificateConfig: Sendable {
    /// Absolute.
    public var certPath: String
    /// Absolute.
    public var keyPath: String
    /// The `cert` value.
    public var location: ConfigLocation
    /// The `key` value.
    public var keyLocation: ConfigLocation
}

public enum TLSVersion: String, Sendable, CaseIterable {
    case v1_2 = "1.2"
    case v1_3 = "1.3"
}

/// The `admin:` section.
public struct AdminConfig: Sendable {
    /// Loopback unless `allow_remote` is set: the admin endpoints have no authentication.
    public var address: SocketAddress
    /// `allow_remote`: permits a non-loopback `address`.
    public var allowRemote = false
    /// The `address` value.
    public var location: ConfigLocation
}

/// Request limits; `init()` gives the defaults.
public struct LimitsConfig: Sendable, Equatable {
    /// The whole request head; beyond it, 431.
    public var maxHeaderBytes = 16 << 10
    /// Header fields per request; beyond it, 431.
    public var maxHeaders = 100
    /// The request target; beyond it, 414.
    public var maxURIBytes = 8 << 10
    /// The request body; beyond it, 413.
    public var maxBodyBytes = 10 << 20
    /// Open client connections per worker.
    public var maxConnections = 10_000

    public init() {}
}

/// Timeouts; `init()` gives the defaults.
public struct TimeoutsConfig: Sendable, Equatable {
    /// For the whole request head to arrive; then 408.
    public var header: Duration = .seconds(10)
    /// Keep-alive idle time between requests.
    public var idle: Duration = .seconds(75)
    /// Without request-body bytes; then 408.
    public var body: Duration = .seconds(30)
    /// For the client to read what is sent; then the connection closes.
    public var send: Duration = .seconds(30)
    /// For an upstream connection; then 504.
    public var upstreamConnect: Duration = .seconds(5)
    /// Without upstream response bytes; then 504.
    public var upstreamResponse: Duration = .seconds(60)
    /// Pooled upstream keep-alive connections close after this idle time.
    public var upstreamIdle: Duration = .seconds(60)
    /// A WebSocket (or other upgraded) tunnel with no bytes either way closes after this.
    public var tunnelIdle: Duration = .seconds(3600)
    /// After SIGTERM/SIGINT, how long in-flight exchanges get to finish before the gateway closes them.
    public var drain: Duration = .seconds(30)

    public init() {}
}

/// A `routes:` entry.
public struct RouteConfig: Sendable {
    public var name: String
    /// Starts with `/`.
    public var pathPrefix: String
    /// Lowercased names or `*.suffix` wildcards; empty matches any host.
    public var hosts: [String]
    /// Uppercased; empty matches any method.
    public var methods: [String]
    /// Listener names; nil means every listener.
    public var listeners: [String]?
    /// An upstream name.
    public var upstream: String
    /// Filter names, in run order.
    public var filters: [String]
    /// The route's mapping.
    public var location: ConfigLocation
    /// `auth_failure_statuses`: upstream statuses (400-599) that mean "credentials refused" on
    /// this route, each raising an `auth-failure` event (for alert rules); default none.
    public var authFailureStatuses: [Int] = []
}

/// A `filters:` entry: which plugin, and settings only that plugin understands.
public struct FilterEntry: Sendable {
    public var name: String
    public var plugin: String
    /// The `plugin` value, for "unknown plugin" errors.
    public var pluginLocation: ConfigLocation
    /// The entry's mapping without its `plugin` key, for the plugin to read with
    /// `settings.mapping(d, keys: [...])`.
    public var settings: ConfigNode
    /// The filter's name key.
    public var location: ConfigLocation
}
