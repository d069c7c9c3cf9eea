import GatewayConfig
import GatewayGeo
import GatewayHTTP
import GatewayNetwork
import Testing
import TestSupport
@testable import GatewayCore

/// The `geo:` section as the engine uses it: databases opened with the config, the lazy
/// `Exchange.geo`, and `source.geo`/`source.as` on the events an exchange raises.
@Suite struct GeoContextTests {
    let fixtures: GeoFixtures

    init() throws {
        fixtures = try GeoFixtures()
    }

    /// Loads a config with `geo` as its `geo:` section, written next to the fixtures.
    private func load(geo: String) throws -> (path: String, result: Result<RuntimeConfig, ConfigDiagnostics>) {
        let path = try fixtures.directory.write("gateway.yaml", """
            listeners: [{ name: web, address: "127.0.0.1:8080" }]
            upstreams: { app: { targets: ["127.0.0.1:9000"] } }
            routes: [{ name: main, match: { path_prefix: / }, upstream: app }]
            geo: \(geo)

            """)
        return (path, RuntimeConfig.load(path: path, registry: PluginRegistry()))
    }

    private func exchange(_ client: String, _ locator: GeoLocator?) -> Exchange {
        let exchange = Exchange(request: HTTPRequestHead(), requestID: "geo-test", clientIP: IPAddress(client)!, clientIPSource: .peer,
                                peer: SocketAddress(ip: IPAddress(client)!, port: 40000), isTLS: false, route: nil, loop: EventLoop())
        exchange.geoLocator = locator
        return exchange
    }

    private let denied = SecurityEvent(name: "ip-denied", action: .blocked, severity: .medium, ruleID: "test", ruleName: "test")

    @Test func theConfigOpensBothDatabasesAndCombinesTheirAnswers() throws {
        let runtime = try load(geo: "{ database: city.mmdb, asn_database: asn.mmdb, on_error: closed }").result.get()
        let geo = try #require(runtime.geo)
        #expect(geo.onError == .closed)
        #expect(try geo.lookup(IPAddress("81.2.69.160")!) == GeoInfo(
            countryISOCode: "GB", continentCode: "EU", cityName: "London", asNumber: 20712, asOrganization: "Andrews & Arnold Ltd"))
        #expect(try geo.lookup(IPAddress("192.0.2.1")!) == nil)
    }

    @Test func aDatabaseThatCannotBeOpenedIsAConfigErrorAtItsValue() throws {
        _ = try fixtures.directory.write("garbage.mmdb", "not a database")
        let (path, result) = try load(geo: "{ database: city.mmdb,\n       asn_database: garbage.mmdb }")
        guard case .failure(let diagnostics) = result else {
            Issue.record("a corrupt asn_database was accepted")
            return
        }
        let errors = diagnostics.errors.map(\.description)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("\(path):5:22: cannot open geo database '\(fixtures.directory.file("garbage.mmdb"))'") == true,
                "\(errors)")
    }

    @Test func geoIsLookedUpOnFirstAccessOnly() throws {
        let exchange = exchange("2001:db8::5", GeoLocator(database: try GeoDatabase(path: fixtures.city)))
        #expect(exchange.geoLookup == nil)
        #expect(exchange.geo?.cityName == "Zürich")
        // The answer is kept: without the databases the exchange still has it.
        exchange.geoLocator = nil
        #expect(exchange.geo?.countryISOCode == "CH" && exchange.geoError == nil)
    }

    @Test func withoutGeoThereIsNoLocationAndEventsHaveNone() {
        let exchange = exchange("81.2.69.160", nil)
        #expect(exchange.geo == nil && exchange.geoError == nil && exchange.geoOnError == nil)
        exchange.emit(denied)
        #expect(exchange.events[0].sourceGeo == nil && exchange.events[0].sourceAS == nil)
    }

    @Test func eventsCarryTheClientsLocationAndAutonomousSystem() throws {
        let locator = GeoLocator(database: try GeoDatabase(path: fixtures.city), asnDatabase: try GeoDatabase(path: fixtures.asn))
        let exchange = exchange("::ffff:81.2.69.160", locator)
        exchange.emit(denied)
        let record = exchange.events[0]
        #expect(record.sourceGeo?.countryISOCode == "GB" && record.sourceGeo?.continentCode == "EU" && record.sourceGeo?.cityName == "London")
        #expect(record.sourceAS?.number == 20712 && record.sourceAS?.organizationName == "Andrews & Arnold Ltd")
        let json = String(decoding: EventSerializer(observerName: "gw").json(record), as: UTF8.self)
        #expect(json.contains(#""geo":{"country_iso_code":"GB","continent_code":"EU","city_name":"London"}"#), "\(json)")
        #expect(json.contains(#""as":{"number":20712,"organization":{"name":"Andrews & Arnold Ltd"}}"#), "\(json)")

        let unknown = self.exchange("192.0.2.1", locator)
        unknown.emit(denied)
        #expect(unknown.events[0].sourceGeo == nil && unknown.events[0].sourceAS == nil)
    }

    @Test func aFailedLookupIsReportedWithThePolicy() throws {
        let locator = GeoLocator(database: try GeoDatabase(path: try fixtures.cityWithCorruptLondon()), onError: .closed)
        let exchange = exchange("81.2.69.160", locator)
        #expect(exchange.geo == nil)
        #expect(exchange.geoError?.description.contains("81.2.69.160") == true)
        #expect(exchange.geoOnError == .closed && locator.failures == 1)
        exchange.emit(denied)
        #expect(exchange.events[0].sourceGeo == nil)
    }
}
