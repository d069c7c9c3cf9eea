/// The `geo:` section: MaxMind databases for the client's location (the request context's
/// `geo` and the events' `source.geo`/`source.as`). Opened when the config is loaded, so a
/// reload picks up new files.
public struct GeoConfig: Sendable {
    /// `on_error`: what filters that decide on the client's location do when a lookup fails
    /// (a corrupt database region). The core only reports it (`Exchange.geoOnError`).
    public enum OnError: String, Sendable, CaseIterable {
        /// The default: the location counts as unknown and the request goes on.
        case open
        /// Such a filter denies the request.
        case closed
    }

    /// `database`: a City or Country database (absolute path; it existed when loaded).
    public var database: String
    /// The `database` value.
    public var databaseLocation: ConfigLocation
    /// `asn_database`: an ASN database, for `source.as`; nil when absent.
    public var asnDatabase: String?
    /// The `asn_database` value, when present.
    public var asnDatabaseLocation: ConfigLocation?
    public var onError = OnError.open
    /// The `geo` mapping.
    public var location: ConfigLocation
}

// MARK: - Reading

extension ConfigurationDecoder {
    func geo(_ node: ConfigNode) -> GeoConfig? {
        guard let m = node.mapping(d, keys: ["database", "asn_database", "on_error"], required: ["database"], in: "geo") else {
            return nil
        }
        let databaseNode = m["database"], asnNode = m["asn_database"]
        let database = databaseNode?.filePath(d)
        let asnDatabase = asnNode?.filePath(d)
        let onError = m["on_error"]?.oneOf(d, GeoConfig.OnError.allCases.map(\.rawValue)).flatMap(GeoConfig.OnError.init)
        guard let database, let databaseNode, (asnNode == nil) == (asnDatabase == nil) else { return nil }
        var geo = GeoConfig(database: database, databaseLocation: databaseNode.location, asnDatabase: asnDatabase,
                            asnDatabaseLocation: asnNode?.location, location: m.location)
        if let onError { geo.onError = onError }
        return geo
    }
}
