import GatewayConfig
import GatewayCore
import GatewayHTTP

/// `plugin: security_headers` — browser security headers on every response, upstream and
/// local (errors included), and the removal of headers that reveal the backend.
///
/// With no settings it applies defaults meant for a JSON API:
///
/// | key | header | default |
/// |---|---|---|
/// | `csp` | Content-Security-Policy | `default-src 'none'; frame-ancestors 'none'; base-uri 'none'` |
/// | `csp_report_only` | sends the policy as Content-Security-Policy-Report-Only instead | `false` |
/// | `hsts` | Strict-Transport-Security, over TLS only | `{ max_age: 730d, include_subdomains: true, preload: false }` (`max-age=63072000; includeSubDomains`) |
/// | `x_frame_options` | X-Frame-Options: `DENY` or `SAMEORIGIN` | `DENY` |
/// | `x_content_type_options` | X-Content-Type-Options: `nosniff` | `nosniff` |
/// | `referrer_policy` | Referrer-Policy: one policy token | `no-referrer` |
/// | `permissions_policy` | Permissions-Policy | `geolocation=(), camera=(), microphone=(), payment=()` |
/// | `cross_origin_opener_policy` | Cross-Origin-Opener-Policy | `same-origin` |
/// | `cross_origin_resource_policy` | Cross-Origin-Resource-Policy | `same-origin` |
///
/// Every header key also takes `off` (or `false`): the gateway then neither adds nor changes
/// that header, so the upstream's own value, if any, passes through. Otherwise the gateway's
/// value replaces the upstream's (never a second copy). Values are checked when the config
/// loads: the keys with a fixed set of values accept exactly those (`DENY`, not `deny`).
///
/// Other settings:
/// - `custom_headers`: a mapping of extra headers to set, e.g. `{ X-Robots-Tag: noindex }`.
/// - `remove_headers`: headers to strip from upstream responses, in addition to the built-in
///   `Server`, `X-Powered-By`, `X-AspNet-Version` and `X-AspNetMvc-Version`, which are always removed.
/// - `report_path`: a path such as `/csp-report` where the gateway itself accepts browsers' CSP
///   violation reports (`POST`, `Content-Type: application/csp-report` or
///   `application/reports+json`), answers 204 and raises a `csp-violation` event; reports are
///   never forwarded upstream. The policy gets `; report-uri <report_path>` appended unless it
///   already has a `report-uri` directive. The path must be under a route that runs this filter.
/// - `report_max_bytes`: the largest report accepted, by its Content-Length (larger: 413;
///   without a length: 411). Default `16KiB`.
public enum SecurityHeadersPlugin: Plugin {
    public static let name = "security_headers"

    /// A header with a config key of its own.
    struct ManagedHeader {
        let key: String
        let header: String
        let defaultValue: String
        /// The accepted values; nil for free text (checked only as a valid header value).
        let choices: [String]?
    }

    static let csp = ManagedHeader(
        key: "csp", header: "Content-Security-Policy",
        defaultValue: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'", choices: nil)

    /// The header keys other than `csp` and `hsts`, in the order the headers are sent.
    static let simpleHeaders = [
        ManagedHeader(key: "x_frame_options", header: "X-Frame-Options", defaultValue: "DENY", choices: ["DENY", "SAMEORIGIN"]),
        ManagedHeader(key: "x_content_type_options", header: "X-Content-Type-Options", defaultValue: "nosniff", choices: ["nosniff"]),
        ManagedHeader(key: "referrer_policy", header: "Referrer-Policy", defaultValue: "no-referrer", choices: [
            "no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin", "same-origin",
            "strict-origin", "strict-origin-when-cross-origin", "unsafe-url",
        ]),
        ManagedHeader(key: "permissions_policy", header: "Permissions-Policy",
                      defaultValue: "geolocation=(), camera=(), microphone=(), payment=()", choices: nil),
        ManagedHeader(key: "cross_origin_opener_policy", header: "Cross-Origin-Opener-Policy", defaultValue: "same-origin",
                      choices: ["same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"]),
        ManagedHeader(key: "cross_origin_resource_policy", header: "Cross-Origin-Resource-Policy", defaultValue: "same-origin",
                      choices: ["same-origin", "same-site", "cross-origin"]),
    ]

    /// Always removed from upstream responses: they name the backend's software and version.
    static let leakHeaders = ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"]

    /// Header names `custom_headers` and `remove_headers` may not use: the managed ones (they have
    /// keys) and the ones the core owns for framing, connection handling and tracing.
    static let reservedHeaders: [String: String] = {
        var reserved = ["Content-Security-Policy-Report-Only": "csp_report_only", "Strict-Transport-Security": "hsts",
                        csp.header: csp.key]
        for header in simpleHeaders { reserved[header.header] = header.key }
        for header in ["Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection",
                       "Upgrade", "TE", "Trailer", "X-Request-ID"] {
            reserved[header] = ""
        }
        return Dictionary(uniqueKeysWithValues: reserved.map { ($0.key.lowercased(), $0.value) })
    }()

    static let settingKeys = [csp.key, "csp_report_only", "hsts"] + simpleHeaders.map(\.key)
        + ["custom_headers", "remove_headers", "report_path", "report_max_bytes"]

    public static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics d: ConfigDiagnostics) -> (any Filter)? {
        let errorsBefore = d.errors.count
        guard let m = settings.mapping(d, keys: settingKeys, in: "filter '\(context.filterName)'") else { return nil }

        let report = m["report_path"].flatMap { CSPReportEndpoint(path: $0, maxBytes: m["report_max_bytes"], d) }
        if m["report_path"] == nil, let maxBytes = m["report_max_bytes"] {
            d.error("report_max_bytes only applies together with report_path", at: maxBytes.location)
        }

        var fields = HTTPHeaders()
        let reportOnly = m["csp_report_only"]?.bool(d) ?? false
        if case .on(var policy)? = setting(m[csp.key], csp, d) {
            if let report, !policy.lowercased().contains("report-uri") {
                policy += "; report-uri " + String(decoding: report.path, as: UTF8.self)
            }
            fields.add(reportOnly ? "Content-Security-Policy-Report-Only" : csp.header, policy)
        }
        for header in simpleHeaders {
            if case .on(let value)? = setting(m[header.key], header, d) { fields.add(header.header, value) }
        }
        let custom = m["custom_headers"].map { customHeaders($0, d) } ?? []
        for (name, value) in custom { fields.add(name, value) }

        var hsts = HTTPHeaders()
        let hstsValue = if let node = m["hsts"] { strictTransportSecurity(node, d) } else { StrictTransportSecurity().value }
        if let hstsValue { hsts.add("Strict-Transport-Security", hstsValue) }

        let removed = leakHeaders + (m["remove_headers"].map { removedHeaders($0, custom: custom.map(\.name), d) } ?? [])
        guard d.errors.count == errorsBefore else { return nil }
        return SecurityHeadersFilter(filterName: context.filterName, fields: fields, tlsFields: hsts,
                                     removed: removed, report: report)
    }

    // MARK: Readers

    enum Setting {
        case off
        case on(String)
    }

    /// `off` and `false` (any case) turn a header off.
    static func isOff(_ text: String) -> Bool {
        ["off", "false"].contains(text.lowercased())
    }

    /// A header key's setting: the default when absent, `.off`, or the checked value; nil when invalid (reported).
    static func setting(_ node: ConfigNode?, _ header: ManagedHeader, _ d: ConfigDiagnostics) -> Setting? {
        guard let node else { return .on(header.defaultValue) }
        guard let text = node.string(d) else { return nil }
        if isOff(text) { return .off }
        if let choices = header.choices {
            return node.oneOf(d, choices + ["off"]).map(Setting.on)
        }
        return headerValue(text, at: node, name: header.key, d).map(Setting.on)
    }

    /// `text` if it can be sent as a header value, else reported at `node`.
    static func headerValue(_ text: String, at node: ConfigNode, name: String, _ d: ConfigDiagnostics) -> String? {
        var probe = HTTPHeaders()
        guard !text.isEmpty, probe.add("X-Probe", text) else {
            d.error("\(name) must be a non-empty header value without line breaks or control characters "
                    + "(write a long value as a folded '>-' block)", at: node.location)
            return nil
        }
        return text
    }

    /// A header name that `custom_headers` or `remove_headers` may use, else reported at `location`.
    static func headerName(_ name: String, at location: ConfigLocation, _ d: ConfigDiagnostics) -> String? {
        var probe = HTTPHeaders()
        guard probe.add(name, "") else {
            d.error("'\(name)' is not a valid header name", at: location)
            return nil
        }
        switch reservedHeaders[name.lowercased()] {
        case nil: return name
        case "": d.error("'\(name)' is managed by the gateway and cannot be set or removed here", at: location)
        case let key?: d.error("'\(name)' has its own key: use '\(key)'", at: location)
        }
        return nil
    }

    static func customHeaders(_ node: ConfigNode, _ d: ConfigDiagnostics) -> [(name: String, value: String)] {
        guard let m = node.mapping(d) else { return [] }
        return m.entries.compactMap { entry in
            guard let name = headerName(entry.key, at: entry.keyLocation, d),
                  let text = entry.value.string(d),
                  let value = headerValue(text, at: entry.value, name: "custom header '\(name)'", d)
            else { return nil }
            return (name, value)
        }
    }

    static func removedHeaders(_ node: ConfigNode, custom: [String], _ d: ConfigDiagnostics) -> [String] {
        guard let items = node.list(d) else { return [] }
        return items.compactMap { item in
            guard let name = item.string(d), let name = headerName(name, at: item.location, d) else { return nil }
            if custom.contains(where: { $0.lowercased() == name.lowercased() }) {
                d.error("'\(name)' is both in custom_headers and remove_headers", at: item.location)
                return nil
            }
            return name
        }
    }
}
