import GatewayConfig
import GatewayCore
import GatewayHTTP

/// `plugin: rate_limit` — tiered request limits, shared by every gateway instance through the
/// top-level `redis:` server, or kept in process when there is none.
///
/// ```yaml
/// redis: { address: 127.0.0.1:6379, timeout: 50ms }
/// filters:
///   auth_limit:
///     plugin: rate_limit
///     on_redis_failure: local
///     limits:
///       - { name: auth, requests: 5, per: 15m, key: [client_ip] }
///       - { name: login, requests: 5, per: 1m, match: { path: /auth/login, methods: [POST] } }
///       - { name: otp, requests: 5, per: 1h, key: ["body:phone"], match: { path: /otp/send } }
///       - { name: burst, requests: 20, per: 1s, burst: 40, algorithm: token_bucket }
/// ```
///
/// Settings:
/// - `limits` (required): one or more limits, each with
///   - `name` (required, unique in the filter; letters, digits, `_`, `-`, `.`): shown in
///     headers, the 429 body and events.
///   - `requests` and `per` (required): N requests per window (`per: 15m`, 1s to 7d).
///   - `key`: what one bucket counts, a list of parts: `client_ip` (after trusted proxies),
///     `user_agent`, `route`, `header:NAME`, `cookie:NAME`, `query:NAME`, `body:FIELD` (a JSON
///     dotted path, or a form field name), `const:TEXT` (one bucket for everyone). Default `[client_ip]`.
///   - `on_missing_key`: when a part is absent from a request, `client_ip` (default: count it
///     per client IP instead) or `skip` (the limit does not apply). Never one shared empty bucket.
///   - `algorithm`: `sliding_window` (default; exact for "N in any window"), `fixed_window`
///     (clock-aligned counters; cheapest, up to 2N across an edge) or `token_bucket` (GCRA: N per
///     window steady, `burst` at once; default burst = `requests`).
///   - `match`: which requests count: `path` (exact) or `path_prefix`, and `methods`. Default: all.
/// - `on_redis_failure`: `local` (default: the in-process limiter judges, per instance),
///   `open` (allow, tag `rate-limit:unchecked`) or `closed` (503). Each raises `rate-limit-unavailable`.
/// - `headers`: `draft` (default: `RateLimit-Policy` + `RateLimit`), `legacy` (`X-RateLimit-*`),
///   `both` or `none`.
/// - `max_body`: body bytes read for `body:` keys. Default 64KiB.
/// - `event_interval`: one `rate-limit-exceeded` event per client and limit per interval. Default 1m.
///
/// Rejected requests do not consume quota: a client that keeps trying while limited gets in
/// again as soon as the window allows.
public enum RateLimitPlugin: Plugin {
    public static let name = "rate_limit"

    static let settingKeys = ["limits", "on_redis_failure", "headers", "max_body", "event_interval"]
    static let limitKeys = ["name", "requests", "per", "key", "on_missing_key", "algorithm", "burst", "match"]

    public static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics d: ConfigDiagnostics) -> (any Filter)? {
        let errorsBefore = d.errors.count
        guard let m = settings.mapping(d, keys: settingKeys, required: ["limits"], in: "filter '\(context.filterName)'")
        else { return nil }
        var limits: [RateLimit] = []
        if let nodes = m["limits"]?.list(d) {
            if nodes.isEmpty { d.error("at least one limit is required", at: m["limits"]!.location) }
            var names: Set<String> = []
            for node in nodes {
                guard let limit = limit(node, d) else { continue }
                if !names.insert(limit.name).inserted {
                    d.error("duplicate limit name '\(limit.name)'", at: node.location)
                }
                limits.append(limit)
            }
        }
        let failure = m["on_redis_failure"].flatMap { $0.oneOf(d, ["open", "closed", "local"]) }
            .flatMap(RateLimitFilter.RedisFailure.init) ?? .local
        let headers = m["headers"].flatMap { $0.oneOf(d, ["draft", "legacy", "both", "none"]) }
            .flatMap(RateLimitFilter.HeaderStyle.init) ?? .draft
        let maxBody = m["max_body"]?.byteSize(d, range: 1...(16 << 20)) ?? 64 << 10
        let interval = m["event_interval"]?.duration(d) ?? .seconds(60)
        guard d.errors.count == errorsBefore else { return nil }
        let redis = context.configuration.redis
        if redis == nil {
            d.note("rate_limit '\(context.filterName)': no redis: configured, so limits are kept in process: each gateway instance counts on its own",
                   at: settings.location)
        }
        return RateLimitFilter(filterName: context.filterName, limits: limits, onRedisFailure: failure, headers: headers,
                               maxBody: maxBody, keyPrefix: redis?.keyPrefix ?? "", usesRedis: redis != nil, eventInterval: interval)
    }

    static func limit(_ node: ConfigNode, _ d: ConfigDiagnostics) -> RateLimit? {
        let errorsBefore = d.errors.count
        guard let m = node.mapping(d, keys: limitKeys, required: ["name", "requests", "per"], in: "limit") else { return nil }
        let name = m["name"]?.string(d)
        if let name, name.isEmpty || !name.utf8.allSatisfy(isNameByte) {
            d.error("limit name '\(name)' must be letters, digits, '_', '-' or '.'", at: m["name"]!.location)
        }
        let requests = m["requests"]?.int(d, range: 1...1_000_000_000)
        let window = m["per"]?.duration(d)
        if let window, window < .seconds(1) || window > .seconds(7 * 86400) {
            d.error("per must be between 1s and 7d, found \(window)", at: m["per"]!.location)
        }
        let algorithm = m["algorithm"].flatMap { $0.oneOf(d, RateLimit.Algorithm.allCases.map(\.rawValue)) }
            .flatMap(RateLimit.Algorithm.init) ?? .slidingWindow
        var burst = requests
        if let burstNode = m["burst"] {
            if algorithm != .tokenBucket {
                d.error("burst applies to algorithm: token_bucket only", at: burstNode.location)
            }
            burst = burstNode.int(d, range: 1...1_000_000_000)
        }
        let key = m["key"].map { keyParts($0, d) } ?? [.clientIP]
        let onMissing = m["on_missing_key"].flatMap { $0.oneOf(d, ["client_ip", "skip"]) }.flatMap(RateLimit.MissingKey.init) ?? .clientIP
        let scope = m["match"].flatMap { self.scope($0, d) } ?? RateLimit.Scope()
        guard d.errors.count == errorsBefore, let name, let requests, let window, let burst else { return nil }
        let (seconds, attoseconds) = window.components
        return RateLimit(name: name, requests: requests, window: m["per"]?.string(d) ?? "\(window)", windowMicros: seconds * 1_000_000 + attoseconds / 1_000_000_000_000,
                         algorithm: algorithm, burst: burst, key: key, onMissingKey: onMissing, scope: scope)
    }

    static let keyKinds = ["client_ip", "user_agent", "route", "header:", "cookie:", "query:", "body:", "const:"]

    static func keyParts(_ node: ConfigNode, _ d: ConfigDiagnostics) -> [KeyPart] {
        guard let items = node.list(d) else { return [] }
        if items.isEmpty { d.error("a key needs at least one part, e.g. [client_ip]", at: node.location) }
        return items.compactMap { item in
            guard let text = item.string(d) else { return nil }
            let (kind, argument) = text.firstIndex(of: ":").map { (String(text[...$0]), String(text[text.index(after: $0)...])) } ?? (text, "")
            func needsArgument(_ make: (String) -> KeyPart) -> KeyPart? {
                guard !argument.isEmpty else {
                    d.error("'\(kind)' needs a name after the colon, e.g. \(kind)X-User-ID", at: item.location)
                    return nil
                }
                return make(argument)
            }
            switch kind {
            case "client_ip": return .clientIP
            case "user_agent": return .userAgent
            case "route": return .route
            case "header:": return needsArgument { .header($0) }
            case "cookie:": return needsArgument { .cookie($0) }
            case "query:": return needsArgument { .query($0) }
            case "body:": return needsArgument { .body(JSONFieldReader(path: $0)) }
            case "const:": return needsArgument { .constant($0) }
            default:
                let hint = Spelling.nearest(to: kind, in: keyKinds).map { "; did you mean '\($0)'?" } ?? ""
                d.error("unknown key part '\(text)' (expected \(keyKinds.map { $0.hasSuffix(":") ? $0 + "NAME" : $0 }.joined(separator: ", ")))\(hint)",
                        at: item.location)
                return nil
            }
        }
    }

    static func scope(_ node: ConfigNode, _ d: ConfigDiagnostics) -> RateLimit.Scope? {
        guard let m = node.mapping(d, keys: ["path", "path_prefix", "methods"], in: "match") else { return nil }
        var scope = RateLimit.Scope()
        if let path = m["path"]?.string(d) { scope.path = Array(path.utf8) }
        if let prefix = m["path_prefix"]?.string(d) { scope.pathPrefix = Array(prefix.utf8) }
        if m["path"] != nil, m["path_prefix"] != nil {
            d.error("use either path or path_prefix, not both", at: node.location)
        }
        for key in ["path", "path_prefix"] {
            if let value = m[key], let text = value.string(d), !text.hasPrefix("/") {
                d.error("\(key) must start with '/', found '\(text)'", at: value.location)
            }
        }
        if let methods = m["methods"]?.stringList(d) { scope.methods = methods.map { HTTPMethod($0.uppercased()) } }
        return scope
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }
}
