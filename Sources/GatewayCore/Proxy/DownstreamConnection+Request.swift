import CGatewayLibevent
import Glibc
import GatewayHTTP
import GatewayNetwork

extension DownstreamConnection {
    /// A head was parsed into `head`: route it, run the request filters, then proxy.
    func startExchange() {
        adoptCurrentSnapshot()
        observeExchangeStart()
        let runtime = snapshot.runtime
        let requestID = head.headers.withFirst("X-Request-ID") { value in
            RequestIDGenerator.isAcceptable(value) ? String(decoding: value, as: UTF8.self) : nil
        } ?? nil
        guard head.normalizePath() else {
            sendProtocolError(status: 400, rule: "invalidPath", reason: "path has a bad %-escape or climbs above the root",
                              requestID: requestID)
            return
        }
        if case .contentLength(let length) = head.framing, length > Int64(runtime.configuration.limits.maxBodyBytes) {
            sendProtocolError(status: 413, rule: "bodyTooLarge", reason: "request body larger than max_body_bytes",
                              requestID: requestID)
            return
        }
        let (clientIP, source) = resolveClientIP(trusted: runtime.trustedProxies)
        let route = runtime.router.route(listener: listenerIndex, request: head)
        let exchange = Exchange(
            request: HTTPRequestHead(), requestID: requestID ?? worker.requestIDs.make(), clientIP: clientIP,
            clientIPSource: source, peer: peer, isTLS: isTLS,
            isHTTPS: isTLS || forwardedHTTPS(trusted: runtime.trustedProxies), route: route, loop: worker.loop)
        exchange.redis = worker.redis
        exchange.geoLocator = runtime.geo
        // The connection's heads move into the exchange and back at its end: their buffers are reused.
        swap(&head, &exchange.request)
        swap(&responseHead, &exchange.response)
        self.exchange = exchange
        guard route != nil else {
            sendLocal(.error(404, requestID: exchange.requestID))
            return
        }
        phase = .filtering
        filterIndex = 0
        runRequestFilters()
    }

    /// The two request phases filters take part in.
    enum RequestPhase {
        case head, body
    }

    /// Runs `phase` over the route's filters from `filterIndex` until one answers, suspends, or
    /// all proceed; then the exchange moves on (to the body, or upstream).
    func runRequestFilters(_ requestPhase: RequestPhase = .head) {
        guard let exchange, let route = exchange.route else { return }
        while filterIndex < route.filters.count {
            let filter = route.filters[filterIndex]
            filterIndex += 1
            let action = requestPhase == .head ? filter.onRequestHead(exchange) : filter.onRequestBody(exchange)
            switch action {
            case .proceed:
                continue
            case .respond(let response):
                observation.blockedBy = filterIndex - 1
                sendLocal(response)
                return
            case .suspend:
                exchange.resumeHandler = { [unowned(unsafe) self] action in self.resumeFilters(action, requestPhase) }
                return
            }
        }
        if requestPhase == .head, exchange.requestBodyLimit > 0, exchange.request.framing != .none {
            startBodyBuffering(limit: exchange.requestBodyLimit)
        } else {
            forwardUpstream()
        }
    }

    /// Continues the pipeline after a suspended filter answered.
    private func resumeFilters(_ action: FilterAction, _ requestPhase: RequestPhase) {
        guard phase == .filtering else { return }
        switch action {
        case .proceed: runRequestFilters(requestPhase)
        case .respond(let response):
            observation.blockedBy = filterIndex - 1
            sendLocal(response)
        case .suspend: exchange?.resumeHandler = { [unowned(unsafe) self] action in self.resumeFilters(action, requestPhase) }
        }
    }

    /// The client address: the peer, or, when the peer is a trusted proxy, the first untrusted
    /// address reading X-Forwarded-For right to left (never the leftmost entry blindly).
    func resolveClientIP(trusted: CIDRSet) -> (IPAddress, ClientIPSource) {
        let peerIP = peer.ip.unmapped
        guard !trusted.isEmpty, trusted.contains(peerIP), head.headers.contains("X-Forwarded-For") else {
            return (peerIP, .peer)
        }
        var client = peerIP
        for field in head.headers.all("X-Forwarded-For").reversed() {
            for entry in field.split(separator: ",").reversed() {
                guard let ip = IPAddress(String(entry.trimmingSpaces))?.unmapped else { return (client, .forwardedFor) }
                client = ip
                if !trusted.contains(ip) { return (ip, .forwardedFor) }
            }
        }
        return (client, .forwardedFor)
    }

    /// A trusted proxy in front terminated TLS: the last X-Forwarded-Proto value (the one that
    /// proxy set) is `https`. A client's own claim, from an untrusted peer, is never believed.
    func forwardedHTTPS(trusted: CIDRSet) -> Bool {
        guard !trusted.isEmpty, trusted.contains(peer.ip.unmapped),
              let field = head.headers.all("X-Forwarded-Proto").last,
              let last = field.split(separator: ",").last else { return false }
        return last.trimmingSpaces.lowercased() == "https"
    }

    // MARK: Local responses

    /// Sends a response made by the gateway or a filter; response filters run on it too.
    func sendLocal(_ response: LocalResponse) {
        guard let exchange else { return }
        var bodyUnread = false
        if requestBodyPrepared {
            if case .done = requestBody {} else { bodyUnread = true }
        } else {
            switch exchange.request.framing {
            case .none, .contentLength(0), .untilClose: break
            default: bodyUnread = true
            }
        }
        let keepAlive = !response.closeConnection && exchange.request.keepAlive && !bodyUnread
        exchange.isLocalResponse = true
        write(response: response, requestID: exchange.requestID, requestMethod: exchange.request.method, keepAlive: keepAlive)
    }

    /// Serializes and sends a complete local response, then finishes the exchange.
    func write(response: LocalResponse, requestID: String, requestMethod: HTTPMethod?, keepAlive: Bool) {
        abandonUpstream()
        var head = HTTPResponseHead(status: response.status)
        head.headers = response.headers
        head.headers.set("Content-Length", String(response.body.count))
        head.headers.set("X-Request-ID", requestID)
        if !keepAlive { head.headers.set("Connection", "close") }
        if let exchange {
            swap(&exchange.response, &head)
            if let route = exchange.route {
                for filter in route.filters.reversed() { filter.onResponseHead(exchange) }
            }
            swap(&exchange.response, &head)
        }
        observeLocalResponse(status: head.status, bodyBytes: requestMethod == .head ? 0 : response.body.count)
        worker.scratch.removeAll(keepingCapacity: true)
        head.serialize(into: &worker.scratch)
        if requestMethod != .head { worker.scratch.append(contentsOf: response.body) }
        worker.scratch.withUnsafeBytes { writeToClient($0) }
        responseStarted = true
        finishExchange(keepAlive: keepAlive)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
