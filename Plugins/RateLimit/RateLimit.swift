import GatewayCore
import GatewayHTTP

/// One named limit of a `rate_limit` filter: N requests per window for each distinct key.
struct RateLimit: Sendable {
    enum Algorithm: String, Sendable, CaseIterable {
        /// Exact "N in any window of this length": one timestamp per counted request.
        case slidingWindow = "sliding_window"
        /// N per clock-aligned window: one counter; allows up to 2N across a window edge.
        case fixedWindow = "fixed_window"
        /// GCRA: a steady rate of N per window, with bursts of up to `burst` requests.
        case tokenBucket = "token_bucket"

        /// The code the Lua script and the local limiter switch on.
        var code: Int {
            switch self {
            case .slidingWindow: 1
            case .fixedWindow: 2
            case .tokenBucket: 3
            }
        }
    }

    /// What to do when a key part (a header, a body field...) is absent from a request.
    enum MissingKey: String, Sendable {
        /// Count the request under the client IP instead (never one shared empty bucket).
        case clientIP = "client_ip"
        /// This limit does not apply to the request.
        case skip
    }

    let name: String
    let requests: Int
    /// The window as the config wrote it (`15m`), for messages.
    let window: String
    let windowMicros: Int64
    let algorithm: Algorithm
    /// Token bucket capacity; `requests` unless configured.
    let burst: Int
    let key: [KeyPart]
    let onMissingKey: MissingKey
    let scope: Scope

    /// Which requests a limit counts: all by default, or one path/prefix and method set.
    struct Scope: Sendable {
        var path: [UInt8]?
        var pathPrefix: [UInt8]?
        var methods: [HTTPMethod] = []

        func matches(_ request: HTTPRequestHead) -> Bool {
            if !methods.isEmpty, !methods.contains(request.method) { return false }
            guard path != nil || pathPrefix != nil else { return true }
            return request.withPath { actual in
                if let path { return actual.elementsEqual(path) }
                return actual.starts(with: pathPrefix!)
            }
        }
    }

    var needsBody: Bool { key.contains { if case .body = $0 { true } else { false } } }

    /// This limit's part of the script's ARGV: algorithm code, requests, window µs, burst.
    var scriptArguments: [[UInt8]] {
        [algorithm.code, requests, Int(windowMicros), burst].map { Array(String($0).utf8) }
    }

    /// The `RateLimit-Policy` item: `"auth";q=5;w=900`.
    var policyItem: String { "\"\(name)\";q=\(requests);w=\(max(1, (windowMicros + 999_999) / 1_000_000))" }
}

/// One part of a limit's key.
enum KeyPart: Sendable {
    case clientIP
    case userAgent
    case route
    case header(String)
    case cookie(String)
    case query(String)
    case body(JSONFieldReader)
    case constant(String)

    /// The config spelling, for events and errors (never the value).
    var label: String {
        switch self {
        case .clientIP: "client_ip"
        case .userAgent: "user_agent"
        case .route: "route"
        case .header(let name): "header:\(name)"
        case .cookie(let name): "cookie:\(name)"
        case .query(let name): "query:\(name)"
        case .body(let reader): "body:\(reader.path.joined(separator: "."))"
        case .constant(let text): "const:\(text)"
        }
    }

    /// The part's value in `exchange`; nil when the request does not carry it.
    func value(in exchange: Exchange) -> [UInt8]? {
        let request = exchange.request
        switch self {
        case .clientIP: return Array(exchange.clientIP.unmapped.description.utf8)
        case .userAgent: return request.headers.withFirst("User-Agent") { Array($0) }
        case .route: return exchange.route.map { Array($0.name.utf8) }
        case .header(let name): return request.headers.withFirst(name) { Array($0) }
        case .cookie(let name):
            for header in request.headers.all("Cookie") {
                if let value = FormFields.cookie(named: name, in: header.utf8) { return value }
            }
            return nil
        case .query(let name):
            return request.query.flatMap { FormFields.value(named: name, in: $0.utf8) }
        case .body(let reader):
            return RequestBodyField.value(reader, in: exchange)
        case .constant(let text): return Array(text.utf8)
        }
    }
}

/// A body field as the backend reads it: a JSON member (`application/json`, `application/*+json`)
/// or a form field (`application/x-www-form-urlencoded`, using the path as the field name).
enum RequestBodyField {
    static func value(_ reader: JSONFieldReader, in exchange: Exchange) -> [UInt8]? {
        guard !exchange.requestBody.isEmpty, let type = exchange.request.headers.first("Content-Type") else { return nil }
        let mediaType = type.prefix { $0 != ";" }.trimmingCharacters(in: " \t").lowercased()
        if mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) {
            return reader.value(in: exchange.requestBody)
        }
        if mediaType == "application/x-www-form-urlencoded" {
            return FormFields.value(named: reader.path.joined(separator: "."), in: exchange.requestBody)
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return text
    }
}
