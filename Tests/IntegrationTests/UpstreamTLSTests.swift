// TLS from the gateway to HTTPS upstreams: verification against a configured CA and name,
// failures as 502 + upstream-failure events, keep-alive reuse over TLS.

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Upstream TLS: verification, failures, keep-alive")
struct UpstreamTLS {
    /// An HTTPS upstream presenting the test PKI's ec.test certificate, and a gateway with
    /// `tls` as the upstream's TLS settings.
    private func withHTTPSUpstream(_ tls: (TestPKI) -> String, _ body: (YAMLGateway, UpstreamServer, TestPKI) throws -> Void) throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        let upstream = try UpstreamServer.start(name: "https", tls: .init(cert: pki.ec.cert, key: pki.ec.key))
        defer { upstream.stop() }
        let gw = try upstreamGateway("[\"\(upstream.address)\"]", "tls: \(tls(pki))",
                                     extra: "events: { sinks: [{ type: file, path: \"{DIR}/events.jsonl\" }] }")
        defer { gw.stop() }
        do {
            try body(gw, upstream, pki)
        } catch {
            Issue.record("\(error)\n\(gw.diagnostics)\n--- upstream ---\n\(tail(upstream.log))")
        }
    }

    @Test("verified against the right CA and name: proxied, and one TLS connection serves many requests")
    func verifiedAndReused() throws {
        try withHTTPSUpstream({ "{ ca: \"\($0.caCert)\", server_name: ec.test }" }) { gw, upstream, _ in
            let client = HTTPClient(port: gw.port)
            defer { client.close() }
            var connections: [Int] = []
            for i in 0..<5 {
                let r = try client.request("GET", "/echo?tls=\(i)")
                #expect(r.status == 200, "\(r)\n\(gw.diagnostics)")
                connections.append(try r.json(EchoResult.self).conn_id)
            }
            // The upstream numbers its TLS connections: all five requests came on the first.
            #expect(connections == [1, 1, 1, 1, 1], "upstream connections used: \(connections)")
            #expect(!gw.stderr.contains("warning"))
        }
    }

    @Test("new connections resume the target's TLS session: one full handshake, then abbreviated ones")
    func sessionResumption() throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        let upstream = try UpstreamServer.start(name: "https", tls: .init(cert: pki.ec.cert, key: pki.ec.key))
        defer { upstream.stop() }
        // max_idle: 0 closes every upstream connection after its exchange: each request connects anew.
        let gw = try YAMLGateway("""
            workers: 1
            listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
            admin: { address: "127.0.0.1:{PORT2}" }
            upstreams:
              app: { targets: ["\(upstream.address)"], max_idle: 0, tls: { ca: "\(pki.caCert)", server_name: ec.test } }
            routes: [{ name: all, match: { path_prefix: / }, upstream: app }]
            """, waitForPort2: true)
        defer { gw.stop() }
        var seen: [(Int, Bool?)] = []
        for i in 0..<4 {
            let r = try oneRequest(port: gw.port, "GET", "/echo?n=\(i)")
            #expect(r.status == 200, "\(r)\n\(gw.diagnostics)")
            let echo = try r.json(EchoResult.self)
            seen.append((echo.conn_id, echo.tls_session_reused))
        }
        #expect(Set(seen.map(\.0)).count == 4, "a new upstream connection per request: \(seen)")
        #expect(seen.map(\.1) == [false, true, true, true], "\(seen)")
        let metrics = parseMetrics(try adminGet(port: gw.port2, "/metrics").bodyText)
        #expect(metrics[#"gateway_upstream_tls_handshakes_total{resumed="true"}"#] == 3, "\(metrics)")
        #expect(metrics[#"gateway_upstream_tls_handshakes_total{resumed="false"}"#] == 1)
    }

    @Test("a certificate from another CA is refused: 502 and an upstream-failure event")
    func wrongCA() throws {
        try withHTTPSUpstream({ "{ ca: \"\($0.selfSigned.cert)\", server_name: ec.test }" }) { gw, upstream, _ in
            let r = try oneRequest(port: gw.port, "GET", "/echo")
            expectLocalError(r, 502, gw.diagnostics)
            #expect(eventually { gw.fileLines.contains { $0.contains("upstream-failure") && $0.contains("unable to get local issuer certificate") } },
                    "\(gw.fileLines)")
            // The gateway aborted the handshake: nothing was sent over it.
            #expect(eventually { upstream.log.contains("TLS handshake failed") }, "\(upstream.log)")
        }
    }

    @Test("a certificate for another name is refused: 502 and an upstream-failure event")
    func wrongName() throws {
        try withHTTPSUpstream({ "{ ca: \"\($0.caCert)\", server_name: rsa.test }" }) { gw, upstream, _ in
            let r = try oneRequest(port: gw.port, "GET", "/echo")
            expectLocalError(r, 502, gw.diagnostics)
            #expect(eventually { gw.fileLines.contains { $0.contains("upstream-failure") && $0.contains("hostname mismatch") } },
                    "\(gw.fileLines)")
            #expect(eventually { upstream.log.contains("TLS handshake failed") }, "\(upstream.log)")
        }
    }

    @Test("the target's address is the verified name by default: a name certificate does not match it")
    func addressIsVerifiedByDefault() throws {
        try withHTTPSUpstream({ "{ ca: \"\($0.caCert)\" }" }) { gw, _, _ in
            expectLocalError(try oneRequest(port: gw.port, "GET", "/echo"), 502, gw.diagnostics)
        }
    }

    @Test("verify: false accepts any certificate and warns at start-up")
    func verifyOff() throws {
        try withHTTPSUpstream({ _ in "{ verify: false }" }) { gw, _, _ in
            let r = try oneRequest(port: gw.port, "GET", "/echo")
            #expect(r.status == 200, "\(r)\n\(gw.diagnostics)")
            #expect(gw.stderr.contains("warning: upstream 'app' has tls.verify: false"), "\(gw.diagnostics)")
        }
    }
}
}
