import Dispatch
import Foundation
import Synchronization
import GatewayGeo
import GatewayNetwork
import Testing
import TestSupport

/// Lookups in the MaxMind DB files Fixtures/write_mmdb.py writes.
@Suite struct GeoDatabaseTests {
    let fixtures: GeoFixtures
    let city: GeoDatabase
    let asn: GeoDatabase

    init() throws {
        fixtures = try GeoFixtures()
        city = try GeoDatabase(path: fixtures.city)
        asn = try GeoDatabase(path: fixtures.asn)
    }

    private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    static let london = GeoInfo(countryISOCode: "GB", continentCode: "EU", cityName: "London")
    static let zurich = GeoInfo(countryISOCode: "CH", continentCode: "EU", cityName: "Zürich")

    @Test func opensAndNamesTheDatabaseType() {
        #expect(city.databaseType == "GeoLite2-City" && asn.databaseType == "GeoLite2-ASN")
        #expect(city.path == fixtures.city && city.buildEpoch == 1_700_000_000)
    }

    @Test func looksUpIPv4() throws {
        #expect(try city.lookup(ip("81.2.69.160")) == Self.london)
        #expect(try asn.lookup(ip("81.2.69.160")) == GeoInfo(asNumber: 20712, asOrganization: "Andrews & Arnold Ltd"))
    }

    @Test func looksUpIPv6WithUTF8Names() throws {
        #expect(try city.lookup(ip("2001:db8::1")) == Self.zurich)
        #expect(try asn.lookup(ip("2001:db8:ffff::7")) == GeoInfo(asNumber: 64497, asOrganization: "Example Transit"))
    }

    @Test func looksUpIPv4MappedAddressesAsIPv4() throws {
        #expect(try city.lookup(ip("::ffff:81.2.69.160")) == Self.london)
        #expect(try asn.lookup(ip("::ffff:127.0.0.1"))?.asNumber == 64496)
    }

    @Test func leavesOutWhatTheRecordLacks() throws {
        #expect(try city.lookup(ip("203.0.113.7")) == GeoInfo(countryISOCode: "AU", continentCode: "OC"))
        #expect(try asn.lookup(ip("203.0.113.7")) == GeoInfo(asNumber: 64498))
    }

    @Test func missesAreNil() throws {
        #expect(try city.lookup(ip("192.0.2.1")) == nil)
        #expect(try city.lookup(ip("81.2.70.1")) == nil)
        #expect(try city.lookup(ip("2001:db9::1")) == nil)
        #expect(try asn.lookup(ip("::1")) == nil)
    }

    @Test func anIPv4OnlyDatabaseAnswersIPv4AndMissesIPv6() throws {
        let country = try GeoDatabase(path: fixtures.countryIPv4)
        #expect(try country.lookup(ip("81.2.69.1")) == GeoInfo(countryISOCode: "GB", continentCode: "EU"))
        #expect(try country.lookup(ip("::ffff:81.2.69.1"))?.countryISOCode == "GB")
        #expect(try country.lookup(ip("2001:db8::1")) == nil)
    }

    @Test func mergingCombinesCityAndASNAnswers() throws {
        let address = ip("81.2.69.160")
        let merged = try #require(try city.lookup(address)).merging(try #require(try asn.lookup(address)))
        #expect(merged == GeoInfo(countryISOCode: "GB", continentCode: "EU", cityName: "London", asNumber: 20712,
                                  asOrganization: "Andrews & Arnold Ltd"))
    }

    @Test func aMissingFileNamesThePathAndTheReason() {
        let path = fixtures.directory.file("absent.mmdb")
        #expect { try GeoDatabase(path: path) } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("Error opening the specified MaxMind DB file") && text.contains("No such file")
        }
    }

    @Test func aCorruptFileNamesThePathAndTheReason() throws {
        let garbage = try fixtures.directory.write("garbage.mmdb", String(repeating: "not a maxmind database\n", count: 100))
        #expect { try GeoDatabase(path: garbage) } throws: { error in
            "\(error)".contains(garbage) && "\(error)".contains("metadata")
        }
        let whole = try Data(contentsOf: URL(fileURLWithPath: fixtures.city))
        let truncated = try fixtures.directory.write("truncated.mmdb", bytes: Array(whole.prefix(whole.count / 2)))
        #expect(throws: GeoError.self) { try GeoDatabase(path: truncated) }
    }

    @Test func aCorruptRecordFailsTheLookupNotTheProcess() throws {
        let database = try GeoDatabase(path: try fixtures.cityWithCorruptLondon())
        #expect { try database.lookup(ip("81.2.69.160")) } throws: { error in
            "\(error)".contains("81.2.69.160") && "\(error)".contains("corrupt-record.mmdb")
        }
        #expect(try database.lookup(ip("2001:db8::1")) == Self.zurich)
    }

    @Test func concurrentLookupsFromSeveralThreadsAgree() {
        let cases: [(IPAddress, String?)] = [
            (ip("81.2.69.160"), "GB"), (ip("2001:db8::1"), "CH"), (ip("::ffff:127.0.0.9"), "DE"),
            (ip("203.0.113.200"), "AU"), (ip("192.0.2.1"), nil),
        ]
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var wrong = 0
            for round in 0..<5_000 {
                let (address, country) = cases[(round + thread) % cases.count]
                if (try? city.lookup(address))??.countryISOCode != country { wrong += 1 }
            }
            mismatches.withLock { $0 += wrong }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }
}
