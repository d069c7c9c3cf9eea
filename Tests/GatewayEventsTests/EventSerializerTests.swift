import Testing
@testable import GatewayCore
import GatewayNetwork

@Suite("Event serializer: ECS JSON, escaping, caps, no leakage")
struct EventSerializerTests {
    let serializer = EventSerializer(observerName: "gw-test-1")

    func serialize(_ record: EventRecord) throws -> (bytes: [UInt8], json: JSON) {
        let bytes = serializer.json(record)
        return (bytes, try JSON.parse(bytes))
    }

    @Test("a blocked request becomes the documented ECS fields")
    func fields() throws {
        var record = sampleRecord(7)
        record.timestampMilliseconds = 1_772_368_496_789  // 2026-03-01T12:34:56.789Z
        let (_, json) = try serialize(record)
        #expect(json["@timestamp"]?.string == "2026-03-01T12:34:56.789Z")
        #expect(json["ecs.version"]?.string == EventSerializer.ecsVersion)
        #expect(json["event.id"]?.string == record.id)
        #expect(json["event.kind"] == .string("alert"))
        #expect(json["event.category"] == .array([.string("web")]))
        #expect(json["event.type"] == .array([.string("denied")]))
        #expect(json["event.action"]?.string == "ip-denied")
        #expect(json["event.outcome"]?.string == "failure")
        #expect(json["event.severity"] == .integer(73))
        #expect(json["event.reason"]?.string == "203.0.113.9 is in 203.0.113.0/24")
        #expect(json["observer.name"]?.string == "gw-test-1")
        #expect(json["observer.type"]?.string == "gateway")
        #expect(json["observer.version"]?.string == GatewayVersion.current)
        #expect(json["trace.id"]?.string == "req-7")
        #expect(json["source.ip"]?.string == "203.0.113.9")
        #expect(json["http.request.method"]?.string == "GET")
        #expect(json["url.path"]?.string == "/patients/7")
        #expect(json["user_agent.original"]?.string == "curl/8.5.0")
        #expect(json["rule.id"]?.string == "ip.deny.7")
        #expect(json["rule.name"]?.string == "client address on the deny list")
        #expect(json["rule.category"]?.string == "access")
        #expect(json["gateway.action"]?.string == "blocked")
        #expect(json["gateway.route"]?.string == "portal")
        #expect(json["gateway.filter"]?.string == "ip-access")
        #expect(json["gateway.matched"]?.string == "203.0.113.9")
        #expect(json["gateway.tags"] == .array([.string("geo:new-country")]))
        #expect(json["gateway.list"]?.string == "blocklist")
        #expect(json["source.geo"] == nil && json["gateway.matched_truncated"] == nil)
    }

    @Test("outcome and severity follow the action and the severity scale", arguments: [
        (SecurityEvent.Action.blocked, SecurityEvent.Severity.critical, "failure", 99),
        (.flagged, .medium, "success", 47),
        (.allowed, .low, "success", 21),
    ])
    func outcome(action: SecurityEvent.Action, severity: SecurityEvent.Severity, outcome: String, number: Int) throws {
        let (_, json) = try serialize(sampleRecord(action: action, severity: severity))
        #expect(json["event.outcome"]?.string == outcome)
        #expect(json["event.severity"] == .integer(number))
        #expect(json["gateway.action"]?.string == action.rawValue)
    }

    @Test("an error event is a failure even when the request was not blocked")
    func errorOutcome() throws {
        var record = sampleRecord(action: .flagged)
        record.event.type = ["error"]
        #expect(try serialize(record).json["event.outcome"]?.string == "failure")
    }

    @Test("timestamps are RFC 3339 UTC with milliseconds", arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (951_782_400_001, "2000-02-29T00:00:00.001Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (4_102_444_800_000, "2100-01-01T00:00:00.000Z"),
    ])
    func timestamps(milliseconds: Int64, text: String) {
        var out: [UInt8] = []
        EventSerializer.appendTimestamp(milliseconds, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)
    }

    @Test("event ids are random version 4 UUIDs")
    func ids() {
        let ids = (0..<1000).map { _ in EventRecord.makeID() }
        #expect(Set(ids).count == 1000)
        for id in ids.prefix(20) {
            #expect(try! Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").wholeMatch(in: id) != nil, "\(id)")
        }
    }

    @Test("strings are escaped: quotes, backslashes, control characters, DEL, non-ASCII; output is ASCII")
    func escaping() throws {
        var record = sampleRecord()
        let nasty = "a\"b\\c\n\r\t\u{0}\u{1F}\u{7F}é€😀\u{202E}/"
        record.event.reason = nasty
        record.userAgent = "Mozilla\n{\"injected\":true}"
        let (bytes, json) = try serialize(record)
        #expect(bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "only printable ASCII on the line")
        #expect(json["event.reason"]?.string == nasty)
        #expect(json["user_agent.original"]?.string == "Mozilla\n{\"injected\":true}")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"a\"b\\c\n\r\t\u0000\u001f\u007f\u00e9\u20ac\ud83d\ude00\u202e/"#))
    }

    @Test("invalid UTF-8 becomes U+FFFD, one per maximal ill-formed part", arguments: [
        ([0x61, 0xFF, 0x62], "a\u{FFFD}b"),
        ([0xC0, 0xAF], "\u{FFFD}\u{FFFD}"),  // overlong '/'
        ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),  // a surrogate
        ([0xE2, 0x82], "\u{FFFD}"),  // truncated €
        ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),  // above U+10FFFF
        ([0xF0, 0x9F, 0x98, 0x80], "😀"),
    ] as [([UInt8], String)])
    func invalidUTF8(bytes: [UInt8], expected: String) throws {
        var writer = JSONWriter()
        writer.string("v", bytes: bytes)
        let json = try JSON.parse(writer.finish())
        #expect(json["v"]?.string == expected)
    }

    @Test("gateway.matched keeps printable ASCII, escapes other bytes and backslash as \\xNN, caps at 256 bytes")
    func matched() throws {
        var record = sampleRecord()
        record.event.matched = "' OR 1=1--\u{0}\n\\é"
        let (_, json) = try serialize(record)
        #expect(json["gateway.matched"]?.string == #"' OR 1=1--\x00\x0a\x5c\xc3\xa9"#)
        #expect(json["gateway.matched_truncated"] == nil)

        record.event.matched = String(repeating: "A", count: 254) + "\u{1}\u{1}"
        let (_, capped) = try serialize(record)
        #expect(capped["gateway.matched"]?.string == String(repeating: "A", count: 254), "an escape is never cut in half")
        #expect(capped["gateway.matched_truncated"] == .bool(true))

        record.event.matched = String(repeating: "<script>", count: 100)
        let (_, long) = try serialize(record)
        #expect(long["gateway.matched"]?.string?.utf8.count == 256)
    }

    @Test("free text is capped at a character boundary")
    func caps() throws {
        var record = sampleRecord()
        record.userAgent = String(repeating: "é", count: 1000)  // 2 bytes each
        record.path = "/" + String(repeating: "a", count: 10_000)
        record.event.reason = String(repeating: "r", count: 5000)
        record.event.details = ["note": String(repeating: "n", count: 5000)]
        record.tags = (0..<100).map { "tag\($0)" }
        let (_, json) = try serialize(record)
        #expect(json["user_agent.original"]?.string == String(repeating: "é", count: 256))
        #expect(json["url.path"]?.string?.utf8.count == EventSerializer.Limit.path)
        #expect(json["event.reason"]?.string?.utf8.count == EventSerializer.Limit.reason)
        #expect(json["gateway.note"]?.string?.utf8.count == EventSerializer.Limit.detail)
        #expect(json["gateway.tags"]?.items.count == EventSerializer.Limit.tags)
    }

    @Test("query strings, fragments, cookies and credentials never reach an event")
    func noLeakage() throws {
        var record = sampleRecord()
        record.path = "/login?password=hunter2&session=Zm9vYmFy#token=abc"
        let (bytes, json) = try serialize(record)
        #expect(json["url.path"]?.string == "/login")
        let text = String(decoding: bytes, as: UTF8.self)
        for secret in ["hunter2", "Zm9vYmFy", "token=abc", "password", "?"] {
            #expect(!text.contains(secret), "\(secret) leaked: \(text)")
        }
        // The record has no field for headers, cookies or bodies; the serializer writes only
        // the documented names (checked against the schema, which forbids any other).
        let topLevel = Set(json.members.map(\.key))
        #expect(topLevel.isSubset(of: ["@timestamp", "ecs", "event", "observer", "trace", "source", "http", "url", "user_agent", "rule", "gateway"]))
    }

    @Test("details become gateway.* names that never override the gateway's own")
    func details() throws {
        var record = sampleRecord()
        record.event.details = ["Origin": "https://evil.example", "action": "allowed", "x-forwarded.for": "1.2.3.4", "": "empty"]
        let (_, json) = try serialize(record)
        #expect(json["gateway.origin"]?.string == "https://evil.example")
        #expect(json["gateway.action"]?.string == "blocked")
        #expect(json["gateway.detail_action"]?.string == "allowed")
        #expect(json["gateway.x_forwarded_for"]?.string == "1.2.3.4")
        #expect(json["gateway.detail_"]?.string == "empty")
    }

    @Test("source.geo and source.as are written when known")
    func geo() throws {
        var record = sampleRecord()
        record.sourceGeo = GeoLocation(countryISOCode: "NL", countryName: "Netherlands", cityName: "Amsterdam", latitude: 52.37, longitude: 4.89)
        record.sourceAS = AutonomousSystem(number: 64_496, organizationName: "Example Transit")
        let (_, json) = try serialize(record)
        #expect(json["source.geo.country_iso_code"]?.string == "NL")
        #expect(json["source.geo.city_name"]?.string == "Amsterdam")
        #expect(json["source.geo.location.lat"] == .number(52.37))
        #expect(json["source.geo.location.lon"] == .number(4.89))
        #expect(json["source.as.number"] == .integer(64_496))
        #expect(json["source.as.organization.name"]?.string == "Example Transit")
        #expect(json["source.ip"]?.string == "203.0.113.9")
    }

    @Test("events without a request carry only what they have")
    func minimal() throws {
        let record = EventRecord(event: SecurityEvent(name: "config-reloaded", action: .allowed, severity: .low,
                                                      ruleID: "config.reload", ruleName: "configuration reloaded",
                                                      category: ["configuration"], type: ["change"], kind: "event"))
        let (_, json) = try serialize(record)
        for absent in ["trace", "source", "http", "url", "user_agent", "rule.category", "gateway.route", "gateway.tags", "event.reason"] {
            #expect(json[absent] == nil, "\(absent)")
        }
        #expect(json["event.outcome"]?.string == "success")
    }
}
