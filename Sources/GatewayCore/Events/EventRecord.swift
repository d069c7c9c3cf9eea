import CGatewayOpenSSL
import Glibc
import GatewayNetwork

/// A ``SecurityEvent`` with the context of where it happened: what the sinks serialize.
public struct EventRecord: Sendable {
    public var event: SecurityEvent
    /// `event.id`: a random UUID (version 4), made when the event is raised. Sinks deliver at
    /// least once, so consumers deduplicate on it.
    public var id: String
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
    /// `source.geo`, when a geo database knows the source address.
    public var sourceGeo: GeoLocation?
    /// `source.as`, when a geo database knows the source address.
    public var sourceAS: AutonomousSystem?

    public init(event: SecurityEvent, timestampMilliseconds: Int64 = EventRecord.now(), requestID: String? = nil,
                sourceIP: IPAddress? = nil, method: String? = nil, path: String? = nil, userAgent: String? = nil,
                route: String? = nil, tags: [String] = [], id: String = EventRecord.makeID()) {
        self.event = event
        self.id = id
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

    /// A random (version 4) UUID in its 36-character lowercase form.
    public static func makeID() -> String {
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { _ = RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32($0.count)) }
        words.0 = words.0 & ~0xf000 | 0x4000  // version 4
        words.1 = words.1 & ~(0xc << 60) | 0x8 << 60  // variant 10
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            for nibble in 0..<32 {
                if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                    buffer[index] = UInt8(ascii: "-")
                    index += 1
                }
                let word = nibble < 16 ? words.0 : words.1
                buffer[index] = hexDigits[Int(word >> UInt64(60 - 4 * (nibble % 16)) & 0xf)]
                index += 1
            }
            return 36
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// `source.geo`: ECS geo fields, each omitted when unknown.
public struct GeoLocation: Sendable {
    public var countryISOCode: String?
    public var countryName: String?
    public var continentCode: String?
    public var regionISOCode: String?
    public var regionName: String?
    public var cityName: String?
    public var latitude: Double?
    public var longitude: Double?

    public init(countryISOCode: String? = nil, countryName: String? = nil, continentCode: String? = nil, regionISOCode: String? = nil,
                regionName: String? = nil, cityName: String? = nil, latitude: Double? = nil, longitude: Double? = nil) {
        self.countryISOCode = countryISOCode
        self.countryName = countryName
        self.continentCode = continentCode
        self.regionISOCode = regionISOCode
        self.regionName = regionName
        self.cityName = cityName
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// `source.as`: the autonomous system an address belongs to.
public struct AutonomousSystem: Sendable {
    public var number: Int
    public var organizationName: String?

    public init(number: Int, organizationName: String? = nil) {
        self.number = number
        self.organizationName = organizationName
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
