import Glibc
import GatewayNetwork

/// A ``SecurityEvent`` with the context of where it happened: what the sinks serialize.
public struct EventRecord: Sendable {
    public var event: SecurityEvent
    /// Wall-clock time of the emit, in milliseconds since the Unix epoch (`@timestamp`).
    public var timestampMilliseconds: Int64
    /// `trace.id`: the request id (also in X-Request-ID and the access log); nil for events
    /// not about one request (config reloads, aggregated TLS failures).
    public var requestID: String?
    public var sourceIP: IPAddress?
    public var method: String?
    /// `url.path`: the normalised path, never the query string.
    public var path: String?
    /// `user_agent.original`, truncated.
    public var userAgent: String?
    public var route: String?
    public var tags: [String]

    public init(event: SecurityEvent, timestampMilliseconds: Int64 = EventRecord.now(), requestID: String? = nil,
                sourceIP: IPAddress? = nil, method: String? = nil, path: String? = nil, userAgent: String? = nil,
                route: String? = nil, tags: [String] = []) {
        self.event = event
        self.timestampMilliseconds = timestampMilliseconds
        self.requestID = requestID
        self.sourceIP = sourceIP
        self.method = method
        self.path = path
        self.userAgent = userAgent
        self.route = route
        self.tags = tags
    }

    public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}

/// Where finished exchanges' events go. Called on worker threads: it must never block.
public protocol EventPublisher: AnyObject, Sendable {
    func publish(_ record: EventRecord)
}

/// The publisher used when no `events:` sinks are configured: events are written to stderr,
/// one JSON-ish line each, so nothing is silently lost.
final class StderrEventPublisher: EventPublisher {
    func publish(_ record: EventRecord) {
        let line = "gateway: event \(record.event.name) action=\(record.event.action.rawValue) rule=\(record.event.ruleID) "
            + "trace.id=\(record.requestID ?? "-") source.ip=\(record.sourceIP?.description ?? "-")\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
