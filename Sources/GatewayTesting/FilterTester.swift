import GatewayConfig
import GatewayCore
import GatewayHTTP
import GatewayNetwork

/// Runs one filter's phases on synthetic exchanges, without sockets: the way to unit-test a
/// plugin. Build the filter from YAML settings exactly as a config file would, make a request,
/// and look at the verdict and at the heads the filter edited.
///
/// ```swift
/// let tester = try FilterTester(CORSPlugin.self, settings: "allow_origins: [https://a.example]")
/// let exchange = tester.exchange(method: "OPTIONS", target: "/api", headers: [("Origin", "https://a.example")])
/// guard case .respond(let response) = tester.requestHead(exchange) else { ... }
/// ```
public final class FilterTester {
    public let filter: any Filter
    /// A loop on the calling thread, for filters that suspend and resume from timers.
    public let loop: EventLoop
    private let route: Route
    private var requestCount = 0
    /// The exchanges' Redis client, when the configuration has a `redis:` section.
    public let redis: RedisClient?

    /// Wraps an existing filter instance; with `redis`, exchanges get a client for it on ``loop``.
    public init(_ filter: any Filter, redis: RedisConfig? = nil) {
        self.filter = filter
        let loop = EventLoop()
        self.loop = loop
        self.route = Route(name: "test", pathPrefix: "/", hosts: [], methods: [], listeners: nil, upstream: 0, filters: [filter])
        self.redis = redis.map { RedisClient(loop: loop, config: $0, log: { _ in }) }
    }

    /// Builds the filter from `settings`, the YAML of a `filters:` entry without its `plugin:` key.
    /// Throws the diagnostics (their text is the `file:line:col: reason` lines `gateway check` prints).
    public convenience init(_ plugin: any Plugin.Type, settings: String = "{}", configuration: String? = nil) throws {
        let diagnostics = ConfigDiagnostics()
        let gateway = try FilterTester.configuration(configuration, diagnostics)
        guard let node = ConfigNode.parse(yaml: settings, path: "settings.yaml", diagnostics),
              let filter = plugin.makeFilter(settings: node, context: PluginContext(filterName: "test", configuration: gateway), diagnostics: diagnostics),
              !diagnostics.hasErrors
        else { throw diagnostics }
        self.init(filter, redis: gateway.redis)
    }

    /// The diagnostics a plugin reports for `settings`: empty when they are valid.
    public static func diagnose(_ plugin: any Plugin.Type, settings: String) -> [ConfigError] {
        let diagnostics = ConfigDiagnostics()
        guard let gateway = try? configuration(nil, diagnostics),
              let node = ConfigNode.parse(yaml: settings, path: "settings.yaml", diagnostics)
        else { return diagnostics.errors }
        _ = plugin.makeFilter(settings: node, context: PluginContext(filterName: "test", configuration: gateway), diagnostics: diagnostics)
        return diagnostics.errors
    }

    private static func configuration(_ yaml: String?, _ diagnostics: ConfigDiagnostics) throws -> GatewayConfiguration {
        let minimal = """
            listeners: [{ name: web, address: "127.0.0.1:8080" }]
            upstreams: { app: { targets: ["127.0.0.1:9000"] } }
            routes: [{ name: test, match: { path_prefix: / }, upstream: app }]
            """
        guard let gateway = ConfigLoader.parse(yaml: yaml ?? minimal, path: "gateway.yaml", diagnostics: diagnostics),
              !diagnostics.hasErrors
        else { throw diagnostics }
        return gateway
    }

    /// A request as the core hands it to filters: parsed strictly, path normalised, client IP resolved.
    public func exchange(method: String = "GET", target: String = "/", headers: [(String, String)] = [],
                         body: Bool = false, clientIP: String = "192.0.2.10", tls: Bool = false) -> Exchange {
        var head = HTTPRequestHead()
        head.method = HTTPMethod(method)
        head.setTarget(target)
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { head.headers.add("Host", "gateway.test") }
        for (name, value) in headers { head.headers.add(name, value) }
        if body { head.framing = .contentLength(1) }
        requestCount += 1
        let ip = IPAddress(clientIP)!
        let exchange = Exchange(request: head, requestID: "test-\(requestCount)", clientIP: ip, clientIPSource: .peer,
                                peer: SocketAddress(ip: ip, port: 40000), isTLS: tls, route: route, loop: loop)
        exchange.redis = redis
        return exchange
    }

    /// Runs the request-head phase. A filter that suspends is waited for, running the loop,
    /// up to `timeout`; nil means it never resumed.
    public func requestHead(_ exchange: Exchange, timeout: Duration = .seconds(5)) -> FilterAction? {
        OfflinePipeline.settle(filter.onRequestHead(exchange), exchange, loop: loop, timeout: timeout)
    }

    /// Runs the request-body phase with `body` as what the gateway read (`complete`: all of it),
    /// as it does after a head phase that called ``Exchange/inspectRequestBody(upTo:)``. A
    /// filter that suspends is waited for like in ``requestHead(_:timeout:)``; `.suspend` means
    /// it never resumed.
    public func requestBody(_ exchange: Exchange, _ body: [UInt8], complete: Bool = true,
                            timeout: Duration = .seconds(5)) -> FilterAction {
        exchange.requestBody = body
        exchange.isRequestBodyComplete = complete
        return OfflinePipeline.settle(filter.onRequestBody(exchange), exchange, loop: loop, timeout: timeout) ?? .suspend
    }

    /// Runs the upstream-request phase and returns the head that would go upstream.
    public func upstreamRequest(_ exchange: Exchange) -> HTTPRequestHead {
        filter.onUpstreamRequest(exchange)
        return exchange.request
    }

    /// Runs the response-head phase on an upstream response (or a local one) and returns the
    /// head the client would get.
    public func responseHead(_ exchange: Exchange, status: Int = 200, headers: [(String, String)] = [],
                             local: Bool = false) -> HTTPResponseHead {
        var response = HTTPResponseHead(status: status)
        for (name, value) in headers { response.headers.add(name, value) }
        exchange.response = response
        exchange.isLocalResponse = local
        filter.onResponseHead(exchange)
        return exchange.response
    }

    /// Runs the response-head phase on a local response a filter returned.
    public func responseHead(_ exchange: Exchange, local response: LocalResponse) -> HTTPResponseHead {
        responseHead(exchange, status: response.status, headers: response.headers.map { ($0.name, $0.value) }, local: true)
    }
}
