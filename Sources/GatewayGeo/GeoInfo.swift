/// What a geo database knows about one address, in the GeoLite2 field names' meaning. Each
/// field is nil when the database has no value for it (a Country database has no city, only an
/// ASN database has the autonomous system).
public struct GeoInfo: Sendable, Equatable {
    /// `country.iso_code`: ISO 3166-1 alpha-2, e.g. `DE`.
    public var countryISOCode: String?
    /// `continent.code`: `AF`, `AN`, `AS`, `EU`, `NA`, `OC` or `SA`.
    public var continentCode: String?
    /// `city.names.en`: the English city name.
    public var cityName: String?
    /// `autonomous_system_number`.
    public var asNumber: UInt32?
    /// `autonomous_system_organization`.
    public var asOrganization: String?

    public init(countryISOCode: String? = nil, continentCode: String? = nil, cityName: String? = nil,
                asNumber: UInt32? = nil, asOrganization: String? = nil) {
        self.countryISOCode = countryISOCode
        self.continentCode = continentCode
        self.cityName = cityName
        self.asNumber = asNumber
        self.asOrganization = asOrganization
    }

    /// True when no field is known.
    public var isEmpty: Bool {
        countryISOCode == nil && continentCode == nil && cityName == nil && asNumber == nil && asOrganization == nil
    }

    /// These fields, with the ones this value lacks taken from `other` (a City and an ASN
    /// database's answers combined).
    public func merging(_ other: GeoInfo) -> GeoInfo {
        GeoInfo(countryISOCode: countryISOCode ?? other.countryISOCode, continentCode: continentCode ?? other.continentCode,
                cityName: cityName ?? other.cityName, asNumber: asNumber ?? other.asNumber,
                asOrganization: asOrganization ?? other.asOrganization)
    }
}
