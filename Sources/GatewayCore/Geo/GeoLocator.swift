import GatewayConfig
import GatewayGeo
import GatewayNetwork
import Synchronization

/// The config's `geo:` databases, opened: one shared, read-only instance per config snapshot,
/// used from every worker. A reload opens the files again, so it picks up replaced databases;
/// exchanges still running keep the old ones alive until they end.
public final class GeoLocator: Sendable {
    public let database: GeoDatabase
    public let asnDatabase: GeoDatabase?
    /// `geo.on_error`.
    public let onError: GeoConfig.OnError
    private let failureCount = Atomic(0)

    /// Lookups that failed since these databases were opened (`gateway_geo_lookup_failures_total`):
    /// without it a corrupt region would go unnoticed under `on_error: open`.
    public var failures: Int { failureCount.load(ordering: .relaxed) }

    public init(database: GeoDatabase, asnDatabase: GeoDatabase? = nil, onError: GeoConfig.OnError = .open) {
        self.database = database
        self.asnDatabase = asnDatabase
        self.onError = onError
    }

    /// Opens the databases of `config`; a file that cannot be opened is an error at its value.
    convenience init?(_ config: GeoConfig, diagnostics: ConfigDiagnostics) {
        func open(_ path: String, at location: ConfigLocation) -> GeoDatabase? {
            do {
                return try GeoDatabase(path: path)
            } catch {
                diagnostics.error(error.description, at: location)
                return nil
            }
        }
        let database = open(config.database, at: config.databaseLocation)
        var asnDatabase: GeoDatabase?
        if let path = config.asnDatabase, let location = config.asnDatabaseLocation {
            asnDatabase = open(path, at: location)
            if asnDatabase == nil { return nil }
        }
        guard let database else { return nil }
        self.init(database: database, asnDatabase: asnDatabase, onError: config.onError)
    }

    /// Both databases' answers for `address`, combined; nil when neither knows it.
    public func lookup(_ address: IPAddress) throws(GeoError) -> GeoInfo? {
        do {
            let location = try database.lookup(address)
            guard let system = try asnDatabase?.lookup(address) else { return location }
            return location?.merging(system) ?? system
        } catch {
            failureCount.add(1, ordering: .relaxed)
            throw error
        }
    }
}
