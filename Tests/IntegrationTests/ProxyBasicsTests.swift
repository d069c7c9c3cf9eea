// Plain proxying over HTTP: methods, response framings, status codes, routing.
// (HTTPS proxying is in TLSTests.swift.)

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Proxying: methods, framing, status codes, routing")
struct ProxyBasics {

    @Test("GET reaches the upstream with its target and end-to-end headers; the response comes back")
    func get() throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET", "/echo?q=1&x=%20y",
                                   headers: [("X-Custom", "abc"), ("Accept", "application/json")])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let e = try r.json(EchoResult.self)
            #expect(e.method == "GET")
            #expect(e.target == "/echo?q=1&x=%20y")
            #expect(e.values("X-Custom") == ["abc"])
            #expect(e.values("Accept") == ["application/json"])
            #expect(e.values("Host").count == 1)
            #expect(e.body_length == 0)
            #expect(r.header("Content-Type") == "application/json")
            #expect(try s.upstream.stats().bad_requests == 0)
        }
    }

    @Test("raw UTF-8 in the target (as curl sends IRIs) reaches the upstream %-encoded")
    func utf8Target() throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET", "/echo?name=caf\u{E9}&city=Z\u{FC}rich&n=\u{2460}")
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(try r.json(EchoResult.self).target == "/echo?name=caf%C3%A9&city=Z%C3%BCrich&n=%E2%91%A0")
            let bad = try RawConnection(port: s.port)
            defer { bad.close() }
            try bad.send(Array("GET /echo/".utf8) + [0xC0, 0xAE] + Array(" HTTP/1.1\r\nHost: h\r\n\r\n".utf8), timeout: 10)  // overlong '.'
            #expect(try bad.readFinalResponse(method: "GET", timeout: 10).status == 400)
        }
    }

    @Test("repeated request headers reach the upstream with all their values")
    func repeatedHeaders() throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET", "/echo", headers: [("X-Multi", "one"), ("X-Multi", "two")])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let values = try r.json(EchoResult.self).values("X-Multi")
                .flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(values == ["one", "two"])
        }
    }

    @Test("POST with a Content-Length body arrives intact")
    func post() throws {
        try withProxy { s in
            let body = TestPattern.bytes(count: 100_000)
            let r = try oneRequest(port: s.port, "POST", "/echo",
                                   headers: [("Content-Type", "application/octet-stream")], body: body)
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let e = try r.json(EchoResult.self)
            #expect(e.method == "POST")
            #expect(e.body_length == body.count)
            #expect(e.body_sha256 == SHA256.hex(body))
            #expect(e.header("Content-Type") == "application/octet-stream")
        }
    }

    @Test("HEAD gets the headers without a body, and the connection stays usable")
    func head() throws {
        try withProxy { s in
            let client = HTTPClient(port: s.port)
            defer { client.close() }
            let h = try client.request("HEAD", "/bytes?n=5000")
            #expect(h.status == 200, "\(h)\n\(s.diagnostics)")
            #expect(h.body.isEmpty)
            #expect(h.header("Content-Length") == nil || h.header("Content-Length") == "5000")
            // if the gateway wrongly sent a body after the HEAD response, this parse breaks
            let g = try client.request("GET", "/echo?after-head")
            #expect(g.status == 200)
            #expect(try g.json(EchoResult.self).target == "/echo?after-head")
            #expect(client.connectionsOpened == 1)
        }
    }

    @Test("upstream bodies with Content-Length, chunked and close-delimited framing arrive intact",
          arguments: ["/bytes", "/chunked", "/close"])
    func responseFramings(_ path: String) throws {
        try withProxy { s in
            let n = 1_000_003
            let r = try oneRequest(port: s.port, "GET", "\(path)?n=\(n)&chunk=7000")
            #expect(r.status == 200, "\(r.status) \(r.headers)\n\(s.diagnostics)")
            #expect(r.body.count == n)
            var v = PatternVerifier()
            v.feed(ArraySlice(r.body))
            #expect(v.ok, "body differs from the upstream's at byte \(v.firstMismatch ?? -1)")
        }
    }

    @Test("keep-alive client: several framings and bodiless statuses in a row on one connection")
    func framingsOnOneConnection() throws {
        try withProxy { s in
            let client = HTTPClient(port: s.port)
            defer { client.close() }
            let steps: [(path: String, status: Int, size: Int)] = [
                ("/bytes?n=70000", 200, 70000), ("/chunked?n=70000&chunk=999", 200, 70000), ("/status/204", 204, 0),
                ("/bytes?n=10", 200, 10), ("/status/304", 304, 0), ("/chunked?n=1", 200, 1),
            ]
            for step in steps {
                let r = try client.request("GET", step.path)
                #expect(r.status == step.status, "\(step.path): \(r)\n\(s.diagnostics)")
                #expect(r.body.count == step.size, "\(step.path)")
                var v = PatternVerifier()
                v.feed(ArraySlice(r.body))
                #expect(v.ok, "\(step.path)")
            }
            let last = try client.request("GET", "/echo")
            #expect(last.status == 200 && (try? last.json(EchoResult.self).target) == "/echo")
        }
    }

    @Test("upstream statuses and bodies pass through unchanged", arguments: [404, 418, 500, 503])
    func statusPassThrough(_ code: Int) throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET", "/status/\(code)")
            #expect(r.status == code, "\(r)\n\(s.diagnostics)")
            // the upstream's own body (it names the upstream), not a gateway error page
            #expect(r.bodyText.contains("\"server\": \"app\""), "\(r)")
        }
    }

    @Test("upstream response headers reach the client")
    func responseHeaders() throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET", "/headers?set=X-Backend:one&set=Cache-Control:no-store")
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(r.header("X-Backend") == "one")
            #expect(r.header("Cache-Control") == "no-store")
        }
    }

    @Test("routing: the longest path prefix wins")
    func longestPrefix() throws {
        let a = try UpstreamServer.start(name: "a")
        defer { a.stop() }
        let b = try UpstreamServer.start(name: "b")
        defer { b.stop() }
        var config = GatewayConfig(
            upstreams: [.init(name: "a", targets: [a.address]), .init(name: "b", targets: [b.address])],
            routes: [.init(name: "root", pathPrefix: "/", upstream: "a"),
                     .init(name: "api", pathPrefix: "/api", upstream: "b"),
                     .init(name: "api-v2", pathPrefix: "/api/v2", upstream: "a")])
        config.workers = 1
        let gw = try GatewayProcess.start(config)
        defer { gw.stop() }
        for (target, server) in [("/echo", "a"), ("/api/x", "b"), ("/api/v2/x", "a"), ("/api/v1/x", "b")] {
            let r = try oneRequest(port: gw.httpPort, "GET", target)
            #expect(r.bodyText.contains("\"server\": \"\(server)\""), "\(target) should go to \(server): \(r)\n\(gw.diagnostics)")
        }
    }

    @Test("routing: hosts select the route; no matching route is a local 404")
    func hostsAndNoRoute() throws {
        let a = try UpstreamServer.start(name: "a")
        defer { a.stop() }
        let b = try UpstreamServer.start(name: "b")
        defer { b.stop() }
        let config = GatewayConfig(
            upstreams: [.init(name: "a", targets: [a.address]), .init(name: "b", targets: [b.address])],
            routes: [.init(name: "site-a", pathPrefix: "/", hosts: ["a.test"], upstream: "a"),
                     .init(name: "site-b", pathPrefix: "/", hosts: ["b.test"], upstream: "b"),
                     .init(name: "api-only", pathPrefix: "/api", hosts: ["c.test"], upstream: "a")])
        let gw = try GatewayProcess.start(config)
        defer { gw.stop() }
        let ra = try oneRequest(port: gw.httpPort, "GET", "/echo", hostHeader: "a.test")
        #expect(ra.status == 200 && (try? ra.json(EchoResult.self).server) == "a", "\(ra)\n\(gw.diagnostics)")
        let rb = try oneRequest(port: gw.httpPort, "GET", "/echo", hostHeader: "b.test")
        #expect(rb.status == 200 && (try? rb.json(EchoResult.self).server) == "b", "\(rb)")

        let before = (try a.stats().requests, try b.stats().requests)
        let id = "it-no-route-0123456789abcdef"
        let unknownHost = try oneRequest(port: gw.httpPort, "GET", "/echo", hostHeader: "nobody.test",
                                         headers: [("X-Request-ID", id)])
        expectLocalError(unknownHost, 404, requestID: id, gw.diagnostics)
        let wrongPath = try oneRequest(port: gw.httpPort, "GET", "/other", hostHeader: "c.test")
        expectLocalError(wrongPath, 404, gw.diagnostics)
        let after = (try a.stats().requests, try b.stats().requests)
        #expect(after == before, "a 404 without a route must not reach any upstream")
    }
}
}
