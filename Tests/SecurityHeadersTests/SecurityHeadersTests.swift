import GatewayCore
import GatewayHTTP
import GatewayTesting
import SecurityHeaders
import Testing

/// The headers a client gets for an upstream 200 with `upstream` headers.
private func responseHeaders(_ tester: FilterTester, tls: Bool = false, upstream: [(String, String)] = []) -> HTTPHeaders {
    let exchange = tester.exchange(tls: tls)
    return tester.responseHead(exchange, headers: upstream).headers
}

private func errors(_ settings: String) -> [String] {
    FilterTester.diagnose(SecurityHeadersPlugin.self, settings: settings).map(\.description)
}

@Suite("security_headers")
struct SecurityHeadersTests {
    static let defaults: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "geolocation=(), camera=(), microphone=(), payment=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]

    @Test("no settings: the secure defaults for a JSON API, without HSTS over plain HTTP")
    func defaults() throws {
        let headers = responseHeaders(try FilterTester(SecurityHeadersPlugin.self))
        for (name, value) in Self.defaults {
            #expect(headers.all(name) == [value], "\(name)")
        }
        #expect(!headers.contains("Strict-Transport-Security"))
        #expect(!headers.contains("Content-Security-Policy-Report-Only"))
    }

    @Test("HSTS only over TLS, with the default max-age and includeSubDomains")
    func hstsOverTLS() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self)
        #expect(responseHeaders(tester, tls: true).all("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains"])
        #expect(!responseHeaders(tester, tls: false).contains("Strict-Transport-Security"))
    }

    @Test("an upstream's value of a managed header is replaced, never duplicated")
    func replacedNotDuplicated() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self)
        let headers = responseHeaders(tester, tls: true, upstream: [
            ("X-Frame-Options", "ALLOWALL"), ("x-frame-options", "SAMEORIGIN"),
            ("Content-Security-Policy", "default-src *"), ("Strict-Transport-Security", "max-age=0"),
            ("Referrer-Policy", "unsafe-url"), ("Content-Type", "application/json"),
        ])
        #expect(headers.all("X-Frame-Options") == ["DENY"])
        #expect(headers.all("Content-Security-Policy") == ["default-src 'none'; frame-ancestors 'none'; base-uri 'none'"])
        #expect(headers.all("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains"])
        #expect(headers.all("Referrer-Policy") == ["no-referrer"])
        #expect(headers.all("Content-Type") == ["application/json"])
    }

    @Test("headers that reveal the backend are removed, plus remove_headers")
    func leakHeadersRemoved() throws {
        let upstream = [("Server", "Apache/2.4.1 (Unix)"), ("X-Powered-By", "PHP/5.6"), ("X-AspNet-Version", "4.0.30319"),
                        ("X-AspNetMvc-Version", "5.2"), ("X-Backend-Host", "db-7.internal"), ("X-Kept", "yes")]
        let plain = responseHeaders(try FilterTester(SecurityHeadersPlugin.self), upstream: upstream)
        for name in ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"] {
            #expect(!plain.contains(name), "\(name)")
        }
        #expect(plain.first("X-Backend-Host") == "db-7.internal")

        let configured = responseHeaders(try FilterTester(SecurityHeadersPlugin.self, settings: "remove_headers: [X-Backend-Host]"),
                                         upstream: upstream)
        #expect(!configured.contains("X-Backend-Host"))
        #expect(!configured.contains("Server"))
        #expect(configured.first("X-Kept") == "yes")
    }

    @Test("local responses, errors included, get the headers too")
    func localResponses() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self)
        let exchange = tester.exchange(tls: true)
        let headers = tester.responseHead(exchange, local: .error(403, requestID: exchange.requestID)).headers
        for (name, value) in Self.defaults {
            #expect(headers.all(name) == [value], "\(name)")
        }
        #expect(headers.first("Strict-Transport-Security") == "max-age=63072000; includeSubDomains")
        #expect(headers.first("Content-Type") == "application/json")
    }

    @Test("every header can be set to another value")
    func customValues() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self, settings: """
            csp: "default-src 'self'; img-src 'self' data:"
            hsts: { max_age: 365d, include_subdomains: true, preload: true }
            x_frame_options: SAMEORIGIN
            referrer_policy: strict-origin-when-cross-origin
            permissions_policy: "camera=(self)"
            cross_origin_opener_policy: same-origin-allow-popups
            cross_origin_resource_policy: same-site
            custom_headers: { X-Robots-Tag: "noindex, nofollow", Cache-Control: no-store }
            """)
        let headers = responseHeaders(tester, tls: true, upstream: [("Cache-Control", "public, max-age=3600")])
        #expect(headers.first("Content-Security-Policy") == "default-src 'self'; img-src 'self' data:")
        #expect(headers.first("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload")
        #expect(headers.first("X-Frame-Options") == "SAMEORIGIN")
        #expect(headers.first("X-Content-Type-Options") == "nosniff")
        #expect(headers.first("Referrer-Policy") == "strict-origin-when-cross-origin")
        #expect(headers.first("Permissions-Policy") == "camera=(self)")
        #expect(headers.first("Cross-Origin-Opener-Policy") == "same-origin-allow-popups")
        #expect(headers.first("Cross-Origin-Resource-Policy") == "same-site")
        #expect(headers.first("X-Robots-Tag") == "noindex, nofollow")
        #expect(headers.all("Cache-Control") == ["no-store"])
    }

    @Test("off or false turns a header off, letting the upstream's own value through")
    func turnedOff() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self, settings: """
            csp: off
            hsts: false
            x_frame_options: off
            x_content_type_options: "off"
            referrer_policy: OFF
            permissions_policy: False
            cross_origin_opener_policy: off
            cross_origin_resource_policy: off
            """)
        let headers = responseHeaders(tester, tls: true, upstream: [("Content-Security-Policy", "default-src 'self'"),
                                                                    ("Strict-Transport-Security", "max-age=300")])
        #expect(headers.all("Content-Security-Policy") == ["default-src 'self'"])
        #expect(headers.all("Strict-Transport-Security") == ["max-age=300"])
        for (name, _) in Self.defaults.dropFirst() {
            #expect(!headers.contains(name), "\(name)")
        }
    }

    @Test("csp_report_only sends the policy as Content-Security-Policy-Report-Only")
    func reportOnly() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self, settings: "csp_report_only: true")
        let headers = responseHeaders(tester, upstream: [("Content-Security-Policy", "default-src 'self'")])
        #expect(headers.all("Content-Security-Policy-Report-Only") == ["default-src 'none'; frame-ancestors 'none'; base-uri 'none'"])
        // The upstream's enforced policy is not the managed header here, so it stays.
        #expect(headers.all("Content-Security-Policy") == ["default-src 'self'"])
    }

    @Test("HSTS settings: max_age in seconds, include_subdomains off")
    func hstsSettings() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self, settings: "hsts: { max_age: 1h, include_subdomains: false }")
        #expect(responseHeaders(tester, tls: true).first("Strict-Transport-Security") == "max-age=3600")
    }

    // MARK: CSP reports

    /// A CSP level 2 report, as browsers POST it to `report-uri`.
    static let level2Report = Array("""
        {"csp-report":{"document-uri":"https://portal.example.org/chart?patient=123","referrer":"",
        "violated-directive":"script-src-elem","effective-directive":"script-src-elem",
        "original-policy":"default-src 'none'","blocked-uri":"https://evil.example/x.js?token=abc",
        "source-file":"https://portal.example.org/app.js","line-number":42,"status-code":200}}
        """.utf8)

    /// A Reporting API batch with two violations and an unrelated report.
    static let batchReport = Array("""
        [{"type":"csp-violation","age":1,"url":"https://portal.example.org/","body":{"documentURL":"https://portal.example.org/",
          "blockedURL":"inline","effectiveDirective":"script-src-elem","disposition":"enforce"}},
         {"type":"csp-violation","body":{"documentURL":"https://portal.example.org/a","blockedURL":"eval","effectiveDirective":"script-src"}},
         {"type":"deprecation","body":{"id":"x"}}]
        """.utf8)

    /// The head-phase verdict on a request to the report path, and its exchange.
    private func report(_ tester: FilterTester, method: String = "POST", path: String = "/csp-report",
                        contentType: String? = "application/csp-report", framing: HTTPBodyFraming = .contentLength(600),
                        headers: [(String, String)] = []) -> (FilterAction?, Exchange) {
        let exchange = tester.exchange(method: method, target: path, headers: headers + (contentType.map { [("Content-Type", $0)] } ?? []))
        exchange.request.framing = framing
        return (tester.requestHead(exchange), exchange)
    }

    private func status(_ action: FilterAction?) -> Int? {
        guard case .respond(let response)? = action else { return nil }
        return response.status
    }

    @Test("report_path reads report POSTs at the gateway: 204 and one csp-violation event per violation, never upstream")
    func reportAccepted() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self, settings: "report_path: /csp-report")
        let (head, exchange) = report(tester, headers: [("Origin", "https://portal.example.org")])
        guard case .proceed? = head else {
            Issue.record("the head phase must ask for the body, not answer: \(String(describing: head))")
            return
        }
        #expect(exchange.requestBodyLimit > 0, "the filter asked for the body")
        #expect(status(tester.requestBody(exchange, Self.level2Report)) == 204)
        let event = try #require(exchange.events.first?.event)
        #expect(exchange.events.count == 1)
        #expect(event.name == "csp-violation")
        #expect(event.action == .flagged)
        #expect(event.matched == "https://evil.example/x.js", "query strings are dropped: they may carry tokens")
        #expect(event.details["directive"] == "script-src-elem")
        #expect(event.details["document_uri"] == "https://portal.example.org/chart")
        #expect(event.details["source_file"] == "https://portal.example.org/app.js")
        #expect(event.details["line"] == "42")
        #expect(event.details["origin"] == "https://portal.example.org")

        let (batchHead, batch) = report(tester, contentType: "Application/Reports+JSON; charset=utf-8", framing: .chunked)
        guard case .proceed? = batchHead else {
            Issue.record("a chunked Reporting API batch is read too")
            return
        }
        #expect(status(tester.requestBody(batch, Self.batchReport)) == 204)
        #expect(batch.events.map { $0.event.matched } == ["inline", "eval"])
    }

    @Test("report_path refuses what is not a small report POST, and other paths pass")
    func reportRefused() throws {
        let tester = try FilterTester(SecurityHeadersPlugin.self, settings: "{ report_path: /csp-report, report_max_bytes: 1KiB }")
        let (get, getExchange) = report(tester, method: "GET", contentType: nil, framing: .none)
        #expect(status(get) == 405)
        if case .respond(let response)? = get { #expect(response.headers.first("Allow") == "POST") }
        #expect(getExchange.events.isEmpty)
        #expect(status(report(tester, contentType: "application/json").0) == 415)
        #expect(status(report(tester, contentType: nil).0) == 415)
        #expect(status(report(tester, framing: .contentLength(1025)).0) == 413)
        #expect(status(report(tester, framing: .none).0) == 400)

        // A chunked body that runs past the limit, and bodies that are not reports.
        let (_, long) = report(tester, framing: .chunked)
        #expect(status(tester.requestBody(long, Array(repeating: 0x20, count: 1025), complete: false)) == 413)
        let (_, garbage) = report(tester)
        #expect(status(tester.requestBody(garbage, Array("not json".utf8))) == 400)
        let (_, wrongShape) = report(tester)
        #expect(status(tester.requestBody(wrongShape, Array(#"{"other":1}"#.utf8))) == 400)
        #expect(long.events.isEmpty && garbage.events.isEmpty && wrongShape.events.isEmpty)

        guard case .proceed? = report(tester, path: "/csp-report/x").0 else {
            Issue.record("another path was answered")
            return
        }
        guard case .proceed? = report(tester, path: "/api/csp-report").0 else {
            Issue.record("another path was answered")
            return
        }
    }

    @Test("report_path adds a report-uri directive unless the policy has one")
    func reportURI() throws {
        let added = try FilterTester(SecurityHeadersPlugin.self, settings: "report_path: /csp-report")
        #expect(responseHeaders(added).first("Content-Security-Policy")
                == "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; report-uri /csp-report")
        let kept = try FilterTester(SecurityHeadersPlugin.self, settings: """
            csp: "default-src 'self'; report-uri https://reports.example.org/csp"
            report_path: /csp-report
            """)
        #expect(responseHeaders(kept).first("Content-Security-Policy") == "default-src 'self'; report-uri https://reports.example.org/csp")
    }

    // MARK: Config errors

    @Test("invalid values are reported at their line and column")
    func valueErrors() {
        #expect(errors("x_frame_options: ALLOWALL")
                == ["settings.yaml:1:18: expected 'DENY', 'SAMEORIGIN' or 'off', found 'ALLOWALL'"])
        #expect(errors("x_frame_options: deny") == ["settings.yaml:1:18: expected 'DENY', 'SAMEORIGIN' or 'off', found 'deny'"])
        #expect(errors("referrer_policy: [no-referrer]") == ["settings.yaml:1:18: expected a string, found a list"])
        #expect(errors("csp: \"default-src 'none';\\nscript-src 'self'\"")
                == ["settings.yaml:1:6: csp must be a non-empty header value without line breaks or control characters (write a long value as a folded '>-' block)"])
        #expect(errors("csp_report_only: maybe") == ["settings.yaml:1:18: expected true or false, found 'maybe'"])
        #expect(errors("x_frame_option: DENY") == ["settings.yaml:1:1: unknown key 'x_frame_option' in filter 'test'; did you mean 'x_frame_options'?"])
    }

    @Test("hsts errors: not a mapping, bad max_age, preload without its requirements")
    func hstsErrors() {
        #expect(errors("hsts: true") == [
            "settings.yaml:1:7: expected off or a mapping such as { max_age: 730d, include_subdomains: true, preload: false }, found 'true'",
        ])
        #expect(errors("hsts: { max_age: 2 }") == ["settings.yaml:1:18: duration '2' needs a unit: ms, s, m, h or d"])
        #expect(errors("hsts: { max_age: 500ms }") == ["settings.yaml:1:18: hsts max_age must be at least 1s"])
        #expect(errors("hsts:\n  max_age: 30d\n  preload: true")
                == ["settings.yaml:3:12: hsts preload requires include_subdomains: true and a max_age of at least 365d"])
        #expect(errors("hsts: { include_subdomains: false, preload: true }")
                == ["settings.yaml:1:45: hsts preload requires include_subdomains: true and a max_age of at least 365d"])
        #expect(errors("hsts: { maxage: 1d }") == ["settings.yaml:1:9: unknown key 'maxage' in hsts; did you mean 'max_age'?"])
    }

    @Test("custom_headers and remove_headers may not touch managed or core headers")
    func headerNameErrors() {
        #expect(errors("custom_headers: { X-Frame-Options: SAMEORIGIN }")
                == ["settings.yaml:1:19: 'X-Frame-Options' has its own key: use 'x_frame_options'"])
        #expect(errors("custom_headers: { strict-transport-security: max-age=1 }")
                == ["settings.yaml:1:19: 'strict-transport-security' has its own key: use 'hsts'"])
        #expect(errors("custom_headers: { Content-Length: \"0\" }")
                == ["settings.yaml:1:19: 'Content-Length' is managed by the gateway and cannot be set or removed here"])
        #expect(errors("custom_headers: { \"Bad Name\": x }") == ["settings.yaml:1:19: 'Bad Name' is not a valid header name"])
        #expect(errors("remove_headers: [Content-Security-Policy]")
                == ["settings.yaml:1:18: 'Content-Security-Policy' has its own key: use 'csp'"])
        #expect(errors("custom_headers: { X-Env: prod }\nremove_headers: [x-env]")
                == ["settings.yaml:2:18: 'x-env' is both in custom_headers and remove_headers"])
    }

    @Test("report settings errors")
    func reportErrors() {
        #expect(errors("report_path: csp-report") == [
            "settings.yaml:1:14: report_path must be a plain path such as /csp-report (letters, digits, '-._~/', no '.' or '..' segments)",
        ])
        #expect(errors("report_path: /a/../csp") == [
            "settings.yaml:1:14: report_path must be a plain path such as /csp-report (letters, digits, '-._~/', no '.' or '..' segments)",
        ])
        #expect(errors("report_max_bytes: 1KiB") == ["settings.yaml:1:19: report_max_bytes only applies together with report_path"])
        #expect(errors("{ report_path: /r, report_max_bytes: 2MiB }")
                == ["settings.yaml:1:38: expected a size from 1 to 1MiB, found '2MiB'"])
    }
}
