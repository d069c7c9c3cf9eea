import GatewayCore
import GatewayHTTP
import GatewayTesting
import Testing
@testable import RateLimit

private func tester(_ settings: String) throws -> FilterTester {
    try FilterTester(RateLimitPlugin.self, settings: settings)
}

private func errors(_ settings: String) -> [String] {
    FilterTester.diagnose(RateLimitPlugin.self, settings: settings).map(\.description)
}

/// The verdict for one request, after the body phase when the filter asked for the body.
private func verdict(_ tester: FilterTester, method: String = "GET", target: String = "/", headers: [(String, String)] = [],
                     body: String? = nil, clientIP: String = "192.0.2.10") -> (FilterAction?, Exchange) {
    let exchange = tester.exchange(method: method, target: target, headers: headers, body: body != nil, clientIP: clientIP)
    var action = tester.requestHead(exchange)
    if case .proceed? = action, let body, exchange.requestBodyLimit > 0 {
        action = tester.requestBody(exchange, Array(body.utf8))
    }
    return (action, exchange)
}

private func allowed(_ tester: FilterTester, _ count: Int, method: String = "GET", target: String = "/", headers: [(String, String)] = [],
                     body: String? = nil, clientIP: String = "192.0.2.10") -> Int {
    (0..<count).filter { _ in
        if case .proceed? = verdict(tester, method: method, target: target, headers: headers, body: body, clientIP: clientIP).0 { true } else { false }
    }.count
}

@Suite struct RateLimitFilterTests {
    @Test func authTierAllowsFiveThenAnswers429() throws {
        let t = try tester("limits: [{ name: auth, requests: 5, per: 15m }]")
        #expect(allowed(t, 5, target: "/auth/login") == 5)
        let (action, exchange) = verdict(t, target: "/auth/login")
        guard case .respond(let response)? = action else { Issue.record("expected 429"); return }
        #expect(response.status == 429)
        let retry = Int(response.headers.first("Retry-After") ?? "") ?? 0
        #expect(retry > 890 && retry <= 900)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body.contains("rate limit 'auth' exceeded"))
        #expect(body.contains(exchange.requestID))
        let event = try #require(exchange.events.first)
        #expect(event.event.name == "rate-limit-exceeded")
        #expect(event.event.ruleID == "rate_limit.auth")
        #expect(event.event.details["key"] == "client_ip")
        // Another client has its own bucket.
        #expect(allowed(t, 1, clientIP: "192.0.2.11") == 1)
    }

    @Test func mostRestrictiveLimitDecides() throws {
        let t = try tester("""
            limits:
              - { name: api, requests: 100, per: 15m }
              - { name: login, requests: 5, per: 1m, match: { path: /auth/login, methods: [POST] } }
              - { name: register, requests: 3, per: 1m, match: { path: /auth/register, methods: [POST] } }
            """)
        #expect(allowed(t, 3, method: "POST", target: "/auth/register") == 3)
        let (action, _) = verdict(t, method: "POST", target: "/auth/register")
        guard case .respond(let response)? = action else { Issue.record("expected 429"); return }
        #expect(String(decoding: response.body, as: UTF8.self).contains("'register'"))
        // Login has its own bucket; GETs of the same path are not login attempts.
        #expect(allowed(t, 5, method: "POST", target: "/auth/login") == 5)
        #expect(allowed(t, 1, method: "POST", target: "/auth/login") == 0)
        #expect(allowed(t, 2, target: "/auth/login") == 2)
    }

    @Test func draftHeadersDescribeEveryLimitThatCounted() throws {
        let t = try tester("""
            limits:
              - { name: api, requests: 100, per: 15m }
              - { name: auth, requests: 5, per: 15m, match: { path_prefix: /auth/ } }
            """)
        _ = allowed(t, 2, target: "/auth/x")
        let (action, exchange) = verdict(t, target: "/auth/x")
        guard case .proceed? = action else { Issue.record("expected to proceed"); return }
        let headers = t.responseHead(exchange).headers
        #expect(headers.first("RateLimit-Policy") == #""api";q=100;w=900, "auth";q=5;w=900"#)
        #expect(headers.first("RateLimit") == #""api";r=97;t=900, "auth";r=2;t=900"#)
        #expect(headers.first("X-RateLimit-Limit") == nil)
    }

    @Test func legacyHeadersShowTheTightestLimit() throws {
        let t = try tester("""
            headers: legacy
            limits:
              - { name: api, requests: 100, per: 15m }
              - { name: pay, requests: 3, per: 1m }
            """)
        let (_, exchange) = verdict(t)
        let headers = t.responseHead(exchange).headers
        #expect(headers.first("X-RateLimit-Limit") == "3")
        #expect(headers.first("X-RateLimit-Remaining") == "2")
        #expect(headers.first("X-RateLimit-Reset") == "60")
        #expect(headers.first("RateLimit") == nil)
    }

    @Test func otpLimitKeyedByJSONBodyField() throws {
        let t = try tester("""
            limits: [{ name: otp, requests: 5, per: 1h, key: ["body:patient.phone"], match: { path: /otp/send } }]
            """)
        let json = [("Content-Type", "application/json")]
        let phone = #"{"patient": {"phone": "+15550001111", "note": "x"}}"#
        // Different clients, same phone: one bucket.
        for i in 0..<5 { #expect(allowed(t, 1, method: "POST", target: "/otp/send", headers: json, body: phone, clientIP: "198.51.100.\(i)") == 1) }
        #expect(allowed(t, 1, method: "POST", target: "/otp/send", headers: json, body: phone, clientIP: "198.51.100.99") == 0)
        // Same client, another phone: another bucket (escapes decoded as the backend would).
        let other = #"{"patient": {"phone": "+1555000\u0032222"}}"#
        #expect(allowed(t, 1, method: "POST", target: "/otp/send", headers: json, body: other, clientIP: "198.51.100.99") == 1)
    }

    @Test func formBodyFieldAndFHIRJSONTypes() throws {
        let t = try tester(#"limits: [{ name: otp, requests: 1, per: 1h, key: ["body:phone"] }]"#)
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        #expect(allowed(t, 1, method: "POST", headers: form, body: "phone=%2B15550003333&x=1") == 1)
        #expect(allowed(t, 1, method: "POST", headers: form, body: "x=2&phone=+15550003333", clientIP: "203.0.113.5") == 1,
                "'+' in a form is a space: another number")
        #expect(allowed(t, 1, method: "POST", headers: form, body: "phone=%2B15550003333", clientIP: "203.0.113.6") == 0)
        let fhir = [("Content-Type", "application/fhir+json; charset=utf-8")]
        #expect(allowed(t, 1, method: "POST", headers: fhir, body: #"{"phone":"+15550004444"}"#) == 1)
        #expect(allowed(t, 1, method: "POST", headers: fhir, body: #"{"phone":"+15550004444"}"#, clientIP: "203.0.113.7") == 0)
    }

    @Test func missingKeyFallsBackToClientIPOrSkips() throws {
        let perIP = try tester(#"limits: [{ name: otp, requests: 2, per: 1h, key: ["header:X-Phone"] }]"#)
        // Without the header, each client is its own bucket: never one shared empty bucket.
        #expect(allowed(perIP, 3, clientIP: "192.0.2.1") == 2)
        #expect(allowed(perIP, 2, clientIP: "192.0.2.2") == 2)
        let skipping = try tester(#"limits: [{ name: otp, requests: 2, per: 1h, key: ["header:X-Phone"], on_missing_key: skip }]"#)
        #expect(allowed(skipping, 5) == 5)
        #expect(allowed(skipping, 3, headers: [("X-Phone", "1")]) == 2)
    }

    @Test func cookieQueryUserAgentAndConstKeys() throws {
        let cookie = try tester(#"limits: [{ name: s, requests: 1, per: 1m, key: ["cookie:session"] }]"#)
        #expect(allowed(cookie, 1, headers: [("Cookie", "a=1; session=abc")]) == 1)
        #expect(allowed(cookie, 1, headers: [("Cookie", "session=abc")], clientIP: "192.0.2.99") == 0)
        #expect(allowed(cookie, 1, headers: [("Cookie", "session=abd")]) == 1)
        let query = try tester(#"limits: [{ name: q, requests: 1, per: 1m, key: ["query:user"] }]"#)
        #expect(allowed(query, 1, target: "/x?user=a%20b") == 1)
        #expect(allowed(query, 1, target: "/y?z=1&user=a+b", clientIP: "192.0.2.98") == 0)
        let fingerprint = try tester(#"limits: [{ name: f, requests: 1, per: 1m, key: [client_ip, user_agent] }]"#)
        #expect(allowed(fingerprint, 1, headers: [("User-Agent", "curl/8")]) == 1)
        #expect(allowed(fingerprint, 1, headers: [("User-Agent", "Mozilla/5.0")]) == 1)
        #expect(allowed(fingerprint, 1, headers: [("User-Agent", "curl/8")]) == 0)
        let global = try tester(#"limits: [{ name: g, requests: 2, per: 1m, key: ["const:all"] }]"#)
        #expect(allowed(global, 1, clientIP: "192.0.2.1") + allowed(global, 1, clientIP: "192.0.2.2") + allowed(global, 1, clientIP: "192.0.2.3") == 2)
    }

    @Test func eventsAreAggregatedPerClientAndLimit() throws {
        let t = try tester("event_interval: 1h\nlimits: [{ name: pay, requests: 1, per: 1m }]")
        _ = allowed(t, 1)
        var events: [EventRecord] = []
        for _ in 0..<20 { events += verdict(t).1.events }
        #expect(events.count == 1)
        // Another client is reported on its own.
        #expect(verdict(t, clientIP: "192.0.2.50").1.events.isEmpty)
        #expect(verdict(t, clientIP: "192.0.2.50").1.events.count == 1)
    }

    @Test func invalidSettingsAreReportedWithLocations() {
        #expect(errors("limits: []") == ["settings.yaml:1:9: at least one limit is required"])
        #expect(errors("limits: [{ name: a, requests: 5 }]").first?.contains("per") == true)
        #expect(errors("limits: [{ name: a, requests: 5, per: 1m, key: [clinet_ip] }]").first?.contains("did you mean 'client_ip'") == true)
        #expect(errors("limits: [{ name: a, requests: 5, per: 1m, burst: 9 }]") == ["settings.yaml:1:50: burst applies to algorithm: token_bucket only"])
        #expect(errors("limits: [{ name: a, requests: 5, per: 1m }, { name: a, requests: 1, per: 1s }]").first?.contains("duplicate limit name 'a'") == true)
        #expect(errors("limits: [{ name: a, requests: 5, per: 1m, key: [\"header:\"] }]").first?.contains("needs a name") == true)
        #expect(errors("on_redis_failure: maybe\nlimits: [{ name: a, requests: 5, per: 1m }]").first?.contains("'open', 'closed' or 'local'") == true)
        #expect(errors("limits: [{ name: a, requests: 5, per: 1m, match: { path: api } }]").first?.contains("must start with '/'") == true)
        #expect(errors("limits: [{ name: \"a b\", requests: 5, per: 1m }]").first?.contains("letters, digits") == true)
    }
}
