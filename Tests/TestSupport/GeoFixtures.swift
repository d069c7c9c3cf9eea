// Small MaxMind DB files for the geo tests, written by Tests/GatewayGeoTests/Fixtures/write_mmdb.py
// (its CITY/ASN tables list the networks and records the tests expect).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// python3: `PYTHON3`, else /usr/bin/python3 (avoids slow version-manager shims), else PATH.
public var python3Path: String {
    if let env = ProcessInfo.processInfo.environment["PYTHON3"], !env.isEmpty { return env }
    if access("/usr/bin/python3", X_OK) == 0 { return "/usr/bin/python3" }
    return "python3"
}

/// A temporary folder with `city.mmdb` (GeoLite2-City shape), `city-v2.mmdb` (its update, built
/// a day later: 127.0.0.0/8 moved from Berlin to Paris), `asn.mmdb` (GeoLite2-ASN shape) and
/// `country-ipv4.mmdb` (an IPv4-only GeoLite2-Country shape).
public final class GeoFixtures: @unchecked Sendable {
    public let directory: TemporaryDirectory

    public var city: String { directory.file("city.mmdb") }
    public var cityV2: String { directory.file("city-v2.mmdb") }
    public var asn: String { directory.file("asn.mmdb") }
    public var countryIPv4: String { directory.file("country-ipv4.mmdb") }

    public init() throws {
        directory = try TemporaryDirectory(prefix: "gw-geo")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("GatewayGeoTests/Fixtures/write_mmdb.py").path
        let result = try Command.run([python3Path, script, directory.path])
        guard result.succeeded else {
            directory.remove()
            throw HarnessError("write_mmdb.py failed:\n\(result)")
        }
    }

    /// A copy of `city.mmdb` (`corrupt-record.mmdb`) that opens, but whose London record
    /// (81.2.69.0/24) cannot be read: lookups there fail, the others still work.
    public func cityWithCorruptLondon() throws -> String {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: city)))
        // The data section follows 16 zero bytes; its first record (London, a 3-key map)
        // becomes a 4-byte pointer far beyond the end of the data.
        let separator = Array(repeating: UInt8(0), count: 16) + [0xe3]
        guard let at = (0...(bytes.count - separator.count)).first(where: { Array(bytes[$0..<$0 + separator.count]) == separator }) else {
            throw HarnessError("no data section separator in \(city)")
        }
        bytes.replaceSubrange(at + 16..<at + 21, with: [0x38, 0x7f, 0xff, 0xff, 0xff])
        return try directory.write("corrupt-record.mmdb", bytes: bytes)
    }

    deinit { directory.remove() }
}
