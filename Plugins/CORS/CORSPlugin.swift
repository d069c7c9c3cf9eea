import GatewayConfig
import GatewayCore
import GatewayHTTP

/// `plugin: cors` — the gateway alone decides which browser origins may call the route.
///
/// ```yaml
/// cors:
///   plugin: cors
///   allow_origins: ["https://portal.example.org", "https://*.example.org"]
///   allow_methods: [GET, POST]
///   allow_headers: [Content-Type, Authorization]
///   allow_credentials: true
///   max_age: 10m
/// ```
///
/// Settings:
/// - `allow_origins` (required): exact origins (`scheme://host[:port]`, no path, no default
///   port), `null` (only ever allowed when listed), and subdomain wildcards:
///   `https://*.example.org` matches one or more labels before `.example.org` with the same
///   scheme and port — not `https://example.org` itself, `http://a.example.org`,
///   `https://evil-example.org` or `https://example.org.evil.com` (see ``OriginPattern``).
///   Or `["*"]` alone for any origin, which cannot be combined with `allow_credentials: true`.
/// - `allow_methods`: methods a preflight may ask for, upper case as sent. Default `[GET, HEAD, POST]`.
/// - `allow_headers`: request headers a preflight may ask for (case-insensitive). Default `[]`.
/// - `expose_headers`: response headers the page's script may read. Default `[]`.
/// - `allow_credentials`: cookies and HTTP authentication on cross-origin calls. Default `false`.
/// - `max_age`: how long browsers may cache a preflight answer, 1s to 1d. Default `10m`.
/// - `on_disallowed`: what happens to a non-preflight request from an origin that is not
///   allowed: `forward` (default) sends it upstream without CORS headers, so the browser
///   hides the response from the page; `reject` answers 403 and raises `cors-origin-denied`.
///   Same-origin requests (Origin equal to the request's own scheme and Host) always pass.
///
/// Preflights (OPTIONS with Origin and Access-Control-Request-Method) are answered at the
/// gateway and never forwarded: 204 with the policy when the origin, the method and every
/// requested header are allowed; otherwise 403 and a `cors-preflight-denied` event.
/// Every response gets `Vary: Origin`, and the upstream's own `Access-Control-*` headers are
/// removed, so the gateway's policy is the only one the browser sees.
public enum CORSPlugin: Plugin {
    public static let name = "cors"

    static let settingKeys = ["allow_origins", "allow_methods", "allow_headers", "expose_headers",
                              "allow_credentials", "max_age", "on_disallowed"]

    public static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics d: ConfigDiagnostics) -> (any Filter)? {
        let errorsBefore = d.errors.count
        guard let m = settings.mapping(d, keys: settingKeys, required: ["allow_origins"], in: "filter '\(context.filterName)'")
        else { return nil }

        let credentials = m["allow_credentials"]?.bool(d) ?? false
        let origins = m["allow_origins"].map { allowedOrigins($0, credentials: credentials ? m["allow_credentials"] : nil, d) }
        let methods = m["allow_methods"].map { methodList($0, d) } ?? ["GET", "HEAD", "POST"]
        let allowHeaders = m["allow_headers"].map { headerList($0, key: "allow_headers", d) } ?? []
        let exposeHeaders = m["expose_headers"].map { headerList($0, key: "expose_headers", d) } ?? []
        let maxAge = m["max_age"].map { maxAgeSeconds($0, d) } ?? 600
        let reject = m["on_disallowed"].map { $0.oneOf(d, ["forward", "reject"]) == "reject" } ?? false
        guard d.errors.count == errorsBefore, let origins else { return nil }

        var preflight = HTTPHeaders()
        if !methods.isEmpty { preflight.add("Access-Control-Allow-Methods", methods.joined(separator: ", ")) }
        if !allowHeaders.isEmpty { preflight.add("Access-Control-Allow-Headers", allowHeaders.joined(separator: ", ")) }
        preflight.add("Access-Control-Max-Age", String(maxAge))
        var actual = HTTPHeaders()
        if !exposeHeaders.isEmpty { actual.add("Access-Control-Expose-Headers", exposeHeaders.joined(separator: ", ")) }
        if credentials {
            preflight.add("Access-Control-Allow-Credentials", "true")
            actual.add("Access-Control-Allow-Credentials", "true")
        }
        preflight.add("Vary", "Origin")

        return CORSFilter(
            filterName: context.filterName, origins: origins.patterns, allowsAnyOrigin: origins.any,
            allowedMethods: methods.map { Array($0.utf8) }, allowedHeaders: allowHeaders.map { Array($0.lowercased().utf8) },
            rejectsDisallowed: reject, preflightHeaders: preflight, responseHeaders: actual)
    }

    // MARK: Readers

    /// The `allow_origins` list. `credentials` is the `allow_credentials` node when it is true.
    static func allowedOrigins(_ node: ConfigNode, credentials: ConfigNode?, _ d: ConfigDiagnostics) -> (patterns: [OriginPattern], any: Bool) {
        guard let items = node.list(d) else { return ([], false) }
        guard !items.isEmpty else {
            d.error("allow_origins is empty; list the allowed origins, e.g. [\"https://portal.example.org\"]", at: node.location)
            return ([], false)
        }
        var patterns: [OriginPattern] = []
        var any = false
        for item in items {
            guard let text = item.string(d) else { continue }
            guard text != "*" else {
                any = true
                if let credentials {
                    d.error("'*' allows every origin and cannot be combined with allow_credentials: true "
                            + "(line \(credentials.location.line)); list the origins instead", at: item.location)
                } else if items.count > 1 {
                    d.error("'*' already allows every origin; remove the other entries", at: item.location)
                }
                continue
            }
            do {
                patterns.append(try OriginPattern(parsing: text))
            } catch {
                d.error(error.message, at: item.location)
            }
        }
        return (patterns, any)
    }

    /// Methods are case-sensitive and browsers only upper-case the standard ones, so the list
    /// must be written as sent.
    static func methodList(_ node: ConfigNode, _ d: ConfigDiagnostics) -> [String] {
        (node.list(d) ?? []).compactMap { item in
            guard let method = item.string(d) else { return nil }
            let isMethod = !method.isEmpty && method.allSatisfy { ("A"..."Z").contains($0) || $0 == "-" || $0 == "_" }
            guard isMethod else {
                let hint = method.uppercased().allSatisfy { ("A"..."Z").contains($0) } ? "; methods are case-sensitive: write '\(method.uppercased())'" : ""
                d.error("'\(method)' is not a method name such as GET or PATCH\(hint)", at: item.location)
                return nil
            }
            return method
        }
    }

    /// Header names, as written; `*` is refused (its meaning changes with credentials).
    static func headerList(_ node: ConfigNode, key: String, _ d: ConfigDiagnostics) -> [String] {
        (node.list(d) ?? []).compactMap { item in
            guard let name = item.string(d) else { return nil }
            var probe = HTTPHeaders()
            guard name != "*", probe.add(name, "") else {
                d.error("\(key) lists header names such as Content-Type; '\(name)' is not one", at: item.location)
                return nil
            }
            return name
        }
    }

    static func maxAgeSeconds(_ node: ConfigNode, _ d: ConfigDiagnostics) -> Int {
        guard let duration = node.duration(d) else { return 0 }
        let seconds = Int(duration.components.seconds)
        // Browsers cap it anyway (Firefox at 24h, Chromium at 2h).
        guard (1...86_400).contains(seconds) else {
            d.error("max_age must be from 1s to 1d", at: node.location)
            return 0
        }
        return seconds
    }
}
