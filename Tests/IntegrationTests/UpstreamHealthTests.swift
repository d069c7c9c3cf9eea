// Passive health (failures take a target out for a back-off, a probe brings it back) and
// active checks.

import Foundation
import Testing

extension GatewayIntegration {
@Suite("Upstream health: passive back-off, active checks")
struct UpstreamHealthChecks {

    @Test("a target that fails max_failures times is left alone during its back-off, then comes back")
    func passiveHealth() throws {
        let broken = try ClosingListener()
        defer { broken.close() }
        let live = try UpstreamServer.start(name: "live")
        defer { live.stop() }
        let gw = try upstreamGateway("[\"\(broken.address)\", \"\(live.address)\"]",
                                     "health: { max_failures: 2, backoff: 3s }")
        defer { gw.stop() }
        // Every GET succeeds (a failed attempt is retried on the live target) ...
        for i in 0..<20 {
            #expect(try echoServer(gw.port, "?p=\(i)") == "live", "\(gw.diagnostics)")
        }
        // ... and the broken target saw exactly max_failures attempts: none during the back-off.
        #expect(broken.accepted == 2, "\(broken.accepted) connections to the broken target\n\(gw.diagnostics)")
        #expect(gw.stderr.contains("target \(broken.address) down"), "\(gw.diagnostics)")

        // The target returns (a real upstream on the same port): after the back-off a probe
        // request reaches it, and it is back in the rotation.
        let port = broken.port
        broken.close()
        let revived = try UpstreamServer.start(name: "revived", port: port)
        defer { revived.stop() }
        var seen: [String] = []
        #expect(eventually(timeout: 20, interval: 0.2) {
            seen.append((try? echoServer(gw.port)) ?? "error")
            return seen.last == "revived"
        }, "\(seen.suffix(10))\n\(gw.diagnostics)")
        #expect(seen.allSatisfy { $0 == "live" || $0 == "revived" }, "\(seen)")
        #expect(gw.stderr.contains("target \(broken.address) back up"), "\(gw.diagnostics)")
        let next = try (0..<4).map { try echoServer(gw.port, "?n=\($0)") ?? "?" }
        #expect(next.filter { $0 == "revived" }.count == 2, "\(next)")
    }

    @Test("with every target out, the least recently failed is still tried (502, no instant refusal)")
    func allTargetsDown() throws {
        let broken = try ClosingListener()
        defer { broken.close() }
        let gw = try upstreamGateway("[\"\(broken.address)\"]", "health: { max_failures: 1, backoff: 1m }")
        defer { gw.stop() }
        for _ in 0..<3 {
            let r = try oneRequest(port: gw.port, "GET", "/echo")
            #expect(r.status == 502, "\(r)")
        }
        #expect(broken.accepted == 3, "\(gw.diagnostics)")
    }

    @Test("an active check takes a failing target out before any client request reaches it, and back in")
    func activeCheck() throws {
        let sick = try UpstreamServer.start(name: "sick", arguments: ["--health-status", "503"])
        defer { sick.stop() }
        let well = try UpstreamServer.start(name: "well")
        defer { well.stop() }
        let gw = try upstreamGateway("[\"\(sick.address)\", \"\(well.address)\"]",
                                     "health: { check: { path: /healthz, interval: 1s, timeout: 1s } }")
        defer { gw.stop() }
        #expect(eventually(timeout: 10) { gw.stderr.contains("target \(sick.address) down (health check: status 503)") },
                "\(gw.diagnostics)")
        for i in 0..<10 {
            #expect(try echoServer(gw.port, "?a=\(i)") == "well")
        }
        let sickStats = try sick.stats()
        #expect(sickStats.recent.allSatisfy { $0.count == 2 && $0[1] == "/healthz" }, "\(sickStats)")

        let set = try oneRequest(port: sick.port, "GET", "/healthz/set?status=200")
        #expect(set.status == 200)
        #expect(eventually(timeout: 10) { gw.stderr.contains("target \(sick.address) back up (health check: status 200)") },
                "\(gw.diagnostics)")
        let servers = try (0..<4).map { try echoServer(gw.port, "?b=\($0)") ?? "?" }
        #expect(servers.filter { $0 == "sick" }.count == 2, "\(servers)")
    }
}
}
