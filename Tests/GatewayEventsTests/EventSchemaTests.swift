import Testing
@testable import GatewayCore
import GatewayNetwork

@Suite("docs/event.schema.json describes what the serializer writes")
struct EventSchemaTests {
    let serializer = EventSerializer(observerName: "gw-schema")

    /// Records covering every optional field, the caps and hostile text.
    var records: [EventRecord] {
        var full = sampleRecord(1)
        full.sourceGeo = GeoLocation(countryISOCode: "DE", countryName: "Germany", continentCode: "EU", regionISOCode: "DE-BE",
                                     regionName: "Berlin", cityName: "Berlin", latitude: 52.52, longitude: 13.405)
        full.sourceAS = AutonomousSystem(number: 64_500, organizationName: "Example AS")
        var hostile = sampleRecord(2, action: .flagged, severity: .critical)
        hostile.path = "/a/../b?x=1"
        hostile.userAgent = String(repeating: "\u{202E}\"\\\n", count: 400)
        hostile.event.matched = String(decoding: (0...255).map { UInt8($0) } + (0...255).map { UInt8($0) }, as: UTF8.self)
        hostile.event.details = ["Weird Key!": "v", "route": "shadow", String(repeating: "k", count: 100): "long"]
        hostile.tags = (0..<50).map { "t\($0)" }
        hostile.sourceIP = IPAddress("2001:db8::1")
        var bare = EventRecord(event: SecurityEvent(name: "config-reloaded", action: .allowed, severity: .low, ruleID: "config.reload",
                                                    ruleName: "configuration reloaded", category: ["configuration"],
                                                    type: ["change"], kind: "event"))
        bare.tags = []
        return [sampleRecord(0), full, hostile, bare]
    }

    @Test("every serialized event conforms to the schema")
    func conforms() throws {
        let checker = try SchemaChecker.eventSchema()
        for record in records {
            let json = try JSON.parse(serializer.json(record))
            let problems = checker.violations(of: json)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n\(json)")
        }
    }

    @Test("the checker rejects events that break the contract", arguments: [
        ("no event.id", #""id":"00000000-0000-4000-8000-000000000000","#, ""),
        ("severity 50", #""severity":73"#, #""severity":50"#),
        ("a query in url.path", #""path":"/patients/0""#, #""path":"/a?b=c""#),
        ("an unknown top-level field", #""ecs":"#, #""cookie":"s=1","ecs":"#),
        ("a raw byte in matched", #""matched":"203.0.113.9""#, #""matched":"\u0001""#),
        ("an unknown gateway.action", #""action":"blocked""#, #""action":"dropped""#),
    ])
    func rejects(what: String, original: String, replacement: String) throws {
        let checker = try SchemaChecker.eventSchema()
        var record = sampleRecord()
        record.id = "00000000-0000-4000-8000-000000000000"
        let text = String(decoding: serializer.json(record), as: UTF8.self)
        #expect(text.contains(original))
        let broken = text.replacing(original, with: replacement)
        #expect(!checker.violations(of: try JSON.parse(broken)).isEmpty, "\(what) was accepted: \(broken)")
    }
}
