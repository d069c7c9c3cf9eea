// Upstream failures and balancing: 502 for a refused connect, 504 for connect and response
// timeouts, retry on the next target, round-robin.

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Upstream failures: 502, 504, retry, round-robin")
struct UpstreamFailures {

    @Test("a refused upstream connection gets a local 502 with the request id")
    func deadUpstream() throws {
        let dead = try ReservedPort()
        defer { dead.close() }
        let gw = try GatewayProcess.start(GatewayConfig(targets: [dead.address]))
        defer { gw.stop() }
        let id = "it-502-0123456789abcdef"
        let start = monotonicNow()
        let r = try oneRequest(port: gw.httpPort, "GET", "/echo", headers: [("X-Request-ID", id)])
        expectLocalError(r, 502, requestID: id, gw.diagnostics)
        #expect(monotonicNow() - start < 15)
        // the gateway survives and answers the next one the same way
        let again = try oneRequest(port: gw.httpPort, "GET", "/echo")
        expectLocalError(again, 502, gw.diagnostics)
    }

    @Test("an upstream slower than timeouts.upstream_response gets a local 504")
    func responseTimeout() throws {
        try withProxy(configure: { $0.timeouts = [("upstream_response", "1s")] }) { s in
            let id = "it-504-0123456789abcdef"
            let start = monotonicNow()
            let r = try oneRequest(port: s.port, "GET", "/slow?ms=30000", headers: [("X-Request-ID", id)], timeout: 40)
            let elapsed = monotonicNow() - start
            expectLocalError(r, 504, requestID: id, s.diagnostics)
            #expect(elapsed >= 0.5 && elapsed < 20, "504 after \(elapsed) s with a 1 s response timeout")
            // a fast request right after is fine
            let ok = try oneRequest(port: s.port, "GET", "/slow?ms=10")
            #expect(ok.status == 200, "\(ok)")
        }
    }

    @Test("an upstream that never completes the TCP handshake gets a local 504 (upstream_connect)")
    func connectTimeout() throws {
        let hole = try BlackholeListener()
        defer { hole.close() }
        var config = GatewayConfig(targets: [hole.address])
        config.timeouts = [("upstream_connect", "1s")]
        let gw = try GatewayProcess.start(config)
        defer { gw.stop() }
        let start = monotonicNow()
        let r = try oneRequest(port: gw.httpPort, "GET", "/echo", timeout: 40)
        let elapsed = monotonicNow() - start
        expectLocalError(r, 504, gw.diagnostics)
        #expect(elapsed >= 0.5 && elapsed < 20, "504 after \(elapsed) s with a 1 s connect timeout")
    }

    @Test("with one dead and one live target, every GET succeeds (retry on the next target)")
    func retryNextTarget() throws {
        let dead = try ReservedPort()
        defer { dead.close() }
        let live = try UpstreamServer.start(name: "live")
        defer { live.stop() }
        for order in [[dead.address, live.address], [live.address, dead.address]] {
            let gw = try GatewayProcess.start(GatewayConfig(targets: order))
            defer { gw.stop() }
            let before = try live.stats().requests
            for i in 0..<10 {
                let r = try oneRequest(port: gw.httpPort, "GET", "/echo?retry=\(i)")
                #expect(r.status == 200, "GET \(i) with targets \(order): \(r)\n\(gw.diagnostics)")
            }
            let client = HTTPClient(port: gw.httpPort)
            for i in 0..<10 {
                let r = try client.request("GET", "/echo?retry-ka=\(i)")
                #expect(r.status == 200, "keep-alive GET \(i): \(r)")
            }
            client.close()
            #expect(try live.stats().requests - before == 20)
        }
    }

    @Test("requests are spread round-robin over two live targets")
    func roundRobin() throws {
        let a = try UpstreamServer.start(name: "a")
        defer { a.stop() }
        let b = try UpstreamServer.start(name: "b")
        defer { b.stop() }
        let gw = try GatewayProcess.start(GatewayConfig(targets: [a.address, b.address]))
        defer { gw.stop() }
        var counts = ["a": 0, "b": 0]
        for i in 0..<20 {
            let r = try oneRequest(port: gw.httpPort, "GET", "/echo?rr=\(i)")
            #expect(r.status == 200, "\(r)\n\(gw.diagnostics)")
            if let e = try? r.json(EchoResult.self) { counts[e.server, default: 0] += 1 }
        }
        #expect(counts["a", default: 0] >= 5 && counts["b", default: 0] >= 5, "distribution \(counts)")
        #expect(counts["a", default: 0] + counts["b", default: 0] == 20)
    }
}
}
