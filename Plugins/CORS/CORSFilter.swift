import GatewayCore
import GatewayHTTP

/// Answers preflights, optionally rejects disallowed origins, and writes the CORS response
/// headers. Origins, methods and header names are compared as bytes against values
/// lowercased when the config loaded; only denials (events) and preflight answers allocate.
final class CORSFilter: Filter {
    let filterName: String
    let origins: [OriginPattern]
    /// `allow_origins: ["*"]`: every origin, answered with `Access-Control-Allow-Origin: *`.
    let allowsAnyOrigin: Bool
    let allowedMethods: [[UInt8]]
    /// Lowercased.
    let allowedHeaders: [[UInt8]]
    let rejectsDisallowed: Bool
    /// Everything a successful preflight answer carries except Allow-Origin.
    let preflightHeaders: HTTPHeaders
    /// What an allowed actual response carries besides Allow-Origin (credentials, exposed headers).
    let responseHeaders: HTTPHeaders

    /// Response headers that only the gateway may set (the Fetch standard's list, plus Private Network Access).
    static let upstreamHeaders = [
        "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
        "Access-Control-Allow-Private-Network",
    ]
    static let allowOriginName = Array("Access-Control-Allow-Origin".utf8)
    static let anyOrigin = Array("*".utf8)

    init(filterName: String, origins: [OriginPattern], allowsAnyOrigin: Bool, allowedMethods: [[UInt8]],
         allowedHeaders: [[UInt8]], rejectsDisallowed: Bool, preflightHeaders: HTTPHeaders, responseHeaders: HTTPHeaders) {
        self.filterName = filterName
        self.origins = origins
        self.allowsAnyOrigin = allowsAnyOrigin
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.rejectsDisallowed = rejectsDisallowed
        self.preflightHeaders = preflightHeaders
        self.responseHeaders = responseHeaders
    }

    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        guard let allowed = originAllowed(exchange.request) else { return .proceed }  // not a CORS request
        if CORSFilter.isPreflight(exchange.request) { return preflight(exchange, originAllowed: allowed) }
        guard !allowed, rejectsDisallowed, !CORSFilter.isSameOrigin(exchange) else { return .proceed }
        exchange.emit(SecurityEvent(
            name: "cors-origin-denied", action: .blocked, severity: .medium,
            ruleID: "cors.origin", ruleName: "request from a disallowed origin", ruleCategory: "cors",
            filter: filterName, reason: "cross-origin request from an origin that is not allowed",
            matched: exchange.request.headers.first("Origin")))
        return .respond(.error(403, requestID: exchange.requestID))
    }

    func onResponseHead(_ exchange: Exchange) {
        if !exchange.isLocalResponse {
            for name in CORSFilter.upstreamHeaders { exchange.response.headers.remove(name) }
        }
        // The answer depends on Origin even when it carries no CORS headers: caches must not mix them.
        if !exchange.response.headers.hasToken("origin", in: "Vary") && !exchange.response.headers.hasToken("*", in: "Vary") {
            exchange.response.headers.add("Vary", "Origin")
        }
        // Preflight answers are complete already (and are always local: preflights are never forwarded).
        guard !CORSFilter.isPreflight(exchange.request), originAllowed(exchange.request) == true else { return }
        setAllowOrigin(&exchange.response.headers, request: exchange.request)
        exchange.response.headers.set(contentsOf: responseHeaders)
    }

    // MARK: Preflight

    private func preflight(_ exchange: Exchange, originAllowed: Bool) -> FilterAction {
        let headers = exchange.request.headers
        let refusal: String? = if !originAllowed {
            "origin not allowed"
        } else if headers.withFirst("Access-Control-Request-Method", { method in allowedMethods.contains { $0.elementsEqual(method) } }) != true {
            "method not allowed"
        } else if let header = firstDisallowedHeader(headers) {
            "request header '\(header)' not allowed"
        } else {
            nil
        }
        guard let refusal else {
            var response = LocalResponse(status: 204, headers: preflightHeaders)
            setAllowOrigin(&response.headers, request: exchange.request)
            return .respond(response)
        }
        var details: [String: String] = [:]
        for (header, key) in [("Access-Control-Request-Method", "request_method"), ("Access-Control-Request-Headers", "request_headers")] {
            if let value = headers.first(header) { details[key] = value }
        }
        exchange.emit(SecurityEvent(
            name: "cors-preflight-denied", action: .blocked, severity: .low,
            ruleID: "cors.preflight", ruleName: "CORS preflight denied", ruleCategory: "cors",
            filter: filterName, reason: refusal, matched: headers.first("Origin"), details: details))
        return .respond(.error(403, requestID: exchange.requestID))
    }

    /// The first name in Access-Control-Request-Headers that `allow_headers` lacks. Browsers send
    /// one such field; they also enforce the answer's list, so only that field is checked.
    private func firstDisallowedHeader(_ headers: HTTPHeaders) -> String? {
        headers.withFirst("Access-Control-Request-Headers") { list -> String? in
            var start = 0
            while start < list.count {
                var end = start
                while end < list.count && list[end] != UInt8(ascii: ",") { end += 1 }
                var (s, e) = (start, end)
                while s < e && (list[s] == UInt8(ascii: " ") || list[s] == UInt8(ascii: "\t")) { s += 1 }
                while e > s && (list[e - 1] == UInt8(ascii: " ") || list[e - 1] == UInt8(ascii: "\t")) { e -= 1 }
                let name = UnsafeRawBufferPointer(rebasing: list[s..<e])
                if !name.isEmpty && !allowedHeaders.contains(where: { $0.withUnsafeBytes { asciiEqualsIgnoringCase(name, $0) } }) {
                    return String(decoding: name, as: UTF8.self)
                }
                start = end + 1
            }
            return nil
        } ?? nil
    }

    // MARK: Helpers

    /// Whether the request's Origin is allowed; nil when it has none.
    private func originAllowed(_ request: HTTPRequestHead) -> Bool? {
        request.headers.withFirst("Origin") { origin in
            allowsAnyOrigin || origins.contains { $0.matches(origin) }
        }
    }

    /// `*` for allow-all (never combined with credentials), else the request's own origin.
    private func setAllowOrigin(_ headers: inout HTTPHeaders, request: HTTPRequestHead) {
        CORSFilter.allowOriginName.withUnsafeBytes { name in
            if allowsAnyOrigin {
                CORSFilter.anyOrigin.withUnsafeBytes { _ = headers.set(name: name, value: $0) }
            } else {
                request.headers.withFirst("Origin") { _ = headers.set(name: name, value: $0) }
            }
        }
    }

    static func isPreflight(_ request: HTTPRequestHead) -> Bool {
        request.method == .options && request.headers.contains("Access-Control-Request-Method") && request.headers.contains("Origin")
    }

    /// Origin is this request's own scheme and Host: a same-origin request, which is not CORS.
    static func isSameOrigin(_ exchange: Exchange) -> Bool {
        let scheme = exchange.isTLS ? "https://" : "http://"
        let headers = exchange.request.headers
        return headers.withFirst("Origin") { origin in
            headers.withFirst("Host") { host in
                origin.count == scheme.utf8.count + host.count
                    && origin.prefix(scheme.utf8.count).elementsEqual(scheme.utf8)
                    && asciiEqualsIgnoringCase(UnsafeRawBufferPointer(rebasing: origin[scheme.utf8.count...]), host)
            } ?? false
        } ?? false
    }
}
