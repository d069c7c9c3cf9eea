// The injection filter through the running gateway: blocked requests never reach the
// upstream and raise an event; detect mode forwards; FHIR narratives pass; exclusions and
// oversize bodies behave as configured; `gateway replay` judges a recorded file offline.

import Foundation
import Testing

/// Three routes in front of the test upstream: blocking (with a narrative exclusion on /fhir),
/// detecting, and blocking with a small body limit that rejects.
private let injectionConfig = """
    workers: 1
    listeners:
      - { name: web, address: "{HTTP}" }
    upstreams:
      app: { targets: ["{UPSTREAM}"] }
    routes:
      - { name: api, match: { path_prefix: /echo }, upstream: app, filters: [waf] }
      - { name: watch, match: { path_prefix: /echo, hosts: [watch.test] }, upstream: app, filters: [watch] }
      - { name: small, match: { path_prefix: /upload }, upstream: app, filters: [small] }
    filters:
      waf:
        plugin: injection
        exclusions:
          - { detector: xss, field: "body:comment", route: api }
      watch: { plugin: injection, mode: detect }
      small: { plugin: injection, max_body: 1KiB, on_oversize: reject }
    events:
      sinks: [{ type: file, path: "{DIR}/events.jsonl" }]

    """

/// The event of `requestID` in the file sink, once written.
private func fileEvent(_ s: FilteredStack, _ requestID: String?) -> [String: Any]? {
    var found: [String: Any]?
    _ = eventually(timeout: 10) {
        found = s.gateway.fileEvents.first { eventField($0, "trace.id") == requestID }
        return found != nil
    }
    return found
}

extension GatewayIntegration {
@Suite("Injection detection through the gateway")
struct InjectionFilterIntegration {
    @Test("an injected query is answered 403 with an injection-blocked event and never forwarded")
    func blocked() throws {
        let s = try FilteredStack(injectionConfig)
        defer { s.stop() }
        let r = try oneRequest(port: s.httpPort, "GET", "/echo?id=1%27%20UNION%20SELECT%20password%20FROM%20users--")
        expectLocalError(r, 403, requestID: r.header("X-Request-ID"), s.diagnostics)
        let event = try #require(fileEvent(s, r.header("X-Request-ID")), "\(s.diagnostics)")
        #expect(eventField(event, "event.action") == "injection-blocked")
        #expect(eventField(event, "rule.id")?.hasPrefix("sqli.") == true, "\(event)")
        #expect(eventField(event, "gateway.location") == "query:id", "\(event)")
        #expect(eventField(event, "gateway.matched")?.contains("UNION SELECT") == true, "\(event)")
        #expect(try s.upstream.stats().requests == 0)

        let ok = try oneRequest(port: s.httpPort, "GET", "/echo?name=O%27Brien&city=Saint-Denis")
        #expect(ok.status == 200, "\(ok)\n\(s.diagnostics)")
    }

    @Test("a body is read before anything goes upstream: an attack in JSON is blocked, a FHIR narrative passes")
    func bodies() throws {
        let s = try FilteredStack(injectionConfig)
        defer { s.stop() }
        let attack = Array(#"{"resourceType":"Patient","name":[{"family":"x' OR 1=1--"}]}"#.utf8)
        let r = try oneRequest(port: s.httpPort, "POST", "/echo", headers: [("Content-Type", "application/fhir+json")], body: attack)
        expectLocalError(r, 403, requestID: r.header("X-Request-ID"), s.diagnostics)
        let event = fileEvent(s, r.header("X-Request-ID"))
        #expect(event.flatMap { eventField($0, "gateway.location") } == "body:name.family", "\(String(describing: event))")

        let narrative = Array(#"""
            {"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>Weight</b>: 185 lbs <span>(Details: LOINC code '29463-7' = 'Body weight')</span></p></div>"},"valueQuantity":{"value":185}}
            """#.utf8)
        let ok = try oneRequest(port: s.httpPort, "POST", "/echo", headers: [("Content-Type", "application/fhir+json")], body: narrative)
        #expect(ok.status == 200, "\(ok)\n\(s.diagnostics)")
        #expect(try s.upstream.stats().requests == 1)
    }

    @Test("an exclusion silences one detector on one field of one route")
    func exclusion() throws {
        let s = try FilteredStack(injectionConfig)
        defer { s.stop() }
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        let silenced = try oneRequest(port: s.httpPort, "POST", "/echo", headers: form,
                                      body: Array("comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E".utf8))
        #expect(silenced.status == 200, "\(silenced)\n\(s.diagnostics)")
        let other = try oneRequest(port: s.httpPort, "POST", "/echo", headers: form,
                                   body: Array("title=%3Cscript%3Ealert(1)%3C%2Fscript%3E".utf8))
        #expect(other.status == 403, "\(other)")
    }

    @Test("detect mode forwards the request and raises injection-detected")
    func detect() throws {
        let s = try FilteredStack(injectionConfig)
        defer { s.stop() }
        let r = try oneRequest(port: s.httpPort, "GET", "/echo?q=%3Cscript%3Ealert(1)%3C/script%3E", hostHeader: "watch.test")
        #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
        let event = fileEvent(s, r.header("X-Request-ID"))
        #expect(event.flatMap { eventField($0, "event.action") } == "injection-detected", "\(s.diagnostics)")
        #expect(event.flatMap { eventField($0, "gateway.action") } == "flagged")
        #expect(try s.upstream.stats().requests == 1)
    }

    @Test("on_oversize: reject answers 413 for a body over max_body, before the upstream sees it")
    func oversize() throws {
        let s = try FilteredStack(injectionConfig)
        defer { s.stop() }
        let big = try oneRequest(port: s.httpPort, "POST", "/upload", headers: [("Content-Type", "text/plain")],
                                 body: Array(repeating: UInt8(ascii: "a"), count: 4096))
        #expect(big.status == 413, "\(big)\n\(s.diagnostics)")
        #expect(fileEvent(s, big.header("X-Request-ID")).flatMap { eventField($0, "event.action") } == "injection-oversize")
        #expect(try s.upstream.stats().requests == 0)
    }

    @Test("gateway replay judges a recorded JSONL file in-process and prints verdicts and rates")
    func replay() throws {
        let dir = try TemporaryDirectory(prefix: "gw-replay")
        defer { dir.remove() }
        let config = try dir.write("gateway.yaml", """
            listeners: [{ name: web, address: "127.0.0.1:1" }]
            upstreams: { app: { targets: ["127.0.0.1:2"] } }
            routes: [{ name: all, match: { path_prefix: / }, upstream: app, filters: [waf] }]
            filters: { waf: { plugin: injection } }
            """)
        let rows = [
            #"{"id":"a1","category":"sqli","method":"GET","uri":"/get?id=1%27%20or%20%271%27%3D%271","headers":{"Host":"x"},"body":null,"expect":"attack"}"#,
            #"{"id":"a2","category":"xss","method":"POST","uri":"/post","headers":{"Host":"x"},"body":"c=<script>alert(1)</script>","expect":"attack"}"#,
            #"{"id":"b1","category":"sqli","method":"GET","uri":"/get?name=O%27Brien","headers":{"Host":"x"},"body":null,"expect":"benign"}"#,
        ].joined(separator: "\n")
        let file = try dir.write("rows.jsonl", rows + "\n")
        let r = try runGatewayCommand(["replay", file, "--config", config])
        #expect(r.succeeded, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("a1\tsqli\tattack\tblocked") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("a2\txss\tattack\tblocked") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("b1\tsqli\tbenign\tpassed") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("ALL") && $0.contains("100.0%") && $0.contains("0.0%") }, "\(r.stdout)")
    }
}
}
