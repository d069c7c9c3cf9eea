// SIGTERM: stop accepting, let in-flight requests finish (up to timeouts.drain), exit 0.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

private func drainConfig(_ upstream: UpstreamServer, drain: String, admin: Bool = false) -> String {
    """
    workers: 2
    listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
    \(admin ? "admin: { address: \"127.0.0.1:{PORT2}\" }" : "")
    timeouts: { drain: \(drain) }
    upstreams: { app: { targets: ["\(upstream.address)"] } }
    routes: [{ name: main, match: { path_prefix: / }, upstream: app }]
    """
}

extension GatewayIntegration {
@Suite("Drain: SIGTERM finishes in-flight requests, refuses new ones, exits 0")
struct DrainTests {

    @Test("an in-flight slow request completes after SIGTERM; new connections are refused; /ready says draining; exit 0")
    func inFlightFinishes() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(drainConfig(upstream, drain: "30s", admin: true), waitForPort2: true)
        defer { gateway.stop() }
        #expect(try adminGet(port: gateway.port2, "/ready").status == 200)
        let c = try RawConnection(port: gateway.port)
        defer { c.close() }
        try c.send(RawRequest.make("GET", "/slow?ms=2000"))
        #expect(eventually(timeout: 10) { (try? upstream.stats().active) == 1 })
        gateway.process.signal(SIGTERM)
        #expect(eventually(timeout: 10) { !Ports.isAccepting(port: gateway.port) }, "still accepting while draining")
        let ready = try adminGet(port: gateway.port2, "/ready")
        #expect(ready.status == 503, "\(ready)")
        #expect(ready.jsonObject?["draining"] as? Bool == true)

        let r = try c.readFinalResponse(timeout: 20)
        #expect(r.status == 200, "\(r)\n\(gateway.diagnostics)")
        #expect(r.hasToken("Connection", "close"), "a draining gateway must not keep the connection")
        #expect(gateway.process.waitForExit(timeout: 20) == .exited(0), "\(gateway.diagnostics)")
    }

    @Test("timeouts.drain cuts a request that takes longer; the gateway still exits 0")
    func drainTimeoutCuts() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(drainConfig(upstream, drain: "500ms"))
        defer { gateway.stop() }
        let c = try RawConnection(port: gateway.port)
        defer { c.close() }
        try c.send(RawRequest.make("GET", "/slow?ms=8000"))
        #expect(eventually(timeout: 10) { (try? upstream.stats().active) == 1 })
        gateway.process.signal(SIGTERM)
        #expect(gateway.process.waitForExit(timeout: 20) == .exited(0), "\(gateway.diagnostics)")
        // The upstream is still sleeping: the response never came, the connection is gone.
        #expect(c.waitForClose(timeout: 5) == .closed)
    }
}
}
