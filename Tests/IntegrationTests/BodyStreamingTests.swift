// Bodies: chunked request bodies forwarded intact, 10 MiB both ways, and memory that stays
// bounded because bodies are streamed with backpressure instead of buffered.

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Bodies: chunked, large, streamed with bounded memory")
struct BodyStreaming {

    /// RSS growth allowed over the gateway's idle RSS while it moves a large body.
    static let memoryBoundKiB = 64 * 1024

    @Test("a chunked request body is forwarded intact (odd chunk sizes)")
    func chunkedRequestBody() throws {
        try withProxy { s in
            let body = TestPattern.bytes(count: 300_001)
            let c = try RawConnection(port: s.port)
            var wire = [UInt8]()
            var i = 0
            var size = 1
            while i < body.count {   // 1, 2, 4 ... 8192-byte chunks, then again
                let end = min(body.count, i + size)
                wire += Array(String(end - i, radix: 16).utf8) + [13, 10] + body[i..<end] + [13, 10]
                i = end
                size = size >= 8192 ? 1 : size * 2
            }
            wire += Array("0\r\n\r\n".utf8)
            try c.send(RawRequest.make("POST", "/echo", headers: [("Transfer-Encoding", "chunked")]) + wire)
            let r = try c.readFinalResponse()
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let e = try r.json(EchoResult.self)
            #expect(e.body_length == body.count)
            #expect(e.body_sha256 == SHA256.hex(body))
            #expect(try s.upstream.stats().bad_requests == 0)
        }
    }

    @Test("chunk extensions and a trailer section are accepted (RFC 9112 7.1)")
    func chunkExtensionsAndTrailers() throws {
        try withProxy { s in
            let wire = "5;name=value\r\nhello\r\n6;x\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("POST", "/echo", headers: [("Transfer-Encoding", "chunked")]) + Array(wire.utf8))
            let r = try c.readFinalResponse()
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(try r.json(EchoResult.self).body_sha256 == SHA256.hex(Array("hello world".utf8)))
        }
    }

    @Test("a 10 MiB request body arrives intact; gateway memory stays bounded")
    func upload10MiB() throws {
        try withProxy(configure: { $0.limits = [("max_body_bytes", "64MiB")] }) { s in
            let baseline = try idleRSS(s)
            let sampler = PeakRSSSampler(pid: s.gateway.pid)
            let n = 10 * 1024 * 1024
            let body = TestPattern.bytes(count: n)
            let r = try oneRequest(port: s.port, "POST", "/upload", body: body, timeout: 120)
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let u = try r.json(UploadResult.self)
            #expect(u.length == n)
            #expect(u.pattern_ok, "first corrupted byte: \(u.first_mismatch)")
            #expect(u.sha256 == SHA256.hex(body))
            try expectBoundedMemory(s, baseline: baseline, sampler: sampler)
        }
    }

    @Test("10 MiB responses (Content-Length and chunked) arrive intact; gateway memory stays bounded",
          arguments: ["/bytes", "/chunked"])
    func download10MiB(_ path: String) throws {
        try withProxy { s in
            let baseline = try idleRSS(s)
            let sampler = PeakRSSSampler(pid: s.gateway.pid)
            let n = 10 * 1024 * 1024
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("GET", "\(path)?n=\(n)&chunk=65536"))
            var v = PatternVerifier()
            let r = try c.readFinalResponse(timeout: 120) // collects the body
            #expect(r.status == 200, "\(r.status)\n\(s.diagnostics)")
            v.feed(ArraySlice(r.body))
            #expect(v.offset == n)
            #expect(v.ok, "first corrupted byte: \(v.firstMismatch ?? -1)")
            try expectBoundedMemory(s, baseline: baseline, sampler: sampler)
        }
    }

    // A fully buffering gateway holds the whole body at once: with 160 MiB bodies and a
    // peer that does not read for a while, its RSS must grow by well over the bound.

    @Test("backpressure on uploads: a 160 MiB body to an upstream that starts reading late")
    func uploadBackpressure() throws {
        try withProxy(configure: { $0.limits = [("max_body_bytes", "512MiB")] }) { s in
            let baseline = try idleRSS(s)
            let sampler = PeakRSSSampler(pid: s.gateway.pid)
            let n = 160 * 1024 * 1024
            let c = try RawConnection(port: s.port)
            // the upstream sleeps 3 s before reading: a streaming gateway stops reading from us
            try c.send(RawRequest.make("POST", "/upload?delay_ms=3000", headers: [("Content-Length", "\(n)")]))
            try TestPattern.send(count: n, on: c, timeout: 300)
            let r = try c.readFinalResponse(timeout: 300)
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let u = try r.json(UploadResult.self)
            #expect(u.length == n && u.pattern_ok, "length \(u.length), first corrupted byte \(u.first_mismatch)")
            try expectBoundedMemory(s, baseline: baseline, sampler: sampler)
        }
    }

    @Test("backpressure on downloads: a 160 MiB response to a client that pauses reading")
    func downloadBackpressure() throws {
        try withProxy { s in
            let baseline = try idleRSS(s)
            let sampler = PeakRSSSampler(pid: s.gateway.pid)
            let n = 160 * 1024 * 1024
            let c = try RawConnection(port: s.port)
            try c.send(RawRequest.make("GET", "/bytes?n=\(n)&chunk=262144"))
            var v = PatternVerifier()
            var paused = false
            // read the first MiB, then stop reading for 3 s while the upstream keeps sending
            let r = try c.readResponse(timeout: 300) { piece in
                v.feed(piece)
                if !paused && v.offset >= 1024 * 1024 {
                    paused = true
                    sleepSeconds(3)
                }
            }
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(paused)
            #expect(v.offset == n)
            #expect(v.ok, "first corrupted byte: \(v.firstMismatch ?? -1)")
            try expectBoundedMemory(s, baseline: baseline, sampler: sampler)
        }
    }

    // MARK: helpers

    /// The gateway's RSS after it has served a few small requests (buffers and pools warm).
    private func idleRSS(_ s: ProxyStack) throws -> Int {
        let client = HTTPClient(port: s.port)
        defer { client.close() }
        for i in 0..<5 {
            let r = try client.request("POST", "/echo?warm=\(i)", body: TestPattern.bytes(count: 64 * 1024))
            #expect(r.status == 200, "warm-up request: \(r)\n\(s.diagnostics)")
        }
        return try #require(s.gateway.rssKiB, "cannot read the gateway's VmRSS")
    }

    /// Peak = the larger of the sampled VmRSS and VmHWM (the kernel updates the high-water
    /// mark lazily, so neither alone is certain to see a short peak).
    private func expectBoundedMemory(_ s: ProxyStack, baseline: Int, sampler: PeakRSSSampler,
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sampled = sampler.stop()
        let hwm = try #require(s.gateway.peakRssKiB, "cannot read the gateway's VmHWM")
        let peak = max(sampled, hwm)
        #expect(peak - baseline < Self.memoryBoundKiB,
                "gateway peak RSS \(peak / 1024) MiB vs \(baseline / 1024) MiB idle: grew by \((peak - baseline) / 1024) MiB (bound \(Self.memoryBoundKiB / 1024) MiB)",
                sourceLocation: sourceLocation)
    }
}
}
