import CGatewayMaxMindDB
import GatewayNetwork

extension GeoDatabase {
    /// What the database knows about `address`; nil when it is not in the database (or is
    /// IPv6 and the database covers IPv4 only). IPv4-mapped IPv6 addresses are looked up as
    /// IPv4: databases built with mmdb-writer do not alias `::ffff:0:0/96`.
    ///
    /// Allocates only the result's strings. Throws when the database is corrupt where the
    /// address leads.
    public func lookup(_ address: IPAddress) throws(GeoError) -> GeoInfo? {
        let (result, status) = SocketAddress(ip: address.unmapped, port: 0).withSockAddr { sockaddr, _ in
            var status: Int32 = 0
            return (MMDB_lookup_sockaddr(mmdb, sockaddr, &status), status)
        }
        if status == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR { return nil }
        guard status == MMDB_SUCCESS else { throw failure(address, status) }
        guard result.found_entry else { return nil }
        var entry = result.entry
        var fields = gw_mmdb_geo_fields()
        let read = gw_mmdb_geo_fields_read(&entry, &fields)
        guard read == MMDB_SUCCESS else { throw failure(address, read) }
        let info = GeoInfo(
            countryISOCode: string(fields.country_iso_code), continentCode: string(fields.continent_code),
            cityName: string(fields.city_name), asNumber: fields.has_as_number ? fields.as_number : nil,
            asOrganization: string(fields.as_organization))
        return info.isEmpty ? nil : info
    }

    private func failure(_ address: IPAddress, _ status: Int32) -> GeoError {
        GeoError("geo lookup of \(address) in '\(path)' failed: \(String(cString: MMDB_strerror(status)))")
    }

    /// MMDB strings are not NUL-terminated: their length is `data_size`.
    private func string(_ value: gw_mmdb_string) -> String? {
        guard let bytes = value.bytes else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(value.length)), as: UTF8.self)
    }
}
