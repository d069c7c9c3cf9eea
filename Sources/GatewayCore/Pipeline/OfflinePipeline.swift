import GatewayHTTP
import GatewayNetwork

/// Runs a config's request pipeline on recorded requests, in-process and without sockets:
/// the strict head parser and path normalisation, routing, then the matched route's filters'
/// request phases (head, then body when a filter asked for it), as a worker would. What
/// `gateway replay` uses to test a config against recorded traffic.
///
/// Only the request side runs: nothing is forwarded, so a request that every filter lets
/// through is reported as ``Outcome/status`` nil.
public final class OfflinePipeline {
    public let runtime: RuntimeConfig
    /// A loop on the calling thread, for filters that suspend and resume from timers.
    public let loop: EventLoop
    private let parser: HTTPRequestParser
    private var count = 0

    /// What the gateway would have done with one request.
    public struct Outcome {
        /// The status the gateway answered locally (403 from a filter, 400 from the parser,
        /// 404 when no route matched...); nil when the request would have gone upstream.
        public var status: Int?
        /// The matched route's name.
        public var route: String?
        /// The events raised by filters, in order.
        public var events: [EventRecord]
        /// Tags filters attached to the exchange.
        public var tags: [String]
    }

    public init(runtime: RuntimeConfig) {
        self.runtime = runtime
        self.loop = EventLoop()
        self.parser = HTTPRequestParser(limits: runtime.parserLimits)
    }

    /// Runs one request given as the bytes a client would send (head and body), arriving on
    /// listener `listener` (its index in the config) from `clientIP`.
    public func run(raw: [UInt8], listener: Int = 0, clientIP: IPAddress = IPAddress("192.0.2.10")!) -> Outcome {
        var head = HTTPRequestHead()
        let parsed = raw.withUnsafeBytes { parser.parse($0, into: &head) }
        let headLength: Int
        switch parsed {
        case .complete(let length): headLength = length
        case .incomplete: return Outcome(status: 400, route: nil, events: [], tags: [])
        case .failure(let error): return Outcome(status: error.status, route: nil, events: [], tags: [])
        }
        guard head.normalizePath() else { return Outcome(status: 400, route: nil, events: [], tags: []) }
        guard let body = OfflinePipeline.body(raw, from: headLength, framing: head.framing) else {
            return Outcome(status: 400, route: nil, events: [], tags: [])
        }
        if body.count > runtime.configuration.limits.maxBodyBytes { return Outcome(status: 413, route: nil, events: [], tags: []) }
        let route = runtime.router.route(listener: min(listener, runtime.listeners.count - 1), request: head)
        count += 1
        let exchange = Exchange(request: head, requestID: "replay-\(count)", clientIP: clientIP, clientIPSource: .peer,
                                peer: SocketAddress(ip: clientIP, port: 40000), isTLS: runtime.listeners[listener].tls != nil,
                                route: route, loop: loop)
        exchange.geoLocator = runtime.geo
        guard let route else { return Outcome(status: 404, route: nil, events: [], tags: []) }
        var action = OfflinePipeline.runRequestPhase(route.filters, exchange, body: false, loop: loop)
        if case .proceed = action, exchange.requestBodyLimit > 0, exchange.request.framing != .none {
            exchange.requestBody = Array(body.prefix(exchange.requestBodyLimit))
            exchange.isRequestBodyComplete = body.count <= exchange.requestBodyLimit
            action = OfflinePipeline.runRequestPhase(route.filters, exchange, body: true, loop: loop)
        }
        var status: Int?
        if case .respond(let response) = action { status = response.status }
        if case .suspend = action { status = 504 }
        return Outcome(status: status, route: route.name, events: exchange.events, tags: exchange.tags)
    }

    /// The body after the head: Content-Length bytes, or the decoded chunks; nil when the
    /// chunked framing is invalid.
    private static func body(_ raw: [UInt8], from start: Int, framing: HTTPBodyFraming) -> [UInt8]? {
        let rest = raw[start...]
        switch framing {
        case .none: return []
        case .contentLength(let length): return Array(rest.prefix(Int(length)))
        case .chunked:
            var decoder = ChunkedDecoder()
            var out: [UInt8] = []
            do {
                _ = try rest.withUnsafeBytes { try decoder.decode($0) { out.append(contentsOf: $0) } }
            } catch {
                return nil
            }
            return out
        default: return Array(rest)
        }
    }

    /// Runs the head or body phase of `filters` in order until one answers; a filter that
    /// suspends is waited for on `loop`.
    static func runRequestPhase(_ filters: [any Filter], _ exchange: Exchange, body: Bool, loop: EventLoop) -> FilterAction {
        for filter in filters {
            let action = settle(body ? filter.onRequestBody(exchange) : filter.onRequestHead(exchange), exchange, loop: loop) ?? .suspend
            if case .proceed = action { continue }
            return action
        }
        return .proceed
    }

    /// What a phase decided: `action` itself, or, when it is ``FilterAction/suspend``, what the
    /// filter resumes with, running `loop` up to `timeout` (nil: it never resumed).
    package static func settle(_ action: FilterAction, _ exchange: Exchange, loop: EventLoop,
                               timeout: Duration = .seconds(5)) -> FilterAction? {
        guard case .suspend = action else { return action }
        var resumed: FilterAction?
        exchange.resumeHandler = { resumed = $0 }
        let deadline = LoopTimer(loop: loop) { [loop] in loop.stop() }
        deadline.schedule(after: timeout)
        while resumed == nil, deadline.isArmed {
            loop.runOnce()
        }
        deadline.cancel()
        return resumed
    }
}
