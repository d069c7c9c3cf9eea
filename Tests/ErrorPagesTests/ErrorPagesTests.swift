@testable import ErrorPages
import GatewayCore
import GatewayTesting
import Testing

private let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

/// Runs the response phase on an upstream response with `status`; returns the exchange.
private func respond(_ tester: FilterTester, status: Int, accept: String? = nil,
                     headers: [(String, String)] = [("Content-Type", "text/plain")]) -> Exchange {
    let exchange = tester.exchange(headers: accept.map { [("Accept", $0)] } ?? [])
    _ = tester.responseHead(exchange, status: status, headers: headers)
    return exchange
}

private func errors(_ settings: String) -> [String] {
    FilterTester.diagnose(ErrorPagesPlugin.self, settings: settings).map(\.description)
}

@Suite("error_pages")
struct ErrorPagesTests {
    @Test("an upstream 5xx body is replaced by the gateway's JSON error with the request id; the status stays")
    func jsonReplacement() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self)
        let exchange = respond(tester, status: 500, headers: [
            ("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("ETag", "\"abc\""),
            ("Content-Disposition", "attachment"), ("Cache-Control", "public, max-age=60"), ("Retry-After", "5"),
        ])
        let replacement = try #require(exchange.replacementBody)
        #expect(replacement.contentType == "application/json")
        #expect(String(decoding: replacement.body, as: UTF8.self)
                == #"{"error":{"status":500,"message":"Internal Server Error","request_id":"\#(exchange.requestID)"}}"# + "\n")
        #expect(exchange.response.status == 500)
        #expect(exchange.response.headers.all("Cache-Control") == ["no-store"])
        #expect(exchange.response.headers.first("Retry-After") == "5")
        // Headers describing the upstream body (Content-Encoding, ETag, ...) are dropped by the
        // core when it sends the replacement (covered by PluginIntegrationTests).
        #expect(exchange.capturedBodyLimit == 256)
    }

    @Test("by default only 5xx: 4xx, 3xx and 2xx bodies pass untouched")
    func defaultStatuses() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self)
        for status in [502, 503, 504, 599] {
            #expect(respond(tester, status: status).replacementBody != nil, "\(status)")
        }
        for status in [200, 204, 301, 400, 404, 422, 499] {
            #expect(respond(tester, status: status).replacementBody == nil, "\(status)")
        }
    }

    @Test("statuses: codes and classes")
    func configuredStatuses() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self, settings: "statuses: [4xx, 502]")
        #expect(respond(tester, status: 404).replacementBody != nil)
        #expect(respond(tester, status: 400).replacementBody != nil)
        #expect(respond(tester, status: 502).replacementBody != nil)
        #expect(respond(tester, status: 500).replacementBody == nil)
        #expect(respond(tester, status: 200).replacementBody == nil)
    }

    @Test("local responses are never replaced")
    func localResponses() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self)
        let exchange = tester.exchange()
        _ = tester.responseHead(exchange, local: .error(502, requestID: exchange.requestID))
        #expect(exchange.replacementBody == nil)
        tester.filter.onLog(exchange)
        #expect(exchange.events.isEmpty)
    }

    @Test("HTML when Accept prefers text/html over application/json, else JSON")
    func negotiation() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self)
        let html = [browserAccept, "text/html", "text/*", "text/html, application/json;q=0.9", "application/json;q=0.1, text/html;q=0.2"]
        let json = [nil, "*/*", "application/json", "application/fhir+json", "text/html;q=0", "text/html;q=0.5, application/json",
                    "text/html, application/json", "application/*, text/html;q=0.9", "image/png", ""]
        for accept in html {
            #expect(respond(tester, status: 500, accept: accept).replacementBody?.contentType == "text/html; charset=utf-8", "\(accept)")
        }
        for accept in json {
            #expect(respond(tester, status: 500, accept: accept).replacementBody?.contentType == "application/json", "\(accept ?? "no Accept")")
        }
    }

    @Test("the HTML page is minimal and names the status and the request id")
    func htmlPage() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self)
        let exchange = respond(tester, status: 503, accept: browserAccept)
        let page = String(decoding: try #require(exchange.replacementBody).body, as: UTF8.self)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<title>503 Service Unavailable</title>"))
        #expect(page.contains("<code>\(exchange.requestID)</code>"))
        #expect(page.utf8.count < 400)
        #expect(String(decoding: ErrorPagesFilter.htmlPage(500, requestID: "<x>&\"'"), as: UTF8.self)
                .contains("<code>&lt;x&gt;&amp;&quot;&#39;</code>"))
    }

    @Test("the log phase raises upstream-error-hidden for a replaced body")
    func event() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self)
        let exchange = respond(tester, status: 500)
        tester.filter.onLog(exchange)
        let event = try #require(exchange.events.first?.event)
        #expect(exchange.events.count == 1)
        #expect(event.name == "upstream-error-hidden")
        #expect(event.details["status"] == "500")
        #expect(event.filter == "test")
        #expect(event.action == .flagged)
        // FilterTester cannot fill the capture (the core does while it reads the body): nothing to show.
        #expect(event.matched == nil)

        let passed = respond(tester, status: 404)
        tester.filter.onLog(passed)
        #expect(passed.events.isEmpty)
    }

    @Test("log_body_bytes: 0 keeps nothing of the hidden body")
    func noBodyInEvents() throws {
        let tester = try FilterTester(ErrorPagesPlugin.self, settings: "log_body_bytes: 0")
        let exchange = respond(tester, status: 500)
        #expect(exchange.capturedBodyLimit == 0)
        tester.filter.onLog(exchange)
        #expect(exchange.events.first?.event.matched == nil)
    }

    @Test("settings errors")
    func settingsErrors() {
        #expect(errors("statuses: [200]") == ["settings.yaml:1:12: expected a status from 400 to 599, 4xx or 5xx, found '200'"])
        #expect(errors("statuses: [5XX]") == ["settings.yaml:1:12: expected a status from 400 to 599, 4xx or 5xx, found '5XX'"])
        #expect(errors("statuses: []") == ["settings.yaml:1:11: statuses is empty; list codes or classes such as [5xx, 404]"])
        #expect(errors("statuses: 5xx") == ["settings.yaml:1:11: expected a list, found '5xx'"])
        #expect(errors("log_body_bytes: 1KiB") == ["settings.yaml:1:17: expected a size from 0 to 256, found '1KiB'"])
        #expect(errors("include_4xx: true") == ["settings.yaml:1:1: unknown key 'include_4xx' in filter 'test' (valid keys: statuses, log_body_bytes)"])
    }
}
