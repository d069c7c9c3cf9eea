/// Turns an ``EventRecord`` into one line of ECS-shaped JSON (no newline), the contract SOC
/// tools ingest. docs/events.md lists the fields; docs/event.schema.json is checked against
/// this output by the tests.
///
/// Only fields the record carries can appear, and none of them holds a query string, a body,
/// a cookie or an Authorization value: `url.path` is cut at `?` and `#` in case a caller passed
/// a raw target. Free text is capped so that one event stays well inside a syslog datagram.
package struct EventSerializer: Sendable {
    /// `ecs.version`: the ECS release the field names follow.
    package static let ecsVersion = "8.11.0"

    /// Caps in bytes (before JSON escaping).
    package enum Limit {
        package static let matched = 256
        package static let path = 2048
        package static let userAgent = 512
        package static let reason = 1024
        package static let text = 256
        package static let detail = 512
        package static let tags = 32
    }

    /// `gateway.*` names the gateway writes itself; a detail with one of these names is written
    /// as `detail_<name>` instead.
    private static let reservedGatewayNames: Set<String> = ["route", "filter", "action", "matched", "matched_truncated", "tags"]

    /// `observer.name`: which gateway saw it (a host or instance name).
    package let observerName: String

    package init(observerName: String) {
        self.observerName = observerName
    }

    package func json(_ record: EventRecord) -> [UInt8] {
        let event = record.event
        var json = JSONWriter()
        json.string("@timestamp", writing: { EventSerializer.appendTimestamp(record.timestampMilliseconds, to: &$0) })
        json.object("ecs") { $0.string("version", EventSerializer.ecsVersion) }
        json.object("event") { e in
            e.string("id", record.id, limit: Limit.text)
            e.string("kind", event.kind, limit: Limit.text)
            e.strings("category", event.category, limit: Limit.text)
            e.strings("type", event.type, limit: Limit.text)
            e.string("action", event.name, limit: Limit.text)
            e.string("outcome", event.outcome?.rawValue ?? (event.action == .blocked || event.type.contains("error") ? "failure" : "success"))
            e.number("severity", event.severity.rawValue)
            e.string("reason", event.reason, limit: Limit.reason)
            e.string("dataset", "gateway.security")
        }
        json.object("observer") { o in
            o.string("name", observerName, limit: Limit.text)
            o.string("type", "gateway")
            o.string("version", GatewayVersion.current)
        }
        if let requestID = record.requestID {
            json.object("trace") { $0.string("id", requestID, limit: Limit.text) }
        }
        if record.sourceIP != nil || record.sourceGeo != nil || record.sourceAS != nil {
            json.object("source") { source in
                if let ip = record.sourceIP { source.string("ip", writing: { ip.write(into: &$0) }) }
                if let geo = record.sourceGeo { EventSerializer.write(geo, to: &source) }
                if let system = record.sourceAS {
                    source.object("as") { a in
                        a.number("number", system.number)
                        if let organization = system.organizationName {
                            a.object("organization") { $0.string("name", organization, limit: Limit.text) }
                        }
                    }
                }
            }
        }
        if let method = record.method {
            json.object("http") { http in http.object("request") { $0.string("method", method, limit: Limit.text) } }
        }
        if let path = record.path {
            json.object("url") { $0.string("path", EventSerializer.pathOnly(path), limit: Limit.path) }
        }
        if let userAgent = record.userAgent {
            json.object("user_agent") { $0.string("original", userAgent, limit: Limit.userAgent) }
        }
        json.object("rule") { rule in
            rule.string("id", event.ruleID, limit: Limit.text)
            rule.string("name", event.ruleName, limit: Limit.text)
            rule.string("category", event.ruleCategory, limit: Limit.text)
        }
        json.object("gateway") { gateway in
            gateway.string("action", event.action.rawValue)
            gateway.string("route", record.route, limit: Limit.text)
            gateway.string("filter", event.filter, limit: Limit.text)
            if var matched = event.matched {
                let (text, truncated) = matched.withUTF8 { JSONWriter.fragment($0, limit: Limit.matched) }
                gateway.string("matched", bytes: text)
                if truncated { gateway.bool("matched_truncated", true) }
            }
            if !record.tags.isEmpty { gateway.strings("tags", record.tags.prefix(Limit.tags), limit: Limit.text) }
            for (name, value) in event.details.sorted(by: { $0.key < $1.key }) {
                gateway.string(EventSerializer.detailName(name), value, limit: Limit.detail)
            }
        }
        return json.finish()
    }

    private static func write(_ geo: GeoLocation, to source: inout JSONWriter) {
        source.object("geo") { g in
            g.string("country_iso_code", geo.countryISOCode, limit: Limit.text)
            g.string("country_name", geo.countryName, limit: Limit.text)
            g.string("continent_code", geo.continentCode, limit: Limit.text)
            
            g.string("region_iso_code", geo.regionISOCode, limit: Limit.text)
            g.string("region_name", geo.regionName, limit: Limit.text)
            g.string("city_name", geo.cityName, limit: Limit.text)
            if let latitude = geo.latitude, let longitude = geo.longitude, latitude.isFinite, longitude.isFinite {
                g.object("location") { l in
                    l.number("lat", latitude)
                    l.number("lon", longitude)
                }
            }
        }
    }

    /// The path without any query or fragment.
    static func pathOnly(_ path: String) -> String {
        String(path.prefix { $0 != "?" && $0 != "#" })
    }

    /// A detail's key as a `gateway.*` name: lowercase letters, digits and `_` (anything else
    /// becomes `_`), never one of the gateway's own names.
    static func detailName(_ key: String) -> String {
        let name = String(decoding: key.utf8.prefix(64).map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): byte
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
            default: UInt8(ascii: "_")
            }
        }, as: UTF8.self)
        return name.isEmpty || reservedGatewayNames.contains(name) ? "detail_" + name : name
    }

    /// RFC 3339 in UTC with milliseconds, as `@timestamp`: `2026-03-01T12:34:56.789Z`.
    package static func timestamp(_ milliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        appendTimestamp(milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-03-01T12:34:56.789Z`.
    package static func appendTimestamp(_ milliseconds: Int64, to out: inout [UInt8]) {
        let (days, dayMilliseconds) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (dayNumber, msOfDay) = dayMilliseconds < 0 ? (days - 1, dayMilliseconds + 86_400_000) : (days, dayMilliseconds)
        let (year, month, day) = civilDate(daysSinceEpoch: dayNumber)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(year, 4)
        out.append(UInt8(ascii: "-"))
        digits(month, 2)
        out.append(UInt8(ascii: "-"))
        digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(msOfDay / 3_600_000, 2)
        out.append(UInt8(ascii: ":"))
        digits(msOfDay / 60_000 % 60, 2)
        out.append(UInt8(ascii: ":"))
        digits(msOfDay / 1000 % 60, 2)
        out.append(UInt8(ascii: "."))
        digits(msOfDay % 1000, 3)
        out.append(UInt8(ascii: "Z"))
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
    private static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
