import GatewayCore
import GatewayTesting
import Testing
@testable import InjectionDetection

private func errors(_ settings: String) -> [String] {
    FilterTester.diagnose(InjectionPlugin.self, settings: settings).map(\.description)
}

@Suite("injection filter")
struct FilterTests {
    @Test("config: defaults are valid; typos get the nearest key, detector or route; bad fields are explained")
    func configDiagnostics() {
        #expect(errors("{}").isEmpty)
        #expect(errors("mode: detect\nthreshold: 10\nmax_body: 64KiB\non_oversize: reject\ndetectors: [sqli, xss]").isEmpty)
        #expect(errors("mod: block").contains { $0.contains("unknown key 'mod'") && $0.contains("'mode'") })
        #expect(errors("mode: observe").contains { $0.contains("block") && $0.contains("detect") })
        #expect(errors("threshold: 0").count == 1)
        #expect(errors("max_body: 10MiB0").count == 1)
        #expect(errors("detectors: [sqlii]").contains { $0.contains("did you mean 'sqli'") })
        #expect(errors("exclusions: [{ detector: xss, field: \"bdy:text.div\" }]").contains { $0.contains("is not one of path") })
        #expect(errors("exclusions: [{ detector: xss, field: \"body:text.div\", route: tst }]").contains { $0.contains("did you mean 'test'") })
        #expect(errors("exclusions: [{ field: \"path\" }]").contains { $0.contains("detector") })
        #expect(errors("exclusions: [{ detector: any, field: \"query:q\", route: test }]").isEmpty)
    }

    @Test("block mode: 403 with the gateway's JSON error and one event naming rule, detector, location and fragment")
    func blockEvent() throws {
        let tester = try FilterTester(InjectionPlugin.self, settings: "{}")
        let exchange = tester.exchange(target: "/search?id=1%27%20UNION%20SELECT%20password%20FROM%20users--")
        guard case .respond(let response)? = tester.requestHead(exchange) else {
            Issue.record("not blocked")
            return
        }
        #expect(response.status == 403)
        #expect(String(decoding: response.body, as: UTF8.self).contains(#""status":403"#))
        #expect(exchange.events.count == 1)
        let event = try #require(exchange.events.first).event
        #expect(event.name == "injection-blocked")
        #expect(event.action == .blocked)
        #expect(event.ruleID.hasPrefix("sqli."))
        #expect(event.ruleCategory == "sqli")
        #expect(event.details["location"] == "query:id")
        #expect(event.details["detector"] == "sqli")
        #expect(Int(event.details["score"] ?? "") ?? 0 >= 5)
        #expect(event.matched?.contains("UNION SELECT") == true)
        #expect(exchange.tags.contains("injection:sqli"))
    }

    @Test("events carry a capped fragment, never the body, and never cookie values")
    func eventPrivacy() throws {
        let tester = try FilterTester(InjectionPlugin.self, settings: "{}")
        let secret = String(repeating: "PATIENT-NOTE ", count: 50)
        let body = #"{"note": "\#(secret)' OR 1=1--\#(secret)"}"#
        let exchange = tester.exchange(method: "POST", target: "/api", headers: [("Content-Type", "application/json")], body: true)
        _ = tester.requestHead(exchange)
        _ = tester.requestBody(exchange, Array(body.utf8))
        let event = try #require(exchange.events.first).event
        #expect((event.matched?.utf8.count ?? 0) <= Report.fragmentLimit + 40)
        #expect(!(event.matched ?? "").contains(secret))

        let cookie = tester.exchange(headers: [("Cookie", "sid=abc123; x=1%27%20or%201%3D1--")])
        _ = tester.requestHead(cookie)
        let cookieEvent = try #require(cookie.events.first).event
        #expect(cookieEvent.details["location"] == "cookie:x")
        #expect(cookieEvent.matched == "[redacted]")
    }

    @Test("the fragment is the decoded text itself: the event serializer escapes it, once")
    func fragmentIsText() throws {
        let verdict = judge(defaultTester, "GET", "/search?q=x%27%20UNION%09SELECT%20password%20FROM%20users--")
        #expect(verdict.blocked)
        let matched = try #require(verdict.events.first?.event.matched)
        #expect(matched.contains("UNION\tSELECT password"), "\(matched)")
    }

    @Test("detect mode forwards, tags the exchange and raises injection-detected")
    func detectMode() throws {
        let tester = try FilterTester(InjectionPlugin.self, settings: "mode: detect")
        let exchange = tester.exchange(target: "/?q=%3Cscript%3Ealert(1)%3C/script%3E")
        guard case .proceed? = tester.requestHead(exchange) else {
            Issue.record("detect mode answered")
            return
        }
        #expect(exchange.events.map(\.event.name) == ["injection-detected"])
        #expect(exchange.events.first?.event.action == .flagged)
        #expect(exchange.tags == ["injection:xss"])
    }

    @Test("clean requests pass without events and without allocating findings")
    func clean() throws {
        let tester = try FilterTester(InjectionPlugin.self, settings: "{}")
        let v = judge(tester, "GET", "/api/Patient?name=Smith&birthdate=ge2001-01-01&_count=10",
                      headers: [("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"),
                                ("Referer", "https://portal.example.org/records?tab=labs"), ("Cookie", "sid=abc; theme=dark")])
        #expect(!v.blocked && v.events.isEmpty)
    }

    @Test("exclusions silence one detector on one field (optionally one route), nothing else")
    func exclusions() throws {
        let narrative = #"{"text": {"div": "<div><script>alert(1)</script></div>"}, "note": "<script>alert(2)</script>"}"#
        let headers = [("Content-Type", "application/fhir+json")]
        let strict = try FilterTester(InjectionPlugin.self, settings: "{}")
        #expect(judge(strict, "POST", "/fhir", headers: headers, body: narrative).blocked)

        let excluded = try FilterTester(InjectionPlugin.self, settings: #"exclusions: [{ detector: xss, field: "body:text.div" }]"#)
        let v = judge(excluded, "POST", "/fhir", headers: headers, body: narrative)
        #expect(v.blocked, "the other field still counts")
        #expect(v.events.first?.event.details["location"] == "body:note")
        #expect(!v.findings.contains("body:text.div"))
        #expect(!judge(excluded, "POST", "/fhir", headers: headers, body: #"{"text": {"div": "<script>x</script>"}}"#).blocked)
        #expect(judge(excluded, "POST", "/fhir", headers: headers, body: #"{"text": {"div": "' union select 1--"}}"#).blocked,
                "only the xss detector is silenced")

        let otherRoute = try FilterTester(InjectionPlugin.self, settings: #"exclusions: [{ detector: any, field: "query:q*", route: test }]"#)
        #expect(!judge(otherRoute, "GET", "/?q1=<script>alert(1)</script>").blocked, "the tester's route is 'test'")
    }

    @Test("threshold: weak findings alone pass, a higher threshold needs more")
    func threshold() throws {
        let relaxed = try FilterTester(InjectionPlugin.self, settings: "threshold: 10")
        #expect(!judge(relaxed, "GET", "/?q=%3Ciframe%20src=x%3E").blocked, "one critical finding (5) is under 10")
        #expect(judge(relaxed, "GET", "/?q=%3Cscript%3Ealert(1)%3C/script%3E%3Cimg%20src=x%20onerror=alert(1)%3E").blocked)
    }

    @Test("oversize bodies: inspect_prefix judges the first max_body bytes, reject answers 413")
    func oversize() throws {
        let attack = #"{"a": "' OR 1=1--"}"#
        let filler = String(repeating: " ", count: 2000)
        let prefix = try FilterTester(InjectionPlugin.self, settings: "max_body: 1KiB")
        let early = prefix.exchange(method: "POST", target: "/", headers: [("Content-Type", "application/json")], body: true)
        _ = prefix.requestHead(early)
        guard case .respond(let r) = prefix.requestBody(early, Array((attack + filler).utf8), complete: false) else {
            Issue.record("an attack in the inspected prefix passed")
            return
        }
        #expect(r.status == 403)
        let late = prefix.exchange(method: "POST", target: "/", headers: [("Content-Type", "application/json")], body: true)
        _ = prefix.requestHead(late)
        guard case .proceed = prefix.requestBody(late, Array(("{\"pad\": \"" + filler + "\", " + attack.dropFirst()).utf8), complete: false) else {
            Issue.record("past max_body is not inspected with inspect_prefix")
            return
        }

        let reject = try FilterTester(InjectionPlugin.self, settings: "max_body: 1KiB\non_oversize: reject")
        let big = reject.exchange(method: "POST", target: "/", headers: [("Content-Type", "application/json")], body: true)
        _ = reject.requestHead(big)
        guard case .respond(let tooLarge) = reject.requestBody(big, Array(filler.utf8), complete: false) else {
            Issue.record("oversize body not rejected")
            return
        }
        #expect(tooLarge.status == 413)
        #expect(big.events.first?.event.name == "injection-oversize")
    }

    @Test("binary bodies are not read; FHIR JSON with XHTML narrative passes")
    func bodyTypes() throws {
        let tester = try FilterTester(InjectionPlugin.self, settings: "{}")
        let image = tester.exchange(method: "POST", target: "/upload", headers: [("Content-Type", "image/png")], body: true)
        #expect({ if case .proceed? = tester.requestHead(image) { return true } else { return false } }())
        let narrative = #"""
            {"resourceType": "Observation", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>Code</b>: Body weight <span>(Details : {LOINC code '29463-7' = 'Body weight'})</span></p><p>Value: 185 lbs (Details: UCUM code [lb_av] = 'lb_av')</p></div>"},
             "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body Weight"}]}, "valueQuantity": {"value": 185}}
            """#
        #expect(!judge(tester, "POST", "/fhir/Observation", headers: [("Content-Type", "application/fhir+json")], body: narrative).blocked)
    }
}
