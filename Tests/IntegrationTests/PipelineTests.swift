// The filter contract proven end to end: filters defined here run inside a real gateway (an
// in-process GatewayServer with real sockets) in front of the real upstream fixture.

import Foundation
import GatewayConfig
import GatewayCore
import Testing

/// Answers 403 locally for paths under /deny, with a security event.
private final class DenyFilter: Filter {
    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        guard exchange.request.path.hasPrefix("/deny") else { return .proceed }
        exchange.emit(SecurityEvent(name: "test-denied", action: .blocked, severity: .medium, ruleID: "test.deny", ruleName: "deny prefix"))
        return .respond(.error(403, requestID: exchange.requestID))
    }
}

private enum DenyPlugin: Plugin {
    static let name = "test_deny"
    static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics: ConfigDiagnostics) -> (any Filter)? {
        DenyFilter()
    }
}

/// Edits headers in every phase it has.
private final class HeaderEditFilter: Filter {
    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        exchange.request.headers.add("X-Test-Request", "added-in-request-head")
        return .proceed
    }

    func onUpstreamRequest(_ exchange: Exchange) {
        exchange.request.headers.remove("X-Remove-Me")
        // The core's forwarding headers are already there to be read.
        let proto = exchange.request.headers.first("X-Forwarded-Proto") ?? "missing"
        exchange.request.headers.set("X-Upstream-Edit", "saw-proto-\(proto)")
    }

    func onResponseHead(_ exchange: Exchange) {
        exchange.response.headers.set("X-Test-Response", exchange.isLocalResponse ? "local" : "upstream")
        exchange.response.headers.remove("X-Powered-By")
    }
}

private enum HeaderEditPlugin: Plugin {
    static let name = "test_headers"
    static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics: ConfigDiagnostics) -> (any Filter)? {
        HeaderEditFilter()
    }
}

/// Suspends every request on a libevent timer, then resumes: proceeds, or answers 429 for /slowdown.
private final class TimerFilter: Filter {
    let delay: Duration

    init(delay: Duration) { self.delay = delay }

    private struct Waited: Sendable { let timer: LoopTimer }

    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        let reject = exchange.request.path.hasPrefix("/slowdown")
        let timer = LoopTimer(loop: exchange.loop) { [weak exchange] in
            exchange?.resume(reject ? .respond(.error(429, requestID: exchange?.requestID ?? "")) : .proceed)
        }
        exchange.storage[ObjectIdentifier(self)] = Waited(timer: timer)  // alive until the exchange ends
        timer.schedule(after: delay)
        return .suspend
    }

    func onResponseHead(_ exchange: Exchange) {
        if exchange.storage[ObjectIdentifier(self)] is Waited {
            exchange.response.headers.set("X-Waited", "yes")
        }
    }
}

private enum TimerPlugin: Plugin {
    static let name = "test_timer"
    static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics: ConfigDiagnostics) -> (any Filter)? {
        guard let mapping = settings.mapping(diagnostics, keys: ["delay"], in: "filter '\(context.filterName)'") else { return nil }
        return TimerFilter(delay: mapping["delay"]?.duration(diagnostics) ?? .milliseconds(50))
    }
}

/// Looks at the first bytes of request bodies: refuses those containing "forbidden".
private final class BodyFilter: Filter {
    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        exchange.inspectRequestBody(upTo: 16)
        return .proceed
    }

    func onRequestBody(_ exchange: Exchange) -> FilterAction {
        let text = String(decoding: exchange.requestBody, as: UTF8.self)
        exchange.tags.append("body-seen:\(exchange.requestBody.count):\(exchange.isRequestBodyComplete)")
        return text.contains("forbidden") ? .respond(.error(403, requestID: exchange.requestID)) : .proceed
    }

    func onResponseHead(_ exchange: Exchange) {
        if let seen = exchange.tags.first(where: { $0.hasPrefix("body-seen:") }) {
            exchange.response.headers.set("X-Body-Seen", String(seen.dropFirst("body-seen:".count)))
        }
    }
}

private enum BodyPlugin: Plugin {
    static let name = "test_body"
    static func makeFilter(settings: ConfigNode, context: PluginContext, diagnostics: ConfigDiagnostics) -> (any Filter)? {
        BodyFilter()
    }
}

/// A gateway running inside the test process with the test plugins registered.
private final class InProcessGateway: @unchecked Sendable {
    let server: GatewayServer
    let port: UInt16
    let dir: TemporaryDirectory

    init(upstream: UpstreamServer, routes: String, filters: String) throws {
        dir = try TemporaryDirectory(prefix: "gw-pipeline")
        port = try Ports.free()
        let yaml = """
            workers: 2
            listeners: [{ name: web, address: "127.0.0.1:\(port)" }]
            upstreams: { app: { targets: ["\(upstream.address)"] } }
            routes:
            \(routes)
            filters:
            \(filters)
            """
        let path = try dir.write("gateway.yaml", yaml)
        let registry = PluginRegistry([DenyPlugin.self, HeaderEditPlugin.self, TimerPlugin.self, BodyPlugin.self])
        switch RuntimeConfig.load(path: path, registry: registry) {
        case .success(let runtime):
            server = GatewayServer(runtime: runtime)
            try server.start()
        case .failure(let diagnostics):
            throw HarnessError("config rejected:\n\(diagnostics)")
        }
    }

    func stop() {
        server.shutdown()
        dir.remove()
    }
}

@Suite(.serialized) struct PipelineTests {
    static let routes = """
          - { name: main, match: { path_prefix: / }, upstream: app, filters: [edit, deny] }
          - { name: waiting, match: { path_prefix: /, hosts: [wait.test] }, upstream: app, filters: [edit, timer] }
          - { name: slowdown, match: { path_prefix: /slowdown, hosts: [wait.test] }, upstream: app, filters: [timer] }
          - { name: bodies, match: { path_prefix: /, hosts: [body.test] }, upstream: app, filters: [timer, body] }
        """
    static let filters = """
          edit: { plugin: test_headers }
          deny: { plugin: test_deny }
          timer: { plugin: test_timer, delay: 100ms }
          body: { plugin: test_body }
        """

    @Test func filterAnswersLocallyWithoutReachingTheUpstream() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try InProcessGateway(upstream: upstream, routes: Self.routes, filters: Self.filters)
        defer { gateway.stop() }

        let denied = try oneRequest(port: gateway.port, "GET", "/deny/this")
        #expect(denied.status == 403)
        let requestID = try #require(denied.header("X-Request-ID"))
        #expect(String(decoding: denied.body, as: UTF8.self).contains(requestID))
        // Response filters run on local answers too.
        #expect(denied.header("X-Test-Response") == "local")
        #expect(try upstream.stats().requests == 0)

        let allowed = try oneRequest(port: gateway.port, "GET", "/echo")
        #expect(allowed.status == 200)
        #expect(try upstream.stats().requests == 1)
    }

    @Test func filterEditsRequestAndResponseHeaders() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try InProcessGateway(upstream: upstream, routes: Self.routes, filters: Self.filters)
        defer { gateway.stop() }

        let response = try oneRequest(port: gateway.port, "GET", "/headers?set=X-Powered-By:PHP/5.1",
                                      headers: [("X-Remove-Me", "secret")])
        #expect(response.status == 200)
        #expect(response.header("X-Test-Response") == "upstream")
        #expect(response.header("X-Powered-By") == nil)

        let echo = try oneRequest(port: gateway.port, "GET", "/echo", headers: [("X-Remove-Me", "secret")])
        let seen = try echo.json(EchoResult.self)
        #expect(seen.header("X-Test-Request") == "added-in-request-head")
        #expect(seen.header("X-Upstream-Edit") == "saw-proto-http")
        #expect(!seen.has("X-Remove-Me"))
    }

    @Test func suspendedFilterResumesFromATimer() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try InProcessGateway(upstream: upstream, routes: Self.routes, filters: Self.filters)
        defer { gateway.stop() }

        // Keep-alive: several suspended exchanges in a row on one connection.
        let client = HTTPClient(port: gateway.port)
        defer { client.close() }
        for index in 0..<3 {
            let started = monotonicNow()
            let response = try client.request("GET", "/echo?n=\(index)", hostHeader: "wait.test")
            #expect(response.status == 200)
            #expect(response.header("X-Waited") == "yes")
            #expect(monotonicNow() - started >= 0.09, "the timer filter held the request for its delay")
        }
        #expect(client.connectionsOpened == 1)

        // A resumed filter may also answer.
        let rejected = try oneRequest(port: gateway.port, "GET", "/slowdown", hostHeader: "wait.test")
        #expect(rejected.status == 429)
        #expect(rejected.header("X-Waited") == "yes")

        // Many suspended at once on two workers: none blocks another.
        let results = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let status = (try? oneRequest(port: gateway.port, "GET", "/echo?c=\(index)", hostHeader: "wait.test").status) ?? -1
            results.append(status)
        }
        #expect(results.values.sorted() == Array(repeating: 200, count: 16))
    }

    @Test func clientLeavingWhileSuspendedIsHarmless() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try InProcessGateway(upstream: upstream, routes: Self.routes, filters: Self.filters)
        defer { gateway.stop() }

        for _ in 0..<5 {
            let connection = try RawConnection(port: gateway.port)
            try connection.send("GET /echo HTTP/1.1\r\nHost: wait.test\r\n\r\n")
            connection.close()  // gone before the timer fires
        }
        sleepSeconds(0.3)
        let after = try oneRequest(port: gateway.port, "GET", "/echo", hostHeader: "wait.test")
        #expect(after.status == 200)
        // Resumes of the abandoned exchanges never reached the upstream.
        #expect(try upstream.stats().requests == 1)
    }
}

extension PipelineTests {
    @Test func bodyFilterSeesTheStartOfTheBodyAndTheUpstreamGetsAllOfIt() throws {
        let upstream = try UpstreamServer.start()
        defer { upstream.stop() }
        let gateway = try InProcessGateway(upstream: upstream, routes: Self.routes, filters: Self.filters)
        defer { gateway.stop() }

        let refused = try oneRequest(port: gateway.port, "POST", "/upload", hostHeader: "body.test",
                                     body: Array("forbidden payload".utf8))
        #expect(refused.status == 403)
        #expect(try upstream.stats().requests == 0)

        let small = Array("hello".utf8)
        let accepted = try oneRequest(port: gateway.port, "POST", "/upload", hostHeader: "body.test", body: small)
        #expect(accepted.status == 200)
        #expect(accepted.header("X-Body-Seen") == "5:true")
        #expect(try accepted.json(UploadResult.self).sha256 == SHA256.hex(small))

        // Larger than the filter's limit: it sees 16 bytes, the upstream the whole body, in
        // both framings.
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let viaLength = try oneRequest(port: gateway.port, "POST", "/upload", hostHeader: "body.test", body: large)
        #expect(viaLength.header("X-Body-Seen") == "16:false")
        #expect(try viaLength.json(UploadResult.self).sha256 == SHA256.hex(large))

        let connection = try RawConnection(port: gateway.port)
        defer { connection.close() }
        try connection.send(Array("POST /upload HTTP/1.1\r\nHost: body.test\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                            + RawRequest.chunked(large, chunkSize: 7000))
        let viaChunks = try connection.readFinalResponse(method: "POST")
        #expect(viaChunks.header("X-Body-Seen") == "16:false")
        #expect(try viaChunks.json(UploadResult.self).sha256 == SHA256.hex(large))
    }
}

private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Int] = []
    func append(_ value: Int) { lock.withLock { values.append(value) } }
}
