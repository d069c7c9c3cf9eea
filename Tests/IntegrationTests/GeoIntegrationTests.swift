// The `geo:` section through the real binary: events carry the client's location and
// autonomous system, and a reload picks up a database file replaced on disk.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension GatewayIntegration {
@Suite("Geo: source.geo and source.as on events")
struct Geo {
    @Test("an ip_access deny event is located, and a reload picks up a replaced database")
    func locatedEventsAndReload() throws {
        let fixtures = try GeoFixtures()
        // The gateway reads its own copy, replaced below the way geoipupdate does: a rename.
        let database = fixtures.directory.file("GeoLite2-City.mmdb")
        try FileManager.default.copyItem(atPath: fixtures.city, toPath: database)
        let config = """
            listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
            upstreams: { app: { targets: ["127.0.0.1:9"] } }
            routes: [{ name: denied, match: { path_prefix: / }, upstream: app, filters: [nobody] }]
            filters:
              nobody: { plugin: ip_access, deny: [127.0.0.0/8] }
            geo: { database: "\(database)", asn_database: "\(fixtures.asn)", on_error: open }
            admin: { address: "127.0.0.1:{PORT2}" }
            events:
              sinks: [{ type: file, path: "{DIR}/events.jsonl" }]

            """
        let gateway = try YAMLGateway(config, waitForPort2: true)
        defer { gateway.stop() }

        /// The event of one denied request, found by its trace id.
        func deniedEvent() throws -> [String: Any] {
            let response = try oneRequest(port: gateway.port, "GET", "/records")
            #expect(response.status == 403)
            let requestID = try #require(response.header("X-Request-ID"))
            var event: [String: Any]?
            _ = eventually { event = gateway.fileEvents.first { eventField($0, "trace.id") == requestID }; return event != nil }
            return try #require(event, "no event for \(requestID)\n\(gateway.diagnostics)")
        }
        func cityBuildTime() throws -> Double? {
            parseMetrics(try adminGet(port: gateway.port2, "/metrics").bodyText)[
                #"gateway_geo_database_build_timestamp_seconds{database="database",type="GeoLite2-City"}"#]
        }

        let event = try deniedEvent()
        #expect(eventField(event, "event.action") == "ip-denied" && eventField(event, "source.ip") == "127.0.0.1")
        #expect(eventField(event, "source.geo.country_iso_code") == "DE", "\(event)")
        #expect(eventField(event, "source.geo.continent_code") == "EU" && eventField(event, "source.geo.city_name") == "Berlin")
        #expect(eventField(event, "source.as.number") == "64496", "\(event)")
        #expect(eventField(event, "source.as.organization.name") == "Loopback Testing AS")
        #expect(try cityBuildTime() == 1_700_000_000)

        guard rename(fixtures.cityV2, database) == 0 else { throw HarnessError("rename: \(errnoText())") }
        #expect(try gateway.reload(config), "\(gateway.diagnostics)")
        let updated = try deniedEvent()
        #expect(eventField(updated, "source.geo.country_iso_code") == "FR" && eventField(updated, "source.geo.city_name") == "Paris",
                "\(updated)")
        #expect(try cityBuildTime() == 1_700_086_400)
    }
}
}
