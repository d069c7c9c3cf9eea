// Connection management: keep-alive on both sides, Connection: close, HTTP/1.0,
// Expect: 100-continue, the idle timeout.

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Connections: keep-alive, HTTP/1.0, Expect: 100-continue")
struct Connections {

    @Test("100 requests on one client connection reuse one or two upstream connections")
    func keepAliveBothSides() throws {
        try withProxy { s in
            let before = try s.upstream.stats()
            let client = HTTPClient(port: s.port)
            defer { client.close() }
            var upstreamConnections = Set<Int>()
            for i in 0..<100 {
                let r = try client.request("GET", "/echo?i=\(i)")
                #expect(r.status == 200, "request \(i): \(r)\n\(s.diagnostics)")
                if let e = try? r.json(EchoResult.self) {
                    #expect(e.target == "/echo?i=\(i)")
                    upstreamConnections.insert(e.conn_id)
                }
            }
            #expect(client.connectionsOpened == 1, "the gateway closed the client connection")
            let after = try s.upstream.stats()
            #expect(after.requests - before.requests == 100)
            #expect(after.connections - before.connections <= 2,
                    "100 requests used \(after.connections - before.connections) upstream connections: \(after)")
            #expect(upstreamConnections.count <= 2)
        }
    }

    @Test("the upstream pool is shared by successive client connections")
    func poolAcrossClients() throws {
        try withProxy { s in
            let before = try s.upstream.stats()
            for c in 0..<10 {
                let client = HTTPClient(port: s.port)
                for i in 0..<3 {
                    let r = try client.request("GET", "/echo?c=\(c)&i=\(i)")
                    #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
                }
                client.close()
            }
            let after = try s.upstream.stats()
            #expect(after.requests - before.requests == 30)
            #expect(after.connections - before.connections <= 3,
                    "30 requests over 10 client connections used \(after.connections - before.connections) upstream connections")
        }
    }

    @Test("Connection: close from the client: response, then the gateway closes")
    func clientConnectionClose() throws {
        try withProxy { s in
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("GET", "/echo", headers: [("Connection", "close")]))
            let r = try c.readFinalResponse()
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(c.waitForClose(timeout: 10) == .closed)
        }
    }

    @Test("HTTP/1.0 without Host is served, then the connection is closed")
    func http10() throws {
        try withProxy { s in
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("GET", "/echo?v=10", version: "HTTP/1.0", host: nil))
            let r = try c.readFinalResponse()
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(try r.json(EchoResult.self).target == "/echo?v=10")
            #expect(c.waitForClose(timeout: 10) == .closed)
        }
    }

    @Test("HTTP/1.0 POST with a body; a chunked upstream response is not sent chunked to a 1.0 client")
    func http10Bodies() throws {
        try withProxy { s in
            let body = TestPattern.bytes(count: 50_000)
            let p = try RawConnection(port: s.port)
            try p.send(RawRequest.make("POST", "/echo", version: "HTTP/1.0", host: "gateway.test", body: body))
            let pr = try p.readFinalResponse()
            #expect(pr.status == 200, "\(pr)\n\(s.diagnostics)")
            #expect(try pr.json(EchoResult.self).body_sha256 == SHA256.hex(body))

            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("GET", "/chunked?n=100000&chunk=3000", version: "HTTP/1.0", host: "gateway.test"))
            let r = try c.readFinalResponse()
            #expect(r.status == 200, "\(r.status) \(r.headers)")
            #expect(!r.chunked, "HTTP/1.0 has no chunked transfer coding")
            #expect(r.body == TestPattern.bytes(count: 100_000))
        }
    }

    @Test("Expect: 100-continue: the gateway says 100 Continue before the body, then proxies it")
    func expectContinue() throws {
        try withProxy { s in
            let body = TestPattern.bytes(count: 300_000)
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("POST", "/echo", headers: [("Content-Length", "\(body.count)"), ("Expect", "100-continue")]))
            // nothing of the body has been sent: only a 100 lets the exchange go on
            let interim = try c.readResponse(timeout: 20)
            #expect(interim.status == 100, "\(interim)\n\(s.diagnostics)")
            try c.send(body)
            let r = try c.readFinalResponse()
            #expect(r.status == 200, "\(r)")
            let e = try r.json(EchoResult.self)
            #expect(e.body_length == body.count && e.body_sha256 == SHA256.hex(body))
            // the connection is still usable
            try c.send(RawRequest.make("GET", "/echo?next"))
            #expect(try c.readFinalResponse().status == 200)
        }
    }

    @Test("Expect: 100-continue with a chunked body")
    func expectContinueChunked() throws {
        try withProxy { s in
            let body = TestPattern.bytes(count: 120_000)
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("POST", "/upload", headers: [("Transfer-Encoding", "chunked"), ("Expect", "100-continue")]))
            let interim = try c.readResponse(timeout: 20)
            #expect(interim.status == 100, "\(interim)\n\(s.diagnostics)")
            try c.send(RawRequest.chunked(body, chunkSize: 4096))
            let u = try c.readFinalResponse().json(UploadResult.self)
            #expect(u.length == body.count && u.pattern_ok)
        }
    }

    @Test("an idle keep-alive connection is closed after timeouts.idle")
    func idleTimeout() throws {
        try withProxy(configure: { $0.timeouts = [("idle", "1s")] }) { s in
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("GET", "/echo"))
            #expect(try c.readFinalResponse().status == 200)
            let start = monotonicNow()
            let state = c.waitForClose(timeout: 20)
            switch state {
            case .closed:
                break
            case .data(let bytes):
                // tolerated: a 408 sent before closing an idle connection
                #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408"), "unexpected bytes: \(printable(bytes))")
            case .open:
                Issue.record("idle connection still open after 20 s with timeouts.idle 1s\n\(s.diagnostics)")
            }
            #expect(monotonicNow() - start >= 0.5, "closed long before the idle timeout")
        }
    }
}
}
