import CORS
import GatewayCore
import GatewayHTTP
import GatewayTesting
import Testing

private let portal = """
    allow_origins: ["https://portal.example.org", "https://*.example.org"]
    allow_methods: [GET, POST]
    allow_headers: [Content-Type, Authorization]
    expose_headers: [X-Request-ID]
    allow_credentials: true
    max_age: 10m
    """

private func errors(_ settings: String) -> [String] {
    FilterTester.diagnose(CORSPlugin.self, settings: settings).map(\.description)
}

/// What happens to a GET from `origin`: the request verdict and the response headers.
private func actual(_ tester: FilterTester, origin: String?, upstream: [(String, String)] = []) -> (FilterAction?, HTTPHeaders) {
    let exchange = tester.exchange(headers: origin.map { [("Origin", $0)] } ?? [])
    let action = tester.requestHead(exchange)
    if case .respond(let response)? = action { return (action, tester.responseHead(exchange, local: response).headers) }
    return (action, tester.responseHead(exchange, headers: upstream).headers)
}

/// Whether an actual request from `origin` is allowed (gets Access-Control-Allow-Origin).
private func allows(_ tester: FilterTester, _ origin: String) -> Bool {
    actual(tester, origin: origin).1.first("Access-Control-Allow-Origin") == origin
}

/// A preflight from `origin`: the local answer, after the response phase, and the exchange.
private func preflight(_ tester: FilterTester, origin: String, method: String = "POST",
                       requestHeaders: String? = nil) throws -> (LocalResponse, HTTPHeaders, Exchange) {
    var headers = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if let requestHeaders { headers.append(("Access-Control-Request-Headers", requestHeaders)) }
    let exchange = tester.exchange(method: "OPTIONS", target: "/api/patients", headers: headers)
    guard case .respond(let response)? = tester.requestHead(exchange) else {
        throw PreflightForwarded()
    }
    return (response, tester.responseHead(exchange, local: response).headers, exchange)
}

private struct PreflightForwarded: Error {}

@Suite("cors")
struct CORSTests {
    // MARK: Origins

    @Test("exact origins match case-insensitively, and nothing else")
    func exactOrigins() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: #"allow_origins: ["https://portal.example.org", "http://localhost:3000"]"#)
        #expect(allows(tester, "https://portal.example.org"))
        #expect(allows(tester, "HTTPS://Portal.Example.ORG"))
        #expect(allows(tester, "http://localhost:3000"))
        #expect(!allows(tester, "http://portal.example.org"))
        #expect(!allows(tester, "https://portal.example.org:8443"))
        #expect(!allows(tester, "https://portal.example.org.evil.com"))
        #expect(!allows(tester, "https://portal.example.or"))
        #expect(!allows(tester, "http://localhost:30000"))
        #expect(!allows(tester, "null"))
    }

    @Test("https://*.example.org: one or more labels, same scheme and port, never the bare or a look-alike domain")
    func wildcardOrigins() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: #"allow_origins: ["https://*.example.org"]"#)
        #expect(allows(tester, "https://a.example.org"))
        #expect(allows(tester, "https://a.b.example.org"))
        #expect(allows(tester, "https://my-app_1.example.org"))
        #expect(allows(tester, "HTTPS://A.EXAMPLE.ORG"))
        #expect(!allows(tester, "https://example.org"))
        #expect(!allows(tester, "https://.example.org"))
        #expect(!allows(tester, "https://a..example.org"))
        #expect(!allows(tester, "https://example.org.evil.com"))
        #expect(!allows(tester, "https://a.example.org.evil.com"))
        #expect(!allows(tester, "https://evil-example.org"))
        #expect(!allows(tester, "https://evilexample.org"))
        #expect(!allows(tester, "http://a.example.org"))
        #expect(!allows(tester, "https://a.example.org:8443"))
        #expect(!allows(tester, "https://a.example.org."))
        #expect(!allows(tester, "https://evil.com/.example.org"))
        #expect(!allows(tester, "https://user@a.example.org"))
        #expect(!allows(tester, "null"))

        let withPort = try FilterTester(CORSPlugin.self, settings: #"allow_origins: ["https://*.example.org:8443"]"#)
        #expect(allows(withPort, "https://a.example.org:8443"))
        #expect(!allows(withPort, "https://a.example.org"))
        #expect(!allows(withPort, "https://a.example.org:443"))
    }

    @Test("the null origin is refused unless listed")
    func nullOrigin() throws {
        let listed = try FilterTester(CORSPlugin.self, settings: #"allow_origins: ["null", "https://a.example.org"]"#)
        #expect(allows(listed, "null"))
        let notListed = try FilterTester(CORSPlugin.self, settings: #"allow_origins: ["https://*.example.org"]"#)
        #expect(!allows(notListed, "null"))
    }

    @Test("\"*\" allows any origin with Access-Control-Allow-Origin: *")
    func allowAll() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: #"allow_origins: ["*"]"#)
        let (_, headers) = actual(tester, origin: "https://anyone.example.net")
        #expect(headers.all("Access-Control-Allow-Origin") == ["*"])
        #expect(!headers.contains("Access-Control-Allow-Credentials"))
        let (response, _, _) = try preflight(tester, origin: "https://anyone.example.net")
        #expect(response.status == 204)
        #expect(response.headers.first("Access-Control-Allow-Origin") == "*")
    }

    // MARK: Actual requests

    @Test("an allowed origin gets the gateway's headers; the upstream's Access-Control-* are replaced")
    func allowedActualRequest() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal)
        let (action, headers) = actual(tester, origin: "https://portal.example.org", upstream: [
            ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "PUT, DELETE"),
            ("Access-Control-Allow-Credentials", "false"), ("Access-Control-Max-Age", "99999"),
            ("Vary", "Accept-Encoding"), ("Content-Type", "application/fhir+json"),
        ])
        guard case .proceed? = action else {
            Issue.record("not forwarded")
            return
        }
        #expect(headers.all("Access-Control-Allow-Origin") == ["https://portal.example.org"])
        #expect(headers.all("Access-Control-Allow-Credentials") == ["true"])
        #expect(headers.all("Access-Control-Expose-Headers") == ["X-Request-ID"])
        #expect(!headers.contains("Access-Control-Allow-Methods"))
        #expect(!headers.contains("Access-Control-Max-Age"))
        #expect(headers.all("Vary") == ["Accept-Encoding", "Origin"])
        #expect(headers.first("Content-Type") == "application/fhir+json")
    }

    @Test("a disallowed origin is forwarded by default, without CORS headers (the browser blocks it)")
    func disallowedForwarded() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal)
        let exchange = tester.exchange(headers: [("Origin", "https://evil.example.com")])
        guard case .proceed? = tester.requestHead(exchange) else {
            Issue.record("not forwarded")
            return
        }
        #expect(exchange.events.isEmpty)
        let headers = tester.responseHead(exchange, headers: [("Access-Control-Allow-Origin", "*")]).headers
        #expect(!headers.contains("Access-Control-Allow-Origin"))
        #expect(!headers.contains("Access-Control-Allow-Credentials"))
        #expect(headers.all("Vary") == ["Origin"])
    }

    @Test("on_disallowed: reject answers 403 with a cors-origin-denied event; same-origin requests pass")
    func disallowedRejected() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal + "\non_disallowed: reject")
        let exchange = tester.exchange(method: "POST", headers: [("Origin", "https://evil.example.com")])
        guard case .respond(let response)? = tester.requestHead(exchange) else {
            Issue.record("not rejected")
            return
        }
        #expect(response.status == 403)
        let event = try #require(exchange.events.first?.event)
        #expect(event.name == "cors-origin-denied")
        #expect(event.action == .blocked)
        #expect(event.matched == "https://evil.example.com")

        let sameOrigin = tester.exchange(method: "POST", headers: [("Host", "gateway.test"), ("Origin", "http://gateway.test")])
        guard case .proceed? = tester.requestHead(sameOrigin) else {
            Issue.record("a same-origin request was rejected")
            return
        }
        let sameOriginTLS = tester.exchange(method: "POST", headers: [("Host", "Gateway.Test"), ("Origin", "https://gateway.test")], tls: true)
        guard case .proceed? = tester.requestHead(sameOriginTLS) else {
            Issue.record("a same-origin request was rejected")
            return
        }
        let schemeMismatch = tester.exchange(method: "POST", headers: [("Host", "gateway.test"), ("Origin", "http://gateway.test")], tls: true)
        guard case .respond? = tester.requestHead(schemeMismatch) else {
            Issue.record("an http origin passed as same-origin on https")
            return
        }
        guard case .proceed? = tester.requestHead(tester.exchange(headers: [("Origin", "https://a.example.org")])) else {
            Issue.record("an allowed origin was rejected")
            return
        }
    }

    @Test("requests without Origin pass and still get Vary: Origin, once")
    func noOrigin() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal)
        let (action, headers) = actual(tester, origin: nil)
        guard case .proceed? = action else {
            Issue.record("not forwarded")
            return
        }
        #expect(headers.all("Vary") == ["Origin"])
        #expect(!headers.contains("Access-Control-Allow-Origin"))
        let (_, varied) = actual(tester, origin: nil, upstream: [("Vary", "Accept, origin")])
        #expect(varied.all("Vary") == ["Accept, origin"])
        let (_, star) = actual(tester, origin: nil, upstream: [("Vary", "*")])
        #expect(star.all("Vary") == ["*"])
    }

    @Test("a local error to an allowed origin carries the CORS headers, so the page can read it")
    func localErrorToAllowedOrigin() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal)
        let exchange = tester.exchange(headers: [("Origin", "https://portal.example.org")])
        let headers = tester.responseHead(exchange, local: .error(429, requestID: exchange.requestID)).headers
        #expect(headers.first("Access-Control-Allow-Origin") == "https://portal.example.org")
        #expect(headers.first("Access-Control-Allow-Credentials") == "true")
    }

    // MARK: Preflights

    @Test("an allowed preflight is answered at the gateway with the policy and the request's origin")
    func preflightAllowed() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal)
        let (response, headers, exchange) = try preflight(tester, origin: "https://app.example.org",
                                                          requestHeaders: "content-type, Authorization")
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        #expect(headers.all("Access-Control-Allow-Origin") == ["https://app.example.org"])
        #expect(headers.all("Access-Control-Allow-Methods") == ["GET, POST"])
        #expect(headers.all("Access-Control-Allow-Headers") == ["Content-Type, Authorization"])
        #expect(headers.all("Access-Control-Max-Age") == ["600"])
        #expect(headers.all("Access-Control-Allow-Credentials") == ["true"])
        #expect(headers.all("Vary") == ["Origin"])
        #expect(!headers.contains("Access-Control-Expose-Headers"))
        #expect(exchange.events.isEmpty)
    }

    @Test("without credentials the preflight answer has no Allow-Credentials; defaults for methods and max-age")
    func preflightDefaults() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: #"allow_origins: ["https://portal.example.org"]"#)
        let (response, headers, _) = try preflight(tester, origin: "https://portal.example.org", method: "HEAD")
        #expect(response.status == 204)
        #expect(headers.all("Access-Control-Allow-Methods") == ["GET, HEAD, POST"])
        #expect(headers.all("Access-Control-Max-Age") == ["600"])
        #expect(!headers.contains("Access-Control-Allow-Credentials"))
        #expect(!headers.contains("Access-Control-Allow-Headers"))
    }

    @Test("a preflight is denied with 403 and a cors-preflight-denied event for a bad origin, method or header")
    func preflightDenied() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal)
        let cases: [(origin: String, method: String, headers: String?, reason: String)] = [
            ("https://evil.example.com", "POST", nil, "origin not allowed"),
            ("https://portal.example.org", "DELETE", nil, "method not allowed"),
            ("https://portal.example.org", "post", nil, "method not allowed"),
            ("https://portal.example.org", "POST", "content-type, x-debug", "request header 'x-debug' not allowed"),
        ]
        for c in cases {
            let (response, headers, exchange) = try preflight(tester, origin: c.origin, method: c.method, requestHeaders: c.headers)
            #expect(response.status == 403, "\(c)")
            #expect(!headers.contains("Access-Control-Allow-Origin"), "\(c)")
            #expect(headers.all("Vary") == ["Origin"], "\(c)")
            let event = try #require(exchange.events.first?.event)
            #expect(event.name == "cors-preflight-denied")
            #expect(event.reason == c.reason)
            #expect(event.matched == c.origin)
            #expect(event.details["request_method"] == c.method)
        }
    }

    @Test("OPTIONS without Access-Control-Request-Method is not a preflight and goes upstream")
    func plainOptions() throws {
        let tester = try FilterTester(CORSPlugin.self, settings: portal)
        let exchange = tester.exchange(method: "OPTIONS", headers: [("Origin", "https://portal.example.org")])
        guard case .proceed? = tester.requestHead(exchange) else {
            Issue.record("not forwarded")
            return
        }
    }

    // MARK: Config errors

    @Test("\"*\" with allow_credentials is refused at the \"*\" entry")
    func starWithCredentials() {
        #expect(errors("allow_origins: [\"*\"]\nallow_credentials: true") == [
            "settings.yaml:1:17: '*' allows every origin and cannot be combined with allow_credentials: true (line 2); list the origins instead",
        ])
        #expect(errors("allow_origins:\n  - https://a.example.org\n  - \"*\"") == [
            "settings.yaml:3:5: '*' already allows every origin; remove the other entries",
        ])
        #expect(errors("allow_origins: [\"*\"]\nallow_credentials: false").isEmpty)
    }

    @Test("origin entries are checked")
    func originErrors() {
        func error(_ origin: String) -> String? {
            errors("allow_origins: [\"\(origin)\"]").first
        }
        #expect(error("https://portal.example.org/") == "settings.yaml:1:17: 'https://portal.example.org/' is not an origin: remove '/' (an origin has no path)")
        #expect(error("https://portal.example.org/app") == "settings.yaml:1:17: 'https://portal.example.org/app' is not an origin: remove '/app' (an origin has no path)")
        #expect(error("portal.example.org") == "settings.yaml:1:17: 'portal.example.org' is not an origin; expected scheme://host[:port] such as https://portal.example.org")
        #expect(error("https://portal.example.org:443") == "settings.yaml:1:17: remove ':443' from 'https://portal.example.org:443': browsers omit the default port from Origin")
        #expect(error("https://portal.example.org:99999") == "settings.yaml:1:17: 'https://portal.example.org:99999' has an invalid port")
        #expect(error("https://*.org") == "settings.yaml:1:17: 'https://*.org': a wildcard needs a domain of at least two labels after '*.', such as *.example.org")
        #expect(error("https://*") == "settings.yaml:1:17: 'https://*': '*' is only allowed as the whole first label, as in https://*.example.org")
        #expect(error("https://a*.example.org") == "settings.yaml:1:17: 'https://a*.example.org': '*' is only allowed as the whole first label, as in https://*.example.org")
        #expect(error("https://*.*.example.org") == "settings.yaml:1:17: 'https://*.*.example.org': a wildcard needs a domain of at least two labels after '*.', such as *.example.org")
        #expect(error("https://") == "settings.yaml:1:17: 'https://' has an invalid host")
        #expect(error("1http://a.example.org") == "settings.yaml:1:17: '1http://a.example.org' has an invalid scheme")
        #expect(error("https://user@a.example.org") == "settings.yaml:1:17: 'https://user@a.example.org' is not an origin: remove the user name")
        #expect(errors("allow_origins: [\"capacitor://localhost\", \"http://[::1]:8080\", \"HTTPS://Portal.Example.org\"]").isEmpty)
    }

    @Test("other settings errors")
    func settingsErrors() {
        #expect(errors("allow_methods: [GET]") == ["settings.yaml:1:1: missing required key 'allow_origins' in filter 'test'"])
        #expect(errors("allow_origins: []") == [#"settings.yaml:1:16: allow_origins is empty; list the allowed origins, e.g. ["https://portal.example.org"]"#])
        let origins = "allow_origins: [\"https://a.example.org\"]\n"
        #expect(errors(origins + "allow_methods: [GET, patch]")
                == ["settings.yaml:2:22: 'patch' is not a method name such as GET or PATCH; methods are case-sensitive: write 'PATCH'"])
        #expect(errors(origins + "allow_methods: [\"*\"]") == ["settings.yaml:2:17: '*' is not a method name such as GET or PATCH"])
        #expect(errors(origins + "allow_headers: [\"*\"]")
                == ["settings.yaml:2:17: allow_headers lists header names such as Content-Type; '*' is not one"])
        #expect(errors(origins + "expose_headers: [\"X Total\"]")
                == ["settings.yaml:2:18: expose_headers lists header names such as Content-Type; 'X Total' is not one"])
        #expect(errors(origins + "max_age: 2d") == ["settings.yaml:2:10: max_age must be from 1s to 1d"])
        #expect(errors(origins + "max_age: 500ms") == ["settings.yaml:2:10: max_age must be from 1s to 1d"])
        #expect(errors(origins + "on_disallowed: block") == ["settings.yaml:2:16: expected 'forward' or 'reject', found 'block'"])
        #expect(errors(origins + "allow_credential: true")
                == ["settings.yaml:2:1: unknown key 'allow_credential' in filter 'test'; did you mean 'allow_credentials'?"])
    }
}
