// Balancing over several targets: weighted round-robin and least-connections, one worker so
// the per-worker balancer is the whole picture.

import Foundation
import Testing

/// A gateway on one worker in front of `targets`, with `upstreamSettings` added to the upstream.
func upstreamGateway(_ targets: String, _ upstreamSettings: String = "", extra: String = "") throws -> YAMLGateway {
    try YAMLGateway("""
        workers: 1
        listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
        upstreams:
          app:
            targets: \(targets)
        \(upstreamSettings.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        routes: [{ name: all, match: { path_prefix: / }, upstream: app }]
        \(extra)
        """)
}

/// Which upstream answered GET /echo (a fresh connection each time).
func echoServer(_ port: UInt16, _ query: String = "") throws -> String? {
    let r = try oneRequest(port: port, "GET", "/echo" + query)
    return r.status == 200 ? try r.json(EchoResult.self).server : "status \(r.status)"
}

extension GatewayIntegration {
@Suite("Upstream balancing: weights, least-connections")
struct UpstreamBalancing {

    @Test("weights are honoured exactly and interleave (smooth weighted round-robin)")
    func weights() throws {
        let a = try UpstreamServer.start(name: "a")
        defer { a.stop() }
        let b = try UpstreamServer.start(name: "b")
        defer { b.stop() }
        let gw = try upstreamGateway("[\"\(a.address)\", { address: \"\(b.address)\", weight: 3 }]")
        defer { gw.stop() }
        var sequence: [String] = []
        for i in 0..<40 { sequence.append(try echoServer(gw.port, "?w=\(i)") ?? "?") }
        #expect(sequence.filter { $0 == "a" }.count == 10, "\(sequence)\n\(gw.diagnostics)")
        #expect(sequence.filter { $0 == "b" }.count == 30, "\(sequence)")
        // Interleaved: never two a's in a row, never more than three b's.
        let text = sequence.joined()
        #expect(!text.contains("aa") && !text.contains("bbbb"), "\(text)")
    }

    @Test("least-connections sends new requests to the idle target while another is busy")
    func leastConnections() throws {
        let a = try UpstreamServer.start(name: "a")
        defer { a.stop() }
        let b = try UpstreamServer.start(name: "b")
        defer { b.stop() }
        let gw = try upstreamGateway("[\"\(a.address)\", \"\(b.address)\"]", "balance: least_connections")
        defer { gw.stop() }
        // One slow exchange holds one target.
        let slow = try RawConnection(port: gw.port)
        defer { slow.close() }
        try slow.send(RawRequest.make("GET", "/slow?ms=3000", host: "gateway.test"))
        var busy: UpstreamServer?
        #expect(eventually(timeout: 10) { busy = [a, b].first { (try? $0.stats().active) == 1 }; return busy != nil })
        let busyName = try #require(busy).name
        let idleName = busyName == "a" ? "b" : "a"
        var servers: [String] = []
        for i in 0..<6 { servers.append(try echoServer(gw.port, "?lc=\(i)") ?? "?") }
        #expect(servers == Array(repeating: idleName, count: 6), "busy \(busyName): \(servers)\n\(gw.diagnostics)")
        let r = try slow.readFinalResponse()
        #expect(r.status == 200 && r.bodyText.contains("slept_ms"), "\(r)")
        // Both idle again: requests alternate.
        let after = try (0..<4).map { try echoServer(gw.port, "?after=\($0)") ?? "?" }
        #expect(after.filter { $0 == "a" }.count == 2, "\(after)")
    }
}
}
