// SIGHUP reloads: under load, rejected, listeners added and removed, keep-alive connections
// and tunnels that outlive a reload, upstream health state kept or started afresh.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A config with one upstream `app` (max_idle `maxIdle`) and a catch-all route; `extra` is
/// appended to the listeners.
private func config(_ upstream: UpstreamServer, maxIdle: Int = 64, listeners: String = "  - { name: web, address: \"127.0.0.1:{PORT}\" }",
                    route: String = "/") -> String {
    """
    workers: 2
    listeners:
    \(listeners)
    upstreams:
      app: { targets: ["\(upstream.address)"], max_idle: \(maxIdle) }
    routes:
      - { name: main, match: { path_prefix: "\(route)" }, upstream: app }
    """
}

/// One worker (so the balancer is the whole picture) with an admin listener on `{PORT2}`, one
/// upstream `app` with `targets` and `settings`, and a catch-all route (plus `extraRoute`).
private func upstreamConfig(targets: String, settings: String = "", extraRoute: String = "") -> String {
    """
    workers: 1
    listeners: [{ name: web, address: "127.0.0.1:{PORT}" }]
    admin: { address: "127.0.0.1:{PORT2}" }
    upstreams:
      app:
        targets: \(targets)
        \(settings)
    routes:
      - { name: main, match: { path_prefix: / }, upstream: app }
    \(extraRoute)
    """
}

extension RawConnection {
    /// Sends `text` through a tunnel to the echoing upstream and expects it back.
    func expectEcho(_ text: String) throws {
        try send(text)
        var echoed: [UInt8] = []
        try readExactly(text.utf8.count, Deadline(10)) { echoed += $0 }
        #expect(String(decoding: echoed, as: UTF8.self) == text)
    }
}

/// Results of client loops running in other threads.
private final class LoadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var ok = 0
    private var failures: [String] = []
    private var stopped = false

    func record(_ failure: String?) {
        lock.withLock {
            if let failure { failures.append(failure) } else { ok += 1 }
        }
    }

    var stop: Bool {
        get { lock.withLock { stopped } }
        set { lock.withLock { stopped = newValue } }
    }

    var summary: (ok: Int, failures: [String]) { lock.withLock { (ok, failures) } }
}

extension GatewayIntegration {
@Suite("Reload: SIGHUP swaps the config without dropping a request")
struct ReloadTests {

    @Test("20 reloads while clients hammer the gateway: zero failed requests")
    func reloadsUnderLoad() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(config(upstream))
        defer { gateway.stop() }
        let results = LoadResults()
        let group = DispatchGroup()
        let port = gateway.port
        // Keep-alive clients and a client with a new connection per request, each bounded.
        for client in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let keepAlive = HTTPClient(port: port)
                var sent = 0
                while !results.stop, sent < 20_000 {
                    sent += 1
                    do {
                        let r = client == 2 ? try oneRequest(port: port, "GET", "/echo?n=\(sent)")
                                            : try keepAlive.request("GET", "/echo?n=\(sent)")
                        results.record(r.status == 200 ? nil : "status \(r.status)")
                    } catch {
                        results.record("\(error)")
                        keepAlive.close()
                    }
                }
            }
        }
        var applied = 0
        for round in 0..<20 {
            // Alternating max_idle replaces the upstream pools on every reload.
            if try gateway.reload(config(upstream, maxIdle: round % 2 == 0 ? 8 : 64)) { applied += 1 }
            sleepSeconds(0.05)  // requests in flight on every snapshot, not only between reloads
        }
        results.stop = true
        group.wait()
        let (ok, failures) = results.summary
        #expect(applied == 20, "\(gateway.diagnostics)")
        #expect(failures.isEmpty, "\(failures.count) failed request(s), first: \(failures.prefix(3))\n\(gateway.diagnostics)")
        #expect(ok > 20, "the clients barely ran: \(ok)")
        #expect(gateway.process.isRunning)
    }

    @Test("an invalid config is rejected with file:line:col, logged with an event, and the old config keeps serving")
    func badReloadRejected() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(config(upstream, route: "/echo"))
        defer { gateway.stop() }
        let bad = config(upstream, route: "/slow") + "\nlimits: { max_header_bytez: 1KiB }\n"
        let applied = try gateway.reload(bad)
        #expect(!applied)
        let line = bad.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("max_header_bytez") }! + 1
        #expect(gateway.stderr.contains("reload rejected: \(gateway.configPath):\(line):11: unknown key 'max_header_bytez'"),
                "\(gateway.diagnostics)")
        #expect(gateway.stderr.contains("event config-reload action=blocked rule=config.reload"), "\(gateway.diagnostics)")
        // The old route (/echo) still answers; the new one (/slow) never arrived.
        let r = try oneRequest(port: gateway.port, "GET", "/echo")
        #expect(r.status == 200, "\(r)")
        #expect(try oneRequest(port: gateway.port, "GET", "/slow?ms=1").status == 404)
        // A good config afterwards is applied.
        #expect(try gateway.reload(config(upstream, route: "/slow")))
        #expect(try oneRequest(port: gateway.port, "GET", "/slow?ms=1").status == 200)
        #expect(gateway.stderr.contains("event config-reload action=allowed rule=config.reload"))
    }

    @Test("a reload opens an added listener and closes a removed one")
    func listenersAddedAndRemoved() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try YAMLGateway(config(upstream))
        defer { gateway.stop() }
        #expect(!Ports.isAccepting(port: gateway.port2))
        let both = "  - { name: web, address: \"127.0.0.1:{PORT}\" }\n  - { name: web2, address: \"127.0.0.1:{PORT2}\" }"
        #expect(try gateway.reload(config(upstream, listeners: both)), "\(gateway.diagnostics)")
        #expect(try oneRequest(port: gateway.port2, "GET", "/echo").status == 200)
        #expect(try oneRequest(port: gateway.port, "GET", "/echo").status == 200)
        #expect(ListeningSockets.allOwned(ports: [gateway.port2], by: gateway.process.pid))

        let secondOnly = "  - { name: web2, address: \"127.0.0.1:{PORT2}\" }"
        #expect(try gateway.reload(config(upstream, listeners: secondOnly)), "\(gateway.diagnostics)")
        #expect(eventually(timeout: 10) { !Ports.isAccepting(port: gateway.port) }, "the removed listener still accepts")
        #expect(try oneRequest(port: gateway.port2, "GET", "/echo").status == 200)
    }

    @Test("a keep-alive connection survives a reload: its in-flight request finishes on the old config, the next uses the new")
    func keepAliveSurvives() throws {
        let a = try UpstreamServer.start(name: "a")
        defer { a.stop() }
        let b = try UpstreamServer.start(name: "b")
        defer { b.stop() }
        let gateway = try YAMLGateway(config(a))
        defer { gateway.stop() }
        let client = HTTPClient(port: gateway.port)
        defer { client.close() }
        #expect(try client.request("GET", "/echo").json(EchoResult.self).server == "a")

        // A slow request in flight on the same connection while the config moves to upstream b.
        let c = client.connection!
        try c.send(RawRequest.make("GET", "/slow?ms=1500"))
        sleepSeconds(0.3)
        #expect(try gateway.reload(config(b)), "\(gateway.diagnostics)")
        let slow = try c.readFinalResponse(timeout: 20)
        #expect(slow.status == 200, "\(slow)")
        #expect(slow.jsonObject?["server"] as? String == "a", "the in-flight request did not finish on the old config: \(slow)")
        #expect(!slow.hasToken("Connection", "close"))

        let next = try client.request("GET", "/echo")
        #expect(try next.json(EchoResult.self).server == "b", "\(next)")
        #expect(client.connectionsOpened == 1, "the connection was not kept across the reload")
    }

    @Test("a reload that changes an upstream's targets and weights: an open tunnel and a keep-alive connection go on, new requests follow the new weights")
    func tunnelSurvivesTargetChange() throws {
        let a = try UpstreamServer.start(name: "a")
        defer { a.stop() }
        let b = try UpstreamServer.start(name: "b")
        defer { b.stop() }
        let c = try UpstreamServer.start(name: "c")
        defer { c.stop() }
        let before = upstreamConfig(targets: "[\"\(a.address)\"]")
        let gateway = try YAMLGateway(before)
        defer { gateway.stop() }
        let keepAlive = HTTPClient(port: gateway.port)
        defer { keepAlive.close() }
        #expect(try keepAlive.request("GET", "/echo").json(EchoResult.self).server == "a")
        let tunnel = try RawConnection(port: gateway.port)
        defer { tunnel.close() }
        try tunnel.send("GET /tunnel HTTP/1.1\r\nHost: gateway.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        #expect(try tunnel.readResponse().status == 101)
        try tunnel.expectEcho("before\n")

        // Target a goes; b and c (weight 3) come.
        let after = upstreamConfig(targets: "[\"\(b.address)\", { address: \"\(c.address)\", weight: 3 }]")
        #expect(try gateway.reload(after), "\(gateway.diagnostics)")
        let servers = try (0..<8).map { try echoServer(gateway.port, "?r=\($0)") ?? "?" }
        #expect(servers.filter { $0 == "b" }.count == 2 && servers.filter { $0 == "c" }.count == 6, "\(servers)\n\(gateway.diagnostics)")
        #expect(try keepAlive.request("GET", "/echo").json(EchoResult.self).server != "a")
        #expect(keepAlive.connectionsOpened == 1, "the keep-alive connection did not survive the reload")

        // The tunnel still runs to a, both ways, and half-closes as usual.
        try tunnel.expectEcho("after\n")
        tunnel.shutdownWrite()
        var rest: [UInt8] = []
        try tunnel.readToEOF(Deadline(10)) { rest += $0 }
        #expect(String(decoding: rest, as: UTF8.self) == "bye\n", "\(gateway.diagnostics)")
        #expect(try a.stats().requests == 2, "a served more than the first request and the tunnel")
    }

    @Test("an unchanged upstream keeps its health state across a reload; a changed one starts afresh")
    func healthStateAcrossReloads() throws {
        let broken = try ClosingListener()
        defer { broken.close() }
        let live = try UpstreamServer.start(name: "live")
        defer { live.stop() }
        let targets = "[\"\(broken.address)\", \"\(live.address)\"]"
        let health = "health: { max_failures: 1, backoff: 1m }"
        let gateway = try YAMLGateway(upstreamConfig(targets: targets, settings: health), waitForPort2: true)
        defer { gateway.stop() }
        let up = #"gateway_upstream_target_up{upstream="app",target="\#(broken.address)"}"#
        func brokenIsUp() throws -> Double? { parseMetrics(try adminGet(port: gateway.port2, "/metrics").bodyText)[up] }
        #expect(try brokenIsUp() == 1)
        for i in 0..<4 { #expect(try echoServer(gateway.port, "?h=\(i)") == "live") }
        #expect(broken.accepted == 1, "\(gateway.diagnostics)")
        #expect(try brokenIsUp() == 0)

        // A new route only: the upstream's pool and its health state stay.
        let withRoute = upstreamConfig(targets: targets, settings: health,
                                       extraRoute: "  - { name: other, match: { path_prefix: /other/ }, upstream: app }")
        #expect(try gateway.reload(withRoute), "\(gateway.diagnostics)")
        #expect(try brokenIsUp() == 0, "the reloaded config's health state forgot the target that is out")
        for i in 0..<4 { #expect(try echoServer(gateway.port, "?k=\(i)") == "live") }
        #expect(broken.accepted == 1, "the target was tried during its back-off after the reload")

        // A changed health setting: a new pool, every target up again until it fails.
        #expect(try gateway.reload(upstreamConfig(targets: targets, settings: "health: { max_failures: 1, backoff: 2m }")))
        #expect(try brokenIsUp() == 1)
        for i in 0..<4 { #expect(try echoServer(gateway.port, "?n=\(i)") == "live") }
        #expect(broken.accepted == 2, "\(gateway.diagnostics)")
    }
}
}
