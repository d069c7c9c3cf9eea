import GatewayConfig
import GatewayGeo

/// How the client IP's geo lookup ended.
package enum GeoLookup {
    /// Nil: not in the databases.
    case found(GeoInfo?)
    case failed(GeoError)
}

extension Exchange {
    /// What the `geo:` databases know about ``clientIP``: looked up on first access, at most
    /// once per exchange. Nil without a `geo:` section, when the address is not in the
    /// databases, or when the lookup failed (see ``geoError``).
    public var geo: GeoInfo? {
        if case .found(let info) = lookUpGeo() { return info }
        return nil
    }

    /// Why the lookup behind ``geo`` failed (a corrupt database region); a filter deciding on
    /// the location then follows ``geoOnError``.
    public var geoError: GeoError? {
        if case .failed(let error) = lookUpGeo() { return error }
        return nil
    }

    /// `geo.on_error`; nil without a `geo:` section.
    public var geoOnError: GeoConfig.OnError? { geoLocator?.onError }

    private func lookUpGeo() -> GeoLookup? {
        if let geoLookup { return geoLookup }
        guard let geoLocator else { return nil }
        let lookup: GeoLookup
        do {
            lookup = .found(try geoLocator.lookup(clientIP))
        } catch {
            lookup = .failed(error)
        }
        geoLookup = lookup
        return lookup
    }
}

extension EventRecord {
    /// Sets `source.geo` and `source.as` from what a geo lookup found.
    mutating func locate(_ info: GeoInfo?) {
        guard let info else { return }
        if info.countryISOCode != nil || info.continentCode != nil || info.cityName != nil {
            sourceGeo = GeoLocation(countryISOCode: info.countryISOCode, continentCode: info.continentCode, cityName: info.cityName)
        }
        if let number = info.asNumber {
            sourceAS = AutonomousSystem(number: Int(number), organizationName: info.asOrganization)
        }
    }
}
