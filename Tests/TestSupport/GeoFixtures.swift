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

/// A temporary folder with `city.mmdb` (GeoLite2-City shape), `asn.mmdb` (GeoLite2-ASN shape)
/// and `country-ipv4.mmdb` (an IPv4-only GeoLite2-Country shape).
public final class GeoFixtures: @unchecked Sendable {
    public let directory: TemporaryDirectory

    public var city: String { directory.file("city.mmdb") }
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

    deinit { directory.remove() }
}
