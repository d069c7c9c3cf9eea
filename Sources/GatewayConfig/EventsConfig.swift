import GatewayNetwork

/// The top-level `redis:` section: the one Redis server the gateway talks to, shared by
/// everything that needs one (the `redis_stream` event sink, rate limits).
public struct RedisConfig: Sendable {
    public var address: RedisAddress
    /// For connecting and for each command of callers on a request's path; a dependency that
    /// answers later counts as down.
    public var timeout: Duration = .milliseconds(50)
    /// Sent with `AUTH` after connecting.
    public var password: String?
    /// Chosen with `SELECT` after connecting.
    public var database = 0
    /// Prepended to every key the gateway writes, so several gateways can share a server.
    public var keyPrefix = ""
    /// `circuit_breaker`: when request-path callers stop waiting on a failing server.
    public var circuitBreaker = CircuitBreakerConfig()
    /// The `redis` mapping.
    public var location: ConfigLocation
}

/// `redis.circuit_breaker`: after `failures` failed calls in a row (timeouts, lost connection),
/// calls fail at once for `open_for`, then one probe goes out; while probes fail the wait
/// doubles up to `max_open_for`.
public struct CircuitBreakerConfig: Sendable {
    public var failures = 3
    public var openFor: Duration = .seconds(1)
    public var maxOpenFor: Duration = .seconds(30)
    public init() {}
}

/// Where Redis listens: `host:port` (the name resolved when loaded) or `unix:/path`.
public enum RedisAddress: Sendable, Hashable, CustomStringConvertible {
    case tcp(SocketAddress)
    case unix(path: String)

    /// Parses `127.0.0.1:6379`, `redis.internal:6379` (resolved now, blocking: the first
    /// address) or `unix:/run/redis.sock`.
    public init(parsing text: String) throws(AddressError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else {
                throw AddressError("invalid Redis address '\(text)': expected an absolute socket path such as unix:/run/redis.sock")
            }
            self = .unix(path: path)
        } else {
            self = .tcp(try SocketAddress.resolve(text)[0])
        }
    }

    public var description: String {
        switch self {
        case .tcp(let address): address.description
        case .unix(let path): "unix:" + path
        }
    }
}

/// The `events:` section: where security events go, and how much is kept while a sink is down.
public struct EventsConfig: Sendable {
    /// At least one; delivered to all, each in order and at least once.
    public var sinks: [EventSinkConfig]
    /// `queue`: events held in memory per sink while it is slow or down.
    public var queueCapacity = 10_000
    /// `spool_dir`: where each sink's overflow is kept on disk (one folder per sink), and what
    /// `stop()` could not deliver in time. Nil: no spool, the overflow is dropped (and counted).
    public var spoolDirectory: String?
    /// `spool_max`: the on-disk bound per sink; beyond it events are dropped (and counted).
    public var spoolMaxBytes = 100 << 20
    /// `flush_timeout`: how long shutdown waits for sinks before spooling the rest.
    public var flushTimeout: Duration = .seconds(5)
    /// The `events` mapping.
    public var location: ConfigLocation
    /// `alerts`: threshold rules over the events, evaluated on the dispatcher thread.
    public var alerts: [AlertRuleConfig] = []
    /// `deny_list`: the temporary deny list alerts with `deny_for` fill.
    public var denyList = DenyListConfig()
}

/// An `events.sinks` entry.
public struct EventSinkConfig: Sendable {
    public enum Kind: Sendable {
        case file(FileSinkConfig)
        case redisStream(RedisStreamSinkConfig)
        case syslog(SyslogSinkConfig)
    }

    /// `name`, by default the `type`; unique. Names the sink in stats, logs and the spool folder.
    public var name: String
    public var kind: Kind
    /// The sink's mapping.
    public var location: ConfigLocation
}

/// `type: file`: JSON lines appended to a file.
public struct FileSinkConfig: Sendable {
    /// Absolute.
    public var path: String
    /// `max_size`: rotate (`path` -> `path.1` -> ... -> `path.<keep>`) before the file would
    /// grow past this. Nil: never rotate (external logrotate reopens with SIGUSR1).
    public var maxSize: Int?
    /// `keep`: rotated files kept.
    public var keep = 5
}

/// `type: redis_stream`: `XADD` to a stream on the top-level `redis:` server.
public struct RedisStreamSinkConfig: Sendable {
    /// `stream`: the key, after `redis.key_prefix`.
    public var stream = "gateway:events"
    /// `max_len`: trimmed with `MAXLEN ~`, so roughly this many entries are kept.
    public var maxLength = 1_000_000
    /// `timeout`: per connect and per batch. Not `redis.timeout`, which is a budget for
    /// requests in flight; the sink runs on its own thread and can afford to wait.
    public var timeout: Duration = .seconds(1)
    public var redis: RedisConfig
}

/// `type: syslog`: RFC 5424 messages, the event JSON as MSG.
public struct SyslogSinkConfig: Sendable {
    public enum Transport: String, Sendable {
        /// One message per datagram (RFC 5426).
        case udp
        /// Octet-counting framing (RFC 6587).
        case tcp
    }

    public var transport: Transport
    /// `address`: `udp://host:port` or `tcp://host:port`, the name resolved when loaded.
    public var address: SocketAddress
    /// `facility`: a name (`local0`, `auth`, ...) stored as its code.
    public var facility = 16
    /// `app_name`: 1-48 printable ASCII characters.
    public var appName = "gateway"
    /// `hostname`: nil means the observer name the gateway runs with.
    public var hostname: String?

    /// RFC 5424 facility names in code order.
    public static let facilities = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ]
}

// MARK: - Reading

extension ConfigurationDecoder {
    func redis(_ node: ConfigNode) -> RedisConfig? {
        let keys = ["address", "timeout", "password", "database", "key_prefix", "circuit_breaker"]
        guard let m = node.mapping(d, keys: keys, required: ["address"], in: "redis") else { return nil }
        let address = m["address"].flatMap(redisAddress)
        var redis = address.map { RedisConfig(address: $0, location: m.location) }
        if let timeout = m["timeout"]?.duration(d) { redis?.timeout = timeout }
        if let password = m["password"]?.string(d) { redis?.password = password }
        if let database = m["database"]?.int(d, range: 0...Int(Int32.max)) { redis?.database = database }
        if let prefix = m["key_prefix"]?.string(d) { redis?.keyPrefix = prefix }
        if let node = m["circuit_breaker"], let breaker = circuitBreaker(node) { redis?.circuitBreaker = breaker }
        return redis
    }

    private func circuitBreaker(_ node: ConfigNode) -> CircuitBreakerConfig? {
        guard let m = node.mapping(d, keys: ["failures", "open_for", "max_open_for"], in: "redis.circuit_breaker") else { return nil }
        var breaker = CircuitBreakerConfig()
        if let failures = m["failures"]?.int(d, range: 1...1000) { breaker.failures = failures }
        if let openFor = m["open_for"]?.duration(d) { breaker.openFor = openFor }
        if let maxOpenFor = m["max_open_for"]?.duration(d) { breaker.maxOpenFor = maxOpenFor }
        if breaker.maxOpenFor < breaker.openFor {
            m["max_open_for"]?.error(d, "max_open_for (\(breaker.maxOpenFor)) is shorter than open_for (\(breaker.openFor))")
        }
        return breaker
    }

    private func redisAddress(_ node: ConfigNode) -> RedisAddress? {
        guard let text = node.string(d) else { return nil }
        do {
            return try RedisAddress(parsing: text)
        } catch {
            node.error(d, error.message)
            return nil
        }
    }

    /// `redis` is the top-level section a `redis_stream` sink uses; nil when there is none.
    mutating func events(_ node: ConfigNode, redis: RedisConfig?, redisDeclared: Bool) -> EventsConfig? {
        let keys = ["sinks", "queue", "spool_dir", "spool_max", "flush_timeout", "alerts", "deny_list"]
        guard let m = node.mapping(d, keys: keys, required: ["sinks"], in: "events") else { return nil }
        var names: [String: ConfigLocation] = [:]
        var sinkNodes: [ConfigNode] = []
        if let sinksNode = m["sinks"], let items = sinksNode.list(d) {
            if items.isEmpty { sinksNode.error(d, "at least one sink is required") }
            sinkNodes = items
        }
        let sinks = sinkNodes.compactMap { sink($0, redis: redis, redisDeclared: redisDeclared, names: &names) }
        var events = EventsConfig(sinks: sinks, location: m.location)
        if let queue = m["queue"]?.int(d, range: 1...10_000_000) { events.queueCapacity = queue }
        events.spoolDirectory = m["spool_dir"]?.filePath(d, mustExist: false)
        if let spoolMax = m["spool_max"]?.byteSize(d, range: (1 << 20)...Int.max) { events.spoolMaxBytes = spoolMax }
        if let flushTimeout = m["flush_timeout"]?.duration(d) { events.flushTimeout = flushTimeout }
        if let alertsNode = m["alerts"] { events.alerts = alerts(alertsNode) }
        events.denyList = denyList(m["deny_list"], redis: redis)
        return sinks.count == sinkNodes.count ? events : nil
    }

    private func sink(_ node: ConfigNode, redis: RedisConfig?, redisDeclared: Bool, names: inout [String: ConfigLocation]) -> EventSinkConfig? {
        let types = ["file", "redis_stream", "syslog"]
        guard let untyped = node.mapping(d) else { return nil }
        guard let typeNode = untyped["type"] else {
            d.error("missing required key 'type' in event sink (\(types.joined(separator: ", ")))", at: untyped.location)
            return nil
        }
        guard let type = typeNode.oneOf(d, types) else { return nil }
        let (keys, required): ([String], [String]) = switch type {
        case "file": (["path", "max_size", "keep"], ["path"])
        case "redis_stream": (["stream", "max_len", "timeout"], [])
        default: (["address", "facility", "app_name", "hostname"], ["address"])
        }
        guard let m = node.mapping(d, keys: ["type", "name"] + keys, required: required, in: "\(type) sink") else { return nil }

        let name = m["name"].map(sinkName) ?? type
        if let name, let first = names[name] {
            (m["name"] ?? typeNode).error(d, "duplicate sink name '\(name)'; first used at line \(first.line)"
                + (m["name"] == nil ? " (give each sink of the same type a 'name')" : ""))
        } else if let name {
            names[name] = (m["name"] ?? typeNode).location
        }

        let kind: EventSinkConfig.Kind?
        switch type {
        case "file":
            kind = fileSink(m).map { .file($0) }
        case "redis_stream":
            if !redisDeclared { typeNode.error(d, "a redis_stream sink needs the top-level 'redis:' section (address, ...)") }
            kind = redisStreamSink(m, redis: redis).map { .redisStream($0) }
        default:
            kind = syslogSink(m).map { .syslog($0) }
        }
        guard let name, let kind else { return nil }
        return EventSinkConfig(name: name, kind: kind, location: m.location)
    }

    /// Letters, digits, `-` and `_`: a sink's name is also its spool folder's.
    private func sinkName(_ node: ConfigNode) -> String? {
        guard let name = node.string(d) else { return nil }
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            node.error(d, "invalid sink name \(node.found); use letters, digits, '-' and '_'")
            return nil
        }
        return name
    }

    private func fileSink(_ m: ConfigMapping) -> FileSinkConfig? {
        let path = m["path"]?.filePath(d, mustExist: false)
        let maxSize = m["max_size"]?.byteSize(d, range: 4096...Int.max)
        let keep = m["keep"]?.int(d, range: 1...1000)
        guard let path else { return nil }
        var file = FileSinkConfig(path: path, maxSize: maxSize)
        if let keep { file.keep = keep }
        return file
    }

    private func redisStreamSink(_ m: ConfigMapping, redis: RedisConfig?) -> RedisStreamSinkConfig? {
        let stream = m["stream"]?.string(d)
        if stream == "" { m["stream"]?.error(d, "expected a stream key, found an empty string") }
        let maxLength = m["max_len"]?.int(d, range: 1...Int.max)
        let timeout = m["timeout"]?.duration(d)
        guard let redis, stream != "" else { return nil }
        var sink = RedisStreamSinkConfig(redis: redis)
        if let stream { sink.stream = stream }
        if let maxLength { sink.maxLength = maxLength }
        if let timeout { sink.timeout = timeout }
        return sink
    }

    private func syslogSink(_ m: ConfigMapping) -> SyslogSinkConfig? {
        let endpoint = m["address"].flatMap(syslogAddress)
        let facility = m["facility"]?.oneOf(d, SyslogSinkConfig.facilities).flatMap(SyslogSinkConfig.facilities.firstIndex)
        let appName = m["app_name"].flatMap { syslogName($0, maxLength: 48) }
        let hostname = m["hostname"].flatMap { syslogName($0, maxLength: 255) }
        guard let endpoint else { return nil }
        var syslog = SyslogSinkConfig(transport: endpoint.transport, address: endpoint.address)
        if let facility { syslog.facility = facility }
        if let appName { syslog.appName = appName }
        syslog.hostname = hostname
        return syslog
    }

    private func syslogAddress(_ node: ConfigNode) -> (transport: SyslogSinkConfig.Transport, address: SocketAddress)? {
        guard let text = node.string(d) else { return nil }
        guard let separator = text.range(of: "://"),
              let transport = SyslogSinkConfig.Transport(rawValue: String(text[..<separator.lowerBound]))
        else {
            node.error(d, "expected a syslog address such as udp://127.0.0.1:514 or tcp://logs.internal:601, found \(node.found)")
            return nil
        }
        do {
            return (transport, try SocketAddress.resolve(String(text[separator.upperBound...]))[0])
        } catch {
            node.error(d, error.message)
            return nil
        }
    }

    /// RFC 5424 header fields: printable ASCII without spaces.
    private func syslogName(_ node: ConfigNode, maxLength: Int) -> String? {
        guard let text = node.string(d) else { return nil }
        guard (1...maxLength).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            node.error(d, "expected 1 to \(maxLength) printable ASCII characters without spaces, found \(node.found)")
            return nil
        }
        return text
    }
}
