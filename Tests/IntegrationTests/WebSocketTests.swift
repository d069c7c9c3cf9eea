// Upgrade requests (WebSocket): forwarded with their Upgrade headers, tunneled after a 101 over
// plain and TLS listeners, half-close, the idle timeout, and non-101 answers.

import Foundation
import Testing

/// An upgrade request for `path` with `Upgrade: protocol`.
private func upgradeRequest(_ path: String, _ proto: String) -> String {
    "GET \(path) HTTP/1.1\r\nHost: gateway.test\r\nConnection: Upgrade\r\nUpgrade: \(proto)\r\n\r\n"
}

extension GatewayIntegration {
@Suite("WebSocket and Upgrade tunnels")
struct WebSocketTunnels {

    @Test("a WebSocket echo through the plain and the TLS listener")
    func echo() throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gw = try YAMLGateway("""
            workers: 1
            listeners:
              - { name: web, address: "127.0.0.1:{PORT}" }
              - { name: web-tls, address: "127.0.0.1:{PORT2}", tls: { certificates: [{ cert: "\(pki.ec.cert)", key: "\(pki.ec.key)" }] } }
            upstreams: { app: { targets: ["\(upstream.address)"] } }
            routes: [{ name: all, match: { path_prefix: / }, upstream: app, filters: [headers] }]
            filters: { headers: { plugin: security_headers } }
            """, waitForPort2: true)
        defer { gw.stop() }
        let plain = try WebSocketResult.run(port: gw.port)
        #expect(plain.fullEcho, "\(plain)\n\(gw.diagnostics)")
        #expect(plain.upgrade?.lowercased() == "websocket")
        let tls = try WebSocketResult.run(port: gw.port2, tls: (pki.caCert, TestPKI.ecName))
        #expect(tls.fullEcho, "\(tls)\n\(gw.diagnostics)")
        #expect(try upstream.stats().requests == 2)
    }

    @Test("request filters run on the handshake: a denied client never reaches the upstream")
    func filtersApplyToTheHandshake() throws {
        try withProxy(configure: {
            $0.filtersYAML = "filters:\n  deny: { plugin: ip_access, deny: [127.0.0.0/8] }\n"
            $0.routes[0].filters = ["deny"]
        }) { s in
            let r = try WebSocketResult.run(port: s.port)
            #expect(r.status == 403, "\(r)")
            #expect(try s.upstream.stats().requests == 0)
        }
    }

    @Test("half-close: the client's EOF reaches the upstream, whose last bytes still reach the client")
    func halfClose() throws {
        try withProxy { s in
            let c = try RawConnection(port: s.port)
            defer { c.close() }
            try c.send(upgradeRequest("/tunnel", "echo"))
            let head = try c.readResponse()
            #expect(head.status == 101 && head.header("Upgrade") == "echo" && head.hasToken("Connection", "upgrade"), "\(head)")
            try c.send("ping 1\n")
            var got: [UInt8] = []
            try c.readExactly(7, Deadline(10)) { got += $0 }
            #expect(String(decoding: got, as: UTF8.self) == "ping 1\n")
            c.shutdownWrite()
            var rest: [UInt8] = []
            try c.readToEOF(Deadline(10)) { rest += $0 }
            #expect(String(decoding: rest, as: UTF8.self) == "bye\n", "\(s.diagnostics)")
        }
    }

    @Test("an idle tunnel is closed after timeouts.tunnel_idle")
    func idleTimeout() throws {
        try withProxy(configure: { $0.timeouts = [("tunnel_idle", "1s")] }) { s in
            let c = try RawConnection(port: s.port)
            defer { c.close() }
            try c.send(upgradeRequest("/tunnel", "echo"))
            #expect(try c.readResponse().status == 101)
            // Traffic keeps it open past the timeout ...
            for i in 0..<3 {
                sleepSeconds(0.6)
                try c.send("\(i)")
                var echo: [UInt8] = []
                try c.readExactly(1, Deadline(5)) { echo += $0 }
                #expect(echo == Array("\(i)".utf8))
            }
            // ... silence closes it.
            #expect(c.waitForClose(timeout: 10) == .closed, "\(s.diagnostics)")
        }
    }

    @Test("a non-101 answer to an upgrade request is an ordinary response on a reusable connection")
    func nonSwitchingAnswer() throws {
        try withProxy { s in
            let client = HTTPClient(port: s.port)
            defer { client.close() }
            let r = try client.request("GET", "/echo", headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")])
            #expect(r.status == 200, "\(r)")
            let echo = try r.json(EchoResult.self)
            #expect(echo.header("Upgrade") == "websocket" && echo.header("Connection")?.lowercased() == "upgrade", "\(echo.headers)")
            let again = try client.request("GET", "/echo")
            #expect(again.status == 200 && client.connectionsOpened == 1)
            // Without Connection: upgrade, Upgrade is hop-by-hop and never forwarded.
            let plain = try client.request("GET", "/echo", headers: [("Upgrade", "websocket")])
            #expect(try plain.json(EchoResult.self).has("Upgrade") == false)
        }
    }
}
}
