// Shared pieces of the event tests: records, sink configs, the Redis client view of the
// test Redis. Processes, folders, ports and polling come from TestSupport.

@_exported import TestSupport
import Foundation
import Glibc
@testable import GatewayCore
@testable import GatewayConfig
import GatewayNetwork

func lines(_ text: String) -> [String] {
    text.split(separator: "\n").map(String.init)
}

/// A record like the pipeline makes for a blocked request, numbered so order can be checked.
func sampleRecord(_ number: Int = 0, action: SecurityEvent.Action = .blocked, severity: SecurityEvent.Severity = .high) -> EventRecord {
    EventRecord(
        event: SecurityEvent(name: "ip-denied", action: action, severity: severity, ruleID: "ip.deny.\(number)",
                             ruleName: "client address on the deny list", ruleCategory: "access", filter: "ip-access",
                             reason: "203.0.113.9 is in 203.0.113.0/24", matched: "203.0.113.9",
                             details: ["list": "blocklist"]),
        requestID: "req-\(number)", sourceIP: IPAddress("203.0.113.9"), method: "GET", path: "/patients/\(number)",
        userAgent: "curl/8.5.0", route: "portal", tags: ["geo:new-country"])
}

func parseLine(_ line: some StringProtocol) throws -> JSON { try JSON.parse(String(line)) }

extension RedisServer {
    var redisAddress: RedisAddress { .tcp(SocketAddress(ip: .v4(0x7f00_0001), port: port)) }

    func connect() throws -> RedisConnection { try RedisConnection(address: redisAddress, timeout: .seconds(5)) }

    /// The `event` field of every stream entry, in stream order.
    func streamEvents(_ key: String) throws -> [JSON] {
        guard case .array(let entries) = try connect().command(["XRANGE", key, "-", "+"]) else { return [] }
        return try entries.map { entry in
            guard case .array(let parts) = entry, case .array(let fields) = parts[1],
                  let index = fields.firstIndex(of: .string(Array("event".utf8))), case .string(let json) = fields[index + 1]
            else { throw HarnessError("unexpected entry \(entry)") }
            return try JSON.parse(json)
        }
    }
}

// MARK: - Dispatcher

/// Collects what the dispatcher logs, from its thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    @Sendable func append(_ line: String) { lock.withLock { collected.append(line) } }

    var lines: [String] { lock.withLock { collected } }
}

extension EventsConfig {
    init(_ sinks: [EventSinkConfig], queue: Int = 10_000, spool: String? = nil, spoolMax: Int = 100 << 20) {
        self.init(sinks: sinks, location: ConfigLocation(file: "test.yaml", line: 1, column: 1))
        queueCapacity = queue
        spoolDirectory = spool
        spoolMaxBytes = spoolMax
    }
}

extension EventSinkConfig {
    init(_ name: String, _ kind: Kind) {
        self.init(name: name, kind: kind, location: ConfigLocation(file: "test.yaml", line: 1, column: 1))
    }

    static func redis(_ server: RedisServer, stream: String = "gateway:events", name: String = "redis") -> EventSinkConfig {
        redis(server.redisAddress, stream: stream, name: name)
    }

    static func redis(_ address: RedisAddress, stream: String = "gateway:events", name: String = "redis") -> EventSinkConfig {
        var sink = RedisStreamSinkConfig(redis: RedisConfig(address: address, location: ConfigLocation(file: "test.yaml", line: 1, column: 1)))
        sink.stream = stream
        sink.timeout = .milliseconds(500)
        return EventSinkConfig(name, .redisStream(sink))
    }
}

extension EventDispatcher {
    /// Waits until every sink has delivered everything it holds.
    func waitUntilDelivered(timeout: Double = 30) -> Bool {
        eventually(timeout: timeout) { stats.allSatisfy { $0.queued == 0 && $0.spooled == 0 } }
    }
}
