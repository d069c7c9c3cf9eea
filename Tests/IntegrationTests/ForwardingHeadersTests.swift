// What the gateway adds and removes on the way: hop-by-hop headers, X-Forwarded-*,
// X-Request-ID, and the client IP derived through trusted_proxies.

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Forwarding: hop-by-hop, X-Forwarded-*, X-Request-ID, trusted proxies")
struct ForwardingHeaders {

    @Test("hop-by-hop request headers and headers named in Connection are not forwarded")
    func hopByHopRequest() throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET", "/echo", headers: [
                ("Connection", "keep-alive, X-Hop-Secret"),
                ("X-Hop-Secret", "s3cret"),
                ("Keep-Alive", "timeout=5, max=100"),
                ("TE", "trailers"),
                ("Proxy-Connection", "keep-alive"),
                ("X-End-To-End", "kept"),
            ])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let e = try r.json(EchoResult.self)
            #expect(!e.has("X-Hop-Secret"), "a header named in Connection was forwarded: \(e.headers)")
            #expect(!e.has("Keep-Alive"), "\(e.headers)")
            #expect(!e.has("TE"), "\(e.headers)")
            #expect(!e.has("Proxy-Connection"), "\(e.headers)")
            #expect(!e.values("Connection").joined(separator: ",").lowercased().contains("x-hop-secret"),
                    "the client's Connection header was forwarded: \(e.values("Connection"))")
            #expect(e.values("X-End-To-End") == ["kept"])
        }
    }

    @Test("hop-by-hop response headers of the upstream do not reach the client")
    func hopByHopResponse() throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET",
                                   "/headers?set=Connection:X-Up-Hop&set=X-Up-Hop:1&set=Keep-Alive:timeout=99&set=X-Up-Kept:yes")
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(r.header("X-Up-Hop") == nil, "\(r.headers)")
            #expect(r.header("Keep-Alive") != "timeout=99", "\(r.headers)")
            #expect(r.header("X-Up-Kept") == "yes")
        }
    }

    @Test("X-Forwarded-For, -Proto and -Host are set for a direct client")
    func forwardedDirect() throws {
        try withProxy { s in
            let r = try oneRequest(port: s.port, "GET", "/echo", hostHeader: "app.example.test:8080")
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let e = try r.json(EchoResult.self)
            #expect(e.forwardedFor == ["127.0.0.1"], "\(e.values("X-Forwarded-For"))")
            #expect(e.values("X-Forwarded-Proto") == ["http"])
            #expect(e.values("X-Forwarded-Host") == ["app.example.test:8080"])
        }
    }

    @Test("an untrusted client's X-Forwarded-* claims are not believed")
    func forwardedSpoofUntrusted() throws {
        // the default: only 10.0.0.0/8 is trusted; the test client is 127.0.0.1
        try withProxy(configure: { $0.trustedProxies = ["10.0.0.0/8"] }) { s in
            let r = try oneRequest(port: s.port, "GET", "/echo", hostHeader: "app.example.test", headers: [
                ("X-Forwarded-For", "6.6.6.6, 10.1.1.1"),
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", "evil.example"),
            ])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let e = try r.json(EchoResult.self)
            // the gateway's own hop is the socket peer, never a client-supplied entry
            #expect(e.forwardedFor.last == "127.0.0.1", "\(e.values("X-Forwarded-For"))")
            #expect(e.values("X-Forwarded-Proto") == ["http"], "the client cannot claim https")
            #expect(e.values("X-Forwarded-Host") == ["app.example.test"], "\(e.values("X-Forwarded-Host"))")
        }
    }

    // trusted_proxies: X-Forwarded-For is read right to left, skipping trusted addresses; the
    // first untrusted one is the client. The upstream must be able to see which client the
    // gateway derived, from the X-Forwarded-For it forwards, in one of two forms:
    //  - appended: the derived client IP is the last entry (the wording of the contract), or
    //  - trimmed: the chain starts at the derived client (the unvouched entries left of it
    //    dropped), followed by the trusted hops and the socket peer.
    private func expectDerivedClient(
        _ e: EchoResult, _ client: String, peer: String = "127.0.0.1", spoofed: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let xff = e.forwardedFor
        let appended = xff.last == client
        let trimmed = xff.first == client && xff.last == peer && spoofed.allSatisfy { !xff.contains($0) }
        #expect(appended || trimmed,
                "X-Forwarded-For \(e.values("X-Forwarded-For")) shows neither \(client) as the last entry nor a chain starting at it",
                sourceLocation: sourceLocation)
    }

    @Test("from a trusted peer, X-Forwarded-For is read right to left and spoofed leftmost entries are ignored")
    func trustedChain() throws {
        try withProxy(configure: { $0.trustedProxies = ["127.0.0.1/32", "10.0.0.0/8"] }) { s in
            let r = try oneRequest(port: s.port, "GET", "/echo",
                                   headers: [("X-Forwarded-For", "203.0.113.7, 198.51.100.9, 10.1.2.3")])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            let e = try r.json(EchoResult.self)
            // 127.0.0.1 (peer) and 10.1.2.3 are trusted; 198.51.100.9 is the client;
            // 203.0.113.7 is whatever the client claimed and must not be taken
            expectDerivedClient(e, "198.51.100.9", spoofed: ["203.0.113.7"])
        }
    }

    @Test("the same X-Forwarded-For from an untrusted peer yields the peer address")
    func untrustedPeerSameHeader() throws {
        try withProxy(configure: { $0.trustedProxies = ["10.0.0.0/8"] }) { s in
            let r = try oneRequest(port: s.port, "GET", "/echo",
                                   headers: [("X-Forwarded-For", "203.0.113.7, 198.51.100.9, 10.1.2.3")])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(try r.json(EchoResult.self).forwardedFor.last == "127.0.0.1")
        }
    }

    @Test("an IPv6 client address behind a trusted proxy")
    func trustedChainIPv6() throws {
        try withProxy(configure: { $0.trustedProxies = ["127.0.0.1/32", "2001:db8:ffff::/48"] }) { s in
            let r = try oneRequest(port: s.port, "GET", "/echo",
                                   headers: [("X-Forwarded-For", "2001:db8::7, 2001:db8:ffff::1")])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            expectDerivedClient(try r.json(EchoResult.self), "2001:db8::7", spoofed: [])
        }
    }

    @Test("X-Request-ID is generated when absent, unique, and echoed on the response")
    func requestIdGenerated() throws {
        try withProxy { s in
            let client = HTTPClient(port: s.port)
            defer { client.close() }
            var seen = Set<String>()
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
            for i in 0..<20 {
                let r = try client.request("GET", "/echo?i=\(i)")
                #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
                let e = try r.json(EchoResult.self)
                let ids = e.values("X-Request-ID")
                #expect(ids.count == 1, "upstream got \(ids)")
                guard let id = ids.first else { continue }
                // the format is the gateway's choice: a token, long enough to be unique
                #expect((10...128).contains(id.count), "request id \(id) has \(id.count) characters")
                #expect(id.allSatisfy { allowed.contains($0) }, "request id \(id) has unexpected characters")
                #expect(r.header("X-Request-ID") == id, "response id \(r.header("X-Request-ID") ?? "none") != upstream's \(id)")
                seen.insert(id)
            }
            #expect(seen.count == 20, "request ids repeat")
        }
    }

    @Test("a client-supplied X-Request-ID is kept and echoed")
    func requestIdKept() throws {
        try withProxy { s in
            let id = "client-req-0123456789abcdef"
            let r = try oneRequest(port: s.port, "GET", "/echo", headers: [("X-Request-ID", id)])
            #expect(r.status == 200, "\(r)\n\(s.diagnostics)")
            #expect(try r.json(EchoResult.self).values("X-Request-ID") == [id])
            #expect(r.header("X-Request-ID") == id)
        }
    }
}
}
