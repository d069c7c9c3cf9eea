// The four built-in filters through the running gateway: security_headers, cors, ip_access
// and error_pages on real routes, in front of the test upstream.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// An upstream and a gateway whose routes run filters. `GatewayConfig` renders routes without
/// filters, so this writes its own YAML: `{HTTP}`, `{HTTPS}`, `{UPSTREAM}` and `{CERT}`/`{KEY}`
/// in the template are filled in when it starts.
final class FilteredStack {
    let upstream: UpstreamServer
    let gateway: YAMLGateway

    /// `template` names the listeners `{HTTP}` and `{HTTPS}`, the upstream `{UPSTREAM}` and the
    /// certificate `{CERT}` / `{KEY}`.
    init(_ template: String, pki: TestPKI? = nil) throws {
        upstream = try UpstreamServer.start()
        do {
            gateway = try YAMLGateway(
                template
                    .replacingOccurrences(of: "{HTTP}", with: "127.0.0.1:{PORT}")
                    .replacingOccurrences(of: "{HTTPS}", with: "127.0.0.1:{PORT2}")
                    .replacingOccurrences(of: "{UPSTREAM}", with: upstream.address)
                    .replacingOccurrences(of: "{CERT}", with: pki?.ec.cert ?? "")
                    .replacingOccurrences(of: "{KEY}", with: pki?.ec.key ?? ""),
                waitForPort2: pki != nil)
        } catch {
            upstream.stop()
            throw error
        }
    }

    var httpPort: UInt16 { gateway.port }
    var httpsPort: UInt16 { gateway.port2 }

    /// Waits for the event line `name` of the request `requestID` (events are published when the exchange ends).
    func eventLine(_ name: String, requestID: String?) -> String? {
        var found: String?
        eventually(timeout: 10) {
            found = gateway.stderr.split(separator: "\n").first { line in
                line.contains(" \(name) ") && requestID.map { line.contains("trace.id=\($0)") } ?? true
            }.map(String.init)
            return found != nil
        }
        return found
    }

    var diagnostics: String { gateway.diagnostics }

    func stop() {
        gateway.stop()
        upstream.stop()
    }

    deinit { stop() }
}

/// Routes by path onto the upstream's endpoints; the office route is chosen by Host.
private func config(trustedProxies: String, tls: Bool = false) -> String {
    """
    workers: 1
    trusted_proxies: \(trustedProxies)
    listeners:
      - { name: web, address: "{HTTP}" }
    \(tls ? "  - { name: web-tls, address: \"{HTTPS}\", tls: { certificates: [{ cert: \"{CERT}\", key: \"{KEY}\" }] } }" : "")
    upstreams:
      app: { targets: ["{UPSTREAM}"] }
    routes:
      - { name: office, match: { path_prefix: /echo, hosts: [admin.test] }, upstream: app, filters: [office_only, headers] }
      - { name: api, match: { path_prefix: /echo }, upstream: app, filters: [headers, cors] }
      - { name: leaky, match: { path_prefix: /headers }, upstream: app, filters: [headers] }
      - { name: errors, match: { path_prefix: /status/ }, upstream: app, filters: [headers, errors] }
      - { name: reports, match: { path_prefix: /csp-report }, upstream: app, filters: [reporting] }
    filters:
      headers: { plugin: security_headers }
      reporting: { plugin: security_headers, report_path: /csp-report }
      cors:
        plugin: cors
        allow_origins: ["https://portal.example.org", "https://*.example.org"]
        allow_methods: [GET, POST]
        allow_headers: [Content-Type, Authorization]
        allow_credentials: true
        max_age: 10m
      office_only:
        plugin: ip_access
        allow: [10.20.0.0/16, "2001:db8::/32"]
        deny: [10.20.99.0/24]
      errors: { plugin: error_pages }

    """
}

extension GatewayIntegration {
@Suite("Built-in filters: security_headers, cors, ip_access, error_pages")
struct PluginFilters {
    static let secureDefaults = [
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "geolocation=(), camera=(), microphone=(), payment=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]

    @Test("conf/portal.yaml passes gateway check")
    func portalExampleChecks() throws {
        let path = URL(fileURLWithPath: Paths.integrationTestsDirectory + "/../../conf/portal.yaml").standardizedFileURL.path
        let r = try runGatewayCommand(["check", "--config", path])
        #expect(r.succeeded, "\(r)")
    }

    @Test("security headers: the defaults on every response, upstream values replaced, backend headers removed")
    func securityHeaders() throws {
        let s = try FilteredStack(config(trustedProxies: "[]"))
        defer { s.stop() }
        let r = try oneRequest(port: s.httpPort, "GET",
                               "/headers?set=Server:Werkzeug/2.0&set=X-Powered-By:PHP/5.6&set=X-Frame-Options:ALLOWALL&set=X-AspNet-Version:4.0")
        #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
        for (name, value) in Self.secureDefaults {
            #expect(r.headerValues(name) == [value], "\(name): \(r.headers)")
        }
        for name in ["Server", "X-Powered-By", "X-AspNet-Version", "Strict-Transport-Security"] {
            #expect(r.header(name) == nil, "\(name) reached the client: \(r.headers)")
        }

        // A local answer (an IP denial on the office route) gets them too.
        let denied = try oneRequest(port: s.httpPort, "GET", "/echo", hostHeader: "admin.test")
        #expect(denied.status == 403, "\(denied)")
        #expect(denied.header("X-Frame-Options") == "DENY")
        #expect(denied.header("Content-Security-Policy") == Self.secureDefaults[0].1)
    }

    @Test("security headers: Strict-Transport-Security over TLS only")
    func hstsOverTLS() throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        let s = try FilteredStack(config(trustedProxies: "[]", tls: true), pki: pki)
        defer { s.stop() }
        let name = TestPKI.ecName
        let tls = try Curl.request("https://\(name):\(s.httpsPort)/echo", resolve: ["\(name):\(s.httpsPort):127.0.0.1"],
                                   cacert: pki.caCert)
        #expect(tls.status == 200, "\(tls)\n\(s.diagnostics)")
        #expect(tls.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains", "\(tls.headers)")
        let plain = try oneRequest(port: s.httpPort, "GET", "/echo")
        #expect(plain.header("Strict-Transport-Security") == nil)
    }

    @Test("security headers: behind a trusted TLS-terminating proxy, its X-Forwarded-Proto: https brings HSTS; a client's own claim does not")
    func hstsBehindTrustedProxy() throws {
        let trusted = try FilteredStack(config(trustedProxies: "[127.0.0.1/32]"))
        defer { trusted.stop() }
        let proxied = try oneRequest(port: trusted.httpPort, "GET", "/echo",
                                     headers: [("X-Forwarded-For", "198.51.100.9"), ("X-Forwarded-Proto", "http, https")])
        #expect(proxied.status == 200, "\(proxied)\n\(trusted.diagnostics)")
        #expect(proxied.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains", "\(proxied.headers)")
        #expect(try proxied.json(EchoResult.self).values("X-Forwarded-Proto") == ["https"])
        let plainBehindProxy = try oneRequest(port: trusted.httpPort, "GET", "/echo", headers: [("X-Forwarded-Proto", "http")])
        #expect(plainBehindProxy.header("Strict-Transport-Security") == nil)

        let untrusted = try FilteredStack(config(trustedProxies: "[10.0.0.0/8]"))
        defer { untrusted.stop() }
        let claimed = try oneRequest(port: untrusted.httpPort, "GET", "/echo", headers: [("X-Forwarded-Proto", "https")])
        #expect(claimed.header("Strict-Transport-Security") == nil, "\(claimed.headers)")
        #expect(try claimed.json(EchoResult.self).values("X-Forwarded-Proto") == ["http"])
    }

    @Test("cors: an allowed preflight is answered at the gateway and never reaches the upstream")
    func preflightAllowed() throws {
        let s = try FilteredStack(config(trustedProxies: "[]"))
        defer { s.stop() }
        let r = try oneRequest(port: s.httpPort, "OPTIONS", "/echo", headers: [
            ("Origin", "https://app.example.org"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type, authorization"),
        ])
        #expect(r.status == 204, "\(r)\n\(s.diagnostics)")
        #expect(r.header("Access-Control-Allow-Origin") == "https://app.example.org")
        #expect(r.header("Access-Control-Allow-Methods") == "GET, POST")
        #expect(r.header("Access-Control-Allow-Headers") == "Content-Type, Authorization")
        #expect(r.header("Access-Control-Allow-Credentials") == "true")
        #expect(r.header("Access-Control-Max-Age") == "600")
        #expect(r.hasToken("Vary", "Origin"))
        #expect(r.header("X-Frame-Options") == "DENY", "security headers run on the preflight answer too")
        let stats = try s.upstream.stats()
        #expect(stats.requests == 0, "the preflight was forwarded: \(stats)")
    }

    @Test("cors: a preflight from another origin is denied with 403 and a cors-preflight-denied event")
    func preflightDenied() throws {
        let s = try FilteredStack(config(trustedProxies: "[]"))
        defer { s.stop() }
        let r = try oneRequest(port: s.httpPort, "OPTIONS", "/echo", headers: [
            ("Origin", "https://example.org.evil.com"), ("Access-Control-Request-Method", "POST"),
        ])
        expectLocalError(r, 403, requestID: r.header("X-Request-ID"), s.diagnostics)
        #expect(r.header("Access-Control-Allow-Origin") == nil)
        #expect(s.eventLine("cors-preflight-denied", requestID: r.header("X-Request-ID")) != nil, "\(s.diagnostics)")
        #expect(try s.upstream.stats().requests == 0)
    }

    @Test("cors: actual requests get the gateway's Allow-Origin only for allowed origins, Vary: Origin always")
    func actualRequests() throws {
        let s = try FilteredStack(config(trustedProxies: "[]"))
        defer { s.stop() }
        let allowed = try oneRequest(port: s.httpPort, "GET", "/echo", headers: [("Origin", "https://portal.example.org")])
        #expect(allowed.status == 200, "\(allowed)\n\(s.diagnostics)")
        #expect(allowed.headerValues("Access-Control-Allow-Origin") == ["https://portal.example.org"])
        #expect(allowed.header("Access-Control-Allow-Credentials") == "true")
        #expect(allowed.hasToken("Vary", "Origin"))

        let other = try oneRequest(port: s.httpPort, "GET", "/echo", headers: [("Origin", "https://evil.example.com")])
        #expect(other.status == 200, "forwarded by default (on_disallowed: forward)")
        #expect(other.header("Access-Control-Allow-Origin") == nil)
        #expect(other.hasToken("Vary", "Origin"))
    }

    @Test("ip_access: the client from a trusted proxy's X-Forwarded-For is allowed; a spoofed leftmost entry is not")
    func ipAccessTrustedProxy() throws {
        let s = try FilteredStack(config(trustedProxies: "[127.0.0.1/32]"))
        defer { s.stop() }
        let office = try oneRequest(port: s.httpPort, "GET", "/echo", hostHeader: "admin.test",
                                    headers: [("X-Forwarded-For", "10.20.1.2")])
        #expect(office.status == 200, "\(office)\n\(s.diagnostics)")
        #expect(try office.json(EchoResult.self).method == "GET")

        let v6 = try oneRequest(port: s.httpPort, "GET", "/echo", hostHeader: "admin.test",
                                headers: [("X-Forwarded-For", "2001:db8::7")])
        #expect(v6.status == 200, "\(v6)")

        // Read right to left: the first untrusted entry is the client, whatever is written before it.
        let spoofed = try oneRequest(port: s.httpPort, "GET", "/echo", hostHeader: "admin.test",
                                     headers: [("X-Forwarded-For", "10.20.1.2, 203.0.113.9")])
        expectLocalError(spoofed, 403, requestID: spoofed.header("X-Request-ID"), s.diagnostics)
        let event = s.eventLine("ip-denied", requestID: spoofed.header("X-Request-ID"))
        #expect(event?.contains("source.ip=203.0.113.9") == true, "\(event ?? "no event")\n\(s.diagnostics)")

        let guest = try oneRequest(port: s.httpPort, "GET", "/echo", hostHeader: "admin.test",
                                   headers: [("X-Forwarded-For", "10.20.99.5")])
        #expect(guest.status == 403, "deny wins over allow: \(guest)")
        #expect(s.eventLine("ip-denied", requestID: guest.header("X-Request-ID")) != nil)
        #expect(try s.upstream.stats().requests == 2, "only the two allowed requests reached the upstream")
    }

    @Test("ip_access: X-Forwarded-For from an untrusted peer is ignored, so it cannot claim an office address")
    func ipAccessSpoofedHeader() throws {
        let s = try FilteredStack(config(trustedProxies: "[10.0.0.0/8]"))
        defer { s.stop() }
        let r = try oneRequest(port: s.httpPort, "GET", "/echo", hostHeader: "admin.test",
                               headers: [("X-Forwarded-For", "10.20.1.2")])
        expectLocalError(r, 403, requestID: r.header("X-Request-ID"), s.diagnostics)
        let event = s.eventLine("ip-denied", requestID: r.header("X-Request-ID"))
        #expect(event?.contains("source.ip=127.0.0.1") == true, "\(event ?? "no event")\n\(s.diagnostics)")
        #expect(try s.upstream.stats().requests == 0)
    }

    @Test("security_headers: a CSP report POSTed to report_path becomes a csp-violation event and never goes upstream")
    func cspReportBecomesAnEvent() throws {
        let s = try FilteredStack(config(trustedProxies: "[]"))
        defer { s.stop() }
        let report = Array(#"{"csp-report":{"document-uri":"https://portal.example.org/chart","violated-directive":"script-src","blocked-uri":"https://evil.example/x.js"}}"#.utf8)
        let r = try oneRequest(port: s.httpPort, "POST", "/csp-report",
                               headers: [("Content-Type", "application/csp-report")], body: report)
        #expect(r.status == 204, "\(r)\n\(s.diagnostics)")
        #expect(s.eventLine("csp-violation", requestID: r.header("X-Request-ID")) != nil, "\(s.diagnostics)")
        #expect(try s.upstream.stats().requests == 0)

        // With Expect: 100-continue the gateway asks for the body itself.
        let c = try RawConnection(port: s.httpPort)
        defer { c.close() }
        try c.send("POST /csp-report HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/csp-report\r\n"
                   + "Content-Length: \(report.count)\r\nExpect: 100-continue\r\n\r\n")
        let interim = try c.readResponse()
        #expect(interim.status == 100)
        try c.send(report)
        #expect(try c.readFinalResponse(method: "POST").status == 204)
        #expect(try s.upstream.stats().requests == 0)
    }

    @Test("error_pages: an upstream 500 body is replaced by JSON (or HTML for browsers) with the request id")
    func errorBodyReplaced() throws {
        let s = try FilteredStack(config(trustedProxies: "[]"))
        defer { s.stop() }
        let r = try oneRequest(port: s.httpPort, "GET", "/status/500?set=ETag:%22abc%22&set=Content-Language:en",
                               headers: [("Accept", "application/fhir+json")])
        #expect(r.status == 500, "\(r)\n\(s.diagnostics)")
        let requestID = try #require(r.header("X-Request-ID"))
        let error = try #require(r.jsonObject?["error"] as? [String: Any], "\(r)")
        #expect(error["status"] as? Int == 500)
        #expect(error["message"] as? String == "Internal Server Error")
        #expect(error["request_id"] as? String == requestID)
        #expect(!r.bodyText.contains("\"server\""), "the upstream body leaked: \(r.bodyText)")
        #expect(r.header("Content-Type") == "application/json")
        #expect(r.header("Content-Length") == String(r.body.count))
        #expect(r.header("X-Content-Type-Options") == "nosniff")
        // Headers that described the hidden body are dropped with it.
        #expect(r.header("ETag") == nil && r.header("Content-Language") == nil, "\(r)")
        let event = s.eventLine("upstream-error-hidden", requestID: requestID)
        #expect(event != nil, "\(s.diagnostics)")

        let page = try oneRequest(port: s.httpPort, "GET", "/status/503",
                                  headers: [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")])
        #expect(page.status == 503, "\(page)")
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.bodyText.contains("503 Service Unavailable"))
        #expect(page.bodyText.contains(try #require(page.header("X-Request-ID"))))

        let notFound = try oneRequest(port: s.httpPort, "GET", "/status/404")
        #expect(notFound.status == 404)
        #expect(notFound.bodyText.contains("\"server\""), "4xx bodies pass by default: \(notFound)")
    }
}
}
