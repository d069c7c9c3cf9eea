import CGatewayMaxMindDB
import Glibc

/// One MaxMind DB file (GeoLite2/GeoIP2 City, Country or ASN), memory-mapped and read-only.
///
/// Lookups only read the map, so one instance serves every worker thread at once. The file is
/// mapped when opened: replace it by renaming a new file over it (as `geoipupdate` does), never
/// by rewriting it in place, and reload the config to pick the new one up.
public final class GeoDatabase: @unchecked Sendable {
    /// The file, as opened.
    public let path: String
    /// `database_type` from the file's metadata, e.g. `GeoLite2-City`.
    public let databaseType: String
    /// `build_epoch` from the file's metadata: when MaxMind built it, in seconds since 1970.
    public let buildEpoch: UInt64
    /// Lookup results point back into this struct, so it lives at a fixed heap address.
    let mmdb: UnsafeMutablePointer<MMDB_s>

    /// Opens and maps `path`; throws when it is missing, unreadable or not a valid MaxMind DB.
    public init(path: String) throws(GeoError) {
        let mmdb = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), mmdb)
        guard status == MMDB_SUCCESS else {
            let reason = String(cString: MMDB_strerror(status))
            let system = errno
            mmdb.deallocate()
            let detail = status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR ? " (\(String(cString: strerror(system))))" : ""
            throw GeoError("cannot open geo database '\(path)': \(reason)\(detail)")
        }
        self.path = path
        self.mmdb = mmdb
        self.databaseType = String(cString: mmdb.pointee.metadata.database_type)
        self.buildEpoch = mmdb.pointee.metadata.build_epoch
    }

    deinit {
        MMDB_close(mmdb)
        mmdb.deallocate()
    }
}
