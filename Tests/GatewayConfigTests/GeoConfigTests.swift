import GatewayConfig
import Testing

/// The `geo:` section: database paths (relative to the config file), `on_error`, and its
/// mistakes at their line and column. Whether a file is a valid MaxMind DB is the engine's
/// check (GatewayCoreTests).
@Suite struct GeoConfigTests {
    private func load(_ geo: String, files: [String] = ["city.mmdb", "asn.mmdb"]) throws -> (Fixture, Result<GatewayConfiguration, ConfigDiagnostics>) {
        let fixture = try Fixture(Dictionary(uniqueKeysWithValues: files.map { ($0, "placeholder") }))
        return (fixture, try fixture.load(minimalYAML + geo))
    }

    private func errors(_ geo: String) throws -> [String] {
        let (fixture, result) = try load(geo)
        guard case .failure(let diagnostics) = result else { return [] }
        return diagnostics.errors.map { $0.description.replacingOccurrences(of: fixture.path("gateway.yaml"), with: "gw.yaml") }
    }

    @Test func noSectionMeansNoGeo() throws {
        #expect(try load("").1.get().geo == nil)
    }

    @Test func pathsResolveNextToTheConfigAndOnErrorDefaultsToOpen() throws {
        let (fixture, result) = try load("geo: { database: city.mmdb }\n")
        let geo = try #require(try result.get().geo)
        #expect(geo.database == fixture.path("city.mmdb") && geo.asnDatabase == nil && geo.onError == .open)
        #expect(geo.databaseLocation.line == 11 && geo.databaseLocation.column == 18)
    }

    @Test func allKeys() throws {
        let (fixture, result) = try load("""
            geo:
              database: city.mmdb
              asn_database: asn.mmdb
              on_error: closed

            """)
        let geo = try #require(try result.get().geo)
        #expect(geo.asnDatabase == fixture.path("asn.mmdb") && geo.asnDatabaseLocation?.line == 13 && geo.onError == .closed)
    }

    @Test func mistakesAreReportedAtTheirLineAndColumn() throws {
        #expect(try errors("geo: { asn_database: asn.mmdb }\n") == ["gw.yaml:11:6: missing required key 'database' in geo"])
        let typo = try errors("geo: { database: city.mmdb, asn_databse: asn.mmdb }\n")
        #expect(typo.count == 1 && typo[0].hasPrefix("gw.yaml:11:29: ") && typo[0].contains("did you mean 'asn_database'"), "\(typo)")
        let policy = try errors("geo: { database: city.mmdb, on_error: fail }\n")
        #expect(policy == ["gw.yaml:11:39: expected 'open' or 'closed', found 'fail'"], "\(policy)")
        let missing = try errors("geo:\n  database: city.mmdb\n  asn_database: GeoLite2-ASN.mmdb\n")
        #expect(missing.count == 1 && missing[0].hasPrefix("gw.yaml:13:17: file 'GeoLite2-ASN.mmdb'"), "\(missing)")
    }
}
