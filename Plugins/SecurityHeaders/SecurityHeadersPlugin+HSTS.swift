import GatewayConfig

extension SecurityHeadersPlugin {
    /// The `hsts` mapping; `init()` gives the defaults.
    struct StrictTransportSecurity {
        var maxAgeSeconds = 63_072_000  // two years, as hstspreload.org recommends
        var includeSubdomains = true
        var preload = false

        var value: String {
            "max-age=\(maxAgeSeconds)" + (includeSubdomains ? "; includeSubDomains" : "") + (preload ? "; preload" : "")
        }
    }

    /// The header value for an `hsts` setting: nil when `off` or invalid (reported).
    static func strictTransportSecurity(_ node: ConfigNode, _ d: ConfigDiagnostics) -> String? {
        // A scalar may only be `off`; anything else must be the mapping. A scratch diagnostics
        // tells the two apart without reporting.
        if let text = node.string(ConfigDiagnostics()) {
            if !isOff(text) {
                d.error("expected off or a mapping such as { max_age: 730d, include_subdomains: true, preload: false }, "
                        + "found '\(text)'", at: node.location)
            }
            return nil
        }
        guard let m = node.mapping(d, keys: ["max_age", "include_subdomains", "preload"], in: "hsts") else { return nil }
        var hsts = StrictTransportSecurity()
        if let maxAge = m["max_age"], let duration = maxAge.duration(d) {
            hsts.maxAgeSeconds = Int(duration.components.seconds)
            if hsts.maxAgeSeconds < 1 { d.error("hsts max_age must be at least 1s", at: maxAge.location) }
        }
        hsts.includeSubdomains = m["include_subdomains"]?.bool(d) ?? hsts.includeSubdomains
        hsts.preload = m["preload"]?.bool(d) ?? hsts.preload
        // The preload list refuses sites without these, and a preload entry is hard to undo.
        if hsts.preload, let preload = m["preload"], !hsts.includeSubdomains || hsts.maxAgeSeconds < 31_536_000 {
            d.error("hsts preload requires include_subdomains: true and a max_age of at least 365d", at: preload.location)
        }
        return hsts.value
    }
}
