// Limits (414, 431, 413) and the header timeout (408), each with a control request just
// inside the limit so that a gateway refusing everything cannot pass.

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Limits and the header timeout: 414, 431, 413, 408")
struct LimitsAndTimeouts {

    @Test("a URI over max_uri_bytes gets 414; one under it is served")
    func uriTooLong() throws {
        try withProxy(configure: { $0.limits = [("max_uri_bytes", "8KiB"), ("max_header_bytes", "64KiB")] }) { s in
            let ok = try oneRequest(port: s.port, "GET", "/echo?pad=" + String(repeating: "a", count: 7000))
            #expect(ok.status == 200, "a 7 KB URI must pass: \(ok.status)\n\(s.diagnostics)")
            let r = try oneRequest(port: s.port, "GET", "/echo?pad=" + String(repeating: "a", count: 9000))
            expectLocalError(r, 414, s.diagnostics)
            #expect(try s.upstream.stats().requests == 1)
        }
    }

    @Test("a head over max_header_bytes gets 431; one under it is served")
    func headTooLarge() throws {
        try withProxy(configure: { $0.limits = [("max_header_bytes", "16KiB"), ("max_headers", "100")] }) { s in
            let value = String(repeating: "v", count: 1000)
            let small = (0..<10).map { ("X-Pad-\($0)", value) }
            let ok = try oneRequest(port: s.port, "GET", "/echo", headers: small)
            #expect(ok.status == 200, "a 10 KB head must pass: \(ok.status)\n\(s.diagnostics)")
            let big = (0..<20).map { ("X-Pad-\($0)", value) }
            let r = try oneRequest(port: s.port, "GET", "/echo", headers: big)
            expectLocalError(r, 431, s.diagnostics)
            // one single huge header line too
            let line = try oneRequest(port: s.port, "GET", "/echo", headers: [("X-Huge", String(repeating: "h", count: 20_000))])
            expectLocalError(line, 431, s.diagnostics)
            #expect(try s.upstream.stats().requests == 1)
        }
    }

    @Test("more than max_headers header lines get 431; fewer are served")
    func tooManyHeaders() throws {
        try withProxy(configure: { $0.limits = [("max_header_bytes", "64KiB"), ("max_headers", "100")] }) { s in
            let ok = try oneRequest(port: s.port, "GET", "/echo", headers: (0..<90).map { ("X-H-\($0)", "1") })
            #expect(ok.status == 200, "91 headers must pass: \(ok.status)\n\(s.diagnostics)")
            let r = try oneRequest(port: s.port, "GET", "/echo", headers: (0..<120).map { ("X-H-\($0)", "1") })
            expectLocalError(r, 431, s.diagnostics)
            #expect(try s.upstream.stats().requests == 1)
        }
    }

    @Test("a Content-Length over max_body_bytes gets 413 before any body is sent")
    func contentLengthTooLarge() throws {
        try withProxy(configure: { $0.limits = [("max_body_bytes", "1MiB")] }) { s in
            let body = TestPattern.bytes(count: 512 * 1024)
            let ok = try oneRequest(port: s.port, "POST", "/upload", body: body)
            #expect(ok.status == 200, "a 512 KiB body must pass: \(ok.status)\n\(s.diagnostics)")

            let id = "it-413-0123456789abcdef"
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("POST", "/upload", headers: [("Content-Length", "\(2 * 1024 * 1024)"), ("X-Request-ID", id)]))
            let r = try c.readFinalResponse(timeout: 20)   // no body bytes were sent
            expectLocalError(r, 413, requestID: id, s.diagnostics)
            let stats = try s.upstream.stats()
            #expect(stats.requests == 1 && stats.active == 0, "\(stats)")
        }
    }

    @Test("Expect: 100-continue with a Content-Length over the limit gets 413 instead of 100")
    func expectTooLarge() throws {
        try withProxy(configure: { $0.limits = [("max_body_bytes", "1MiB")] }) { s in
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("POST", "/upload", headers: [("Content-Length", "\(2 * 1024 * 1024)"), ("Expect", "100-continue")]))
            let r = try c.readFinalResponse(timeout: 20)
            expectLocalError(r, 413, s.diagnostics)
            #expect(r.interim.isEmpty, "the gateway invited a body it will refuse: \(r.interim.map(\.status))")
        }
    }

    @Test("a chunked body growing over max_body_bytes gets 413 and is not completed upstream")
    func chunkedTooLarge() throws {
        try withProxy(configure: { $0.limits = [("max_body_bytes", "1MiB")] }) { s in
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("POST", "/upload", headers: [("Transfer-Encoding", "chunked")]))
            c.sendUntilAnswered(RawRequest.chunked(TestPattern.bytes(count: 3 * 1024 * 1024), chunkSize: 32768))
            let r = try c.readFinalResponse(timeout: 30)
            expectLocalError(r, 413, s.diagnostics)
            #expect(try s.upstream.stats().requests == 0)
        }
    }

    @Test("a head not complete within timeouts.header gets 408, then the connection closes")
    func headerTimeout() throws {
        try withProxy(configure: { $0.timeouts = [("header", "1s")] }) { s in
            let c = try RawConnection(port: s.port)
            let start = monotonicNow()
            try c.send("GET /echo HTTP/1.1\r\nHost: gateway.test\r\nX-Incomplete: 1\r\n")
            let r = try c.readFinalResponse(timeout: 30)
            let elapsed = monotonicNow() - start
            expectLocalError(r, 408, s.diagnostics)
            #expect(elapsed >= 0.5, "408 after \(elapsed) s with a 1 s header timeout")
            #expect(c.waitForClose(timeout: 10) == .closed)
            #expect(try s.upstream.stats().connections == 0)
        }
    }

    @Test("a head trickled byte by byte still times out (the header timeout bounds the whole head)")
    func headerTimeoutTrickle() throws {
        try withProxy(configure: { $0.timeouts = [("header", "1s")] }) { s in
            let c = try RawConnection(port: s.port)
            let start = monotonicNow()
            let head = Array(("GET /echo HTTP/1.1\r\nHost: gateway.test\r\n" + String(repeating: "X-Slow: 1\r\n", count: 200)).utf8)
            // one byte every 100 ms: 2,000+ bytes would take over 200 s
            var i = 0
            while i < head.count && !c.hasIncomingData() && monotonicNow() - start < 20 {
                do { try c.send([head[i]], timeout: 5) } catch { break }
                i += 1
                sleepSeconds(0.1)
            }
            let r = try c.readFinalResponse(timeout: 10)
            let elapsed = monotonicNow() - start
            expectLocalError(r, 408, s.diagnostics)
            #expect(elapsed < 15, "the trickled head was cut after \(elapsed) s with a 1 s header timeout")
            #expect(c.waitForClose(timeout: 10) == .closed)
        }
    }
}
}
