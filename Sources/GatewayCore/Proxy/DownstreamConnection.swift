import CGatewayLibevent
import CGatewayOpenSSL
import Glibc
import GatewayHTTP
import GatewayNetwork

/// A client connection: reads request heads, runs the route's pipeline, proxies the exchange
/// to an upstream connection and streams the response back, one exchange at a time
/// (pipelined requests wait in the input buffer).
///
/// Loop-confined. It keeps itself alive (an unmanaged +1) from accept until ``close()``.
final class DownstreamConnection {
    enum Phase {
        /// Waiting for (the rest of) the next request head.
        case awaitingHead
        /// Request filters are running or one is suspended.
        case filtering
        /// Reading the start of the body for the filters that inspect it.
        case bufferingBody
        /// The exchange is with the upstream.
        case proxying
        /// The upstream answered 101 to an upgrade: bytes flow both ways until both sides close.
        case tunneling
        /// Writing a final response, then closing.
        case closing
        case closed
    }

    enum RequestBody {
        case done
        case contentLength(remaining: Int64)
        case chunked
    }

    enum ResponseBody {
        case awaitingHead
        case none
        case contentLength(remaining: Int64)
        case chunked
        case untilClose
    }

    unowned(unsafe) let worker: Worker
    let bev: OpaquePointer
    let fd: Int32
    let peer: SocketAddress
    /// Into `snapshot.runtime.listeners`.
    var listenerIndex: Int
    /// The config the current (or next) exchange runs on; see ``adoptCurrentSnapshot()``.
    var snapshot: WorkerSnapshot
    var observation = ExchangeObservation()
    let isTLS: Bool
    /// The connection's `SSL` (owned by the bufferevent), nil over plain TCP.
    let ssl: OpaquePointer?
    var phase = Phase.awaitingHead

    /// Parsed into directly; swapped into the exchange and back so its buffers are reused.
    var head = HTTPRequestHead()
    var responseHead = HTTPResponseHead()
    var exchange: Exchange?
    /// Index of the next request filter to run.
    var filterIndex = 0

    // Request body, client -> upstream.
    var requestBody = RequestBody.done
    var requestDecoder = ChunkedDecoder()
    var requestBodyBytes: Int64 = 0
    /// Decoded body bytes read for body filters beyond their limit, sent upstream after the buffer.
    var bodyOverflow: [UInt8] = []
    /// The body was prepared (framing read) before the upstream request: by body buffering.
    var requestBodyPrepared = false
    var sentContinue = false
    var clientReadPaused = false

    // Upstream side of the exchange.
    var upstream: UpstreamConnection?
    var connectAttempts = 0
    /// Targets that failed this exchange (bit n = target n): a retry goes elsewhere.
    var triedTargets: UInt64 = 0
    /// Set while tunneling.
    var tunnel: Tunnel?
    var responseBody = ResponseBody.awaitingHead
    var responseDecoder = ChunkedDecoder()
    var responseStarted = false
    /// The whole response was sent; the exchange may still be forwarding the request body.
    var responseComplete = false
    var chunkedToClient = false
    var keepAliveAfterResponse = false
    var upstreamReusable = false
    var upstreamReadPaused = false
    /// A filter replaced the upstream body: read it, keep its start, send nothing of it.
    var discardingResponseBody = false
    /// The replacement response, held back until the capture a filter asked for is complete
    /// (a client that hangs up on the replacement must not cut the capture its event shows).
    var pendingReplacement: [UInt8]?

    /// Header deadline, then keep-alive idle timeout between requests.
    private var timer: LoopTimer!
    /// The request-body inactivity timeout of plain connections (TLS ones use the bufferevent's).
    var bodyTimer: LoopTimer!
    /// Plain TCP: the read event that replaces the bufferevent's reading; nil over TLS.
    var socketReadEvent: OpaquePointer?
    var socketReading = true
    /// Reading stopped because the input buffer is full.
    var inputFull = false
    /// TLS only: the handshake completed (failures before it are aggregated into one event).
    var handshakeDone = false
    private var timerIsIdle = false
    var bodyTimeoutArmed = false
    /// Bytes of the current head already parsed without completing it.
    private var incompleteHeadLength = 0
    private var processingHeads = false

    /// Output above this stops reading the other side until it drains below the low mark.
    static let outputHighWater = 1 << 20
    static let outputLowWater = 1 << 18

    private init(worker: Worker, bev: OpaquePointer, fd: Int32, peer: SocketAddress, listenerIndex: Int, isTLS: Bool) {
        self.worker = worker
        self.bev = bev
        self.fd = fd
        self.peer = peer
        self.listenerIndex = listenerIndex
        self.snapshot = worker.snapshot
        self.isTLS = isTLS
        self.ssl = isTLS ? bufferevent_openssl_get_ssl(bev) : nil
        timer = LoopTimer(loop: worker.loop) { [unowned(unsafe) self] in self.timerFired() }
        bodyTimer = LoopTimer(loop: worker.loop) { [unowned(unsafe) self] in
            self.event(Int16(BEV_EVENT_TIMEOUT | BEV_EVENT_READING))
        }
    }

    /// Wraps an accepted socket and starts reading the first request head.
    static func start(fd: Int32, peer: SocketAddress, listenerIndex: Int, tls: TLSServerContext?, worker: Worker) {
        let base = worker.loop.base
        let bev: OpaquePointer?
        if let tls {
            guard let ssl = tls.makeSSL() else {
                Glibc.close(fd)
                return
            }
            bev = bufferevent_openssl_socket_new(
                base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                Int32(BEV_OPT_CLOSE_ON_FREE.rawValue | BEV_OPT_DEFER_CALLBACKS.rawValue))
            if let bev { bufferevent_openssl_set_allow_dirty_shutdown(bev, 1) }
        } else {
            bev = bufferevent_socket_new(base, fd, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        }
        guard let bev else {
            Glibc.close(fd)
            return
        }
        let connection = DownstreamConnection(worker: worker, bev: bev, fd: fd, peer: peer, listenerIndex: listenerIndex, isTLS: tls != nil)
        bufferevent_setcb(bev, clientRead, clientWrite, clientEvent, Unmanaged.passRetained(connection).toOpaque())
        let limits = worker.runtime.configuration.limits
        bufferevent_setwatermark(bev, Int16(EV_READ), 0, max(256 * 1024, limits.maxHeaderBytes + 1))
        bufferevent_setwatermark(bev, Int16(EV_WRITE), outputLowWater, 0)
        var sendTimeout = timeval(duration: worker.runtime.configuration.timeouts.send)
        bufferevent_set_timeouts(bev, nil, &sendTimeout)
        if tls == nil {
            bufferevent_enable(bev, Int16(EV_WRITE))
            connection.startSocketReads()
        } else {
            bufferevent_enable(bev, Int16(EV_READ | EV_WRITE))
        }
        worker.connectionOpened(connection)
        connection.timer.schedule(after: worker.runtime.configuration.timeouts.header)
    }

    var input: OpaquePointer { bufferevent_get_input(bev) }
    var output: OpaquePointer { bufferevent_get_output(bev) }

    // MARK: Callbacks

    func readable() {
        defer { resumeReadsIfDrained() }
        switch phase {
        case .awaitingHead:
            processHeads()
        case .proxying:
            if case .done = requestBody { return }
            forwardRequestBody()
        case .bufferingBody:
            bufferRequestBody()
        case .filtering:
            return  // bytes wait; the read watermark bounds them
        case .tunneling:
            tunnelFromClient()
        case .closing:
            evbuffer_drain(input, evbuffer_get_length(input))
        case .closed:
            return
        }
    }

    fileprivate func writable() {
        if phase == .closing, evbuffer_get_length(output) == 0 {
            close()
            return
        }
        if phase == .tunneling, tunnelClientFlushed() { return }
        if upstreamReadPaused, let upstream {
            upstreamReadPaused = false
            upstream.setReading(true)
            forwardResponseBody()
        }
    }

    func event(_ events: Int16) {
        let events = Int32(events)
        if events & BEV_EVENT_CONNECTED != 0 {
            handshakeDone = true  // TLS
            worker.metrics.tlsHandshakes += 1
            return
        }
        if phase == .tunneling {
            tunnelClientEvent(Int16(events))
            return
        }
        if isTLS, !handshakeDone, events & (BEV_EVENT_ERROR | BEV_EVENT_EOF) != 0 {
            worker.tlsHandshakeFailed(peer: peer, reason: tlsErrorReason())
        }
        if events & BEV_EVENT_TIMEOUT != 0, events & BEV_EVENT_READING != 0,
           phase == .proxying || phase == .bufferingBody, !responseStarted {
            // The client stopped sending its body.
            abandonUpstream()
            sendLocal(.error(408, requestID: exchange?.requestID ?? "", closeConnection: true))
            return
        }
        // EOF, error, or a stalled reader: nothing more can be said to this client.
        close()
    }

    private func timerFired() {
        guard phase == .awaitingHead else { return }
        if timerIsIdle || evbuffer_get_length(input) == 0 {
            close()
        } else {
            sendProtocolError(status: 408, rule: "headerTimeout", reason: "request head not received in time")
        }
    }

    // MARK: Request heads

    /// Parses and starts every complete head in the input, one exchange at a time.
    func processHeads() {
        guard !processingHeads else { return }
        processingHeads = true
        defer { processingHeads = false }
        while phase == .awaitingHead {
            let available = evbuffer_get_length(input)
            guard available > 0 else { return }
            let length = min(available, worker.runtime.parserLimits.maxHeadBytes + 1)
            guard let bytes = evbuffer_pullup(input, length) else { return }
            // The parser is stateless: a head can only complete on a new line, so bytes without
            // one (a client trickling a byte at a time) are not worth a re-parse from byte 0.
            if incompleteHeadLength > 0, length >= incompleteHeadLength, length <= worker.runtime.parserLimits.maxHeadBytes,
               memchr(bytes + incompleteHeadLength, 0x0A, length - incompleteHeadLength) == nil {
                incompleteHeadLength = length
                return
            }
            switch worker.requestParser.parse(UnsafeRawBufferPointer(start: bytes, count: length), into: &head) {
            case .incomplete:
                incompleteHeadLength = length
                if timerIsIdle {
                    // Part of a keep-alive request: the head deadline starts now. (A head that
                    // arrives whole, the usual case, never re-arms the timer.)
                    timerIsIdle = false
                    timer.schedule(after: worker.runtime.configuration.timeouts.header)
                }
                return
            case .failure(let error):
                sendProtocolError(status: error.status, rule: "\(error.reason)", reason: error.description)
                return
            case .complete(let headLength):
                incompleteHeadLength = 0
                evbuffer_drain(input, headLength)
                timer.cancel()
                startExchange()
            }
        }
    }

    /// Answers a request the gateway could not parse, and closes: after a framing error the
    /// rest of the stream cannot be trusted.
    func sendProtocolError(status: Int, rule: String, reason: String, requestID clientRequestID: String? = nil) {
        timer.cancel()
        let requestID = clientRequestID ?? worker.requestIDs.make()
        recordProtocolError(status: status, requestID: requestID)
        var record = EventRecord(
            event: SecurityEvent(name: "protocol-violation", action: .blocked, severity: .medium,
                                 ruleID: "protocol.\(rule)", ruleName: reason, ruleCategory: "protocol",
                                 category: ["network", "web"], reason: "request rejected with \(status): \(reason)"),
            requestID: requestID, sourceIP: peer.ip.unmapped)
        record.locate(try? snapshot.runtime.geo?.lookup(peer.ip))
        worker.events.publish(record)
        write(response: .error(status, requestID: requestID, closeConnection: true), requestID: requestID,
              requestMethod: nil, keepAlive: false)
    }

    // MARK: Finishing

    /// Ends the current exchange: log phase, buffers recycled, then the next request or close.
    func finishExchange(keepAlive: Bool) {
        if let exchange {
            endExchange(exchange)
            swap(&head, &exchange.request)
            swap(&responseHead, &exchange.response)
            self.exchange = nil
        }
        head.reset()
        responseHead.reset()
        abandonUpstream()
        requestBody = .done
        requestBodyBytes = 0
        requestBodyPrepared = false
        bodyOverflow.removeAll()
        responseBody = .awaitingHead
        responseStarted = false
        responseComplete = false
        sentContinue = false
        upstreamReadPaused = false
        chunkedToClient = false
        discardingResponseBody = false
        pendingReplacement = nil
        connectAttempts = 0
        guard keepAlive, !isWindingDown else {
            closeWhenFlushed()
            return
        }
        phase = .awaitingHead
        filterIndex = 0
        timerIsIdle = true
        timer.schedule(after: worker.runtime.configuration.timeouts.idle)
        if clientReadPaused {
            clientReadPaused = false
            setReading(true)
        }
        if bodyTimeoutArmed { setClientBodyTimeout(false) }
        if evbuffer_get_length(input) > 0 { processHeads() }
        resumeReadsIfDrained()
    }

    /// The log phase, then the exchange's events go to the sinks.
    private func endExchange(_ exchange: Exchange) {
        exchange.resumeHandler = nil
        if let route = exchange.route {
            for filter in route.filters.reversed() { filter.onLog(exchange) }
        }
        recordExchange(exchange)
        for record in exchange.events { worker.events.publish(record) }
    }

    /// Arms or disarms the client read timeout that guards request bodies (the write timeout
    /// always guards sending).
    func setClientBodyTimeout(_ armed: Bool) {
        let timeouts = worker.runtime.configuration.timeouts
        bodyTimeoutArmed = armed
        if socketReadEvent != nil {
            if armed { bodyTimer.schedule(after: timeouts.body) } else { bodyTimer.cancel() }
            return
        }
        var body = timeval(duration: timeouts.body)
        var send = timeval(duration: timeouts.send)
        if armed {
            bufferevent_set_timeouts(bev, &body, &send)
        } else {
            bufferevent_set_timeouts(bev, nil, &send)
        }
    }

    /// Closes once everything queued has reached the client.
    func closeWhenFlushed() {
        phase = .closing
        timer.cancel()
        if evbuffer_get_length(output) == 0 { close() }
    }

    /// The gateway is draining: an idle keep-alive connection closes now, a busy one after its exchange.
    func drain() {
        if phase == .awaitingHead, evbuffer_get_length(input) == 0 { close() }
    }

    func close() {
        guard phase != .closed else { return }
        phase = .closed
        timer.cancel()
        bodyTimer.cancel()
        stopSocketReads()
        abandonUpstream()
        tunnel = nil
        if let exchange {
            endExchange(exchange)
            self.exchange = nil
        }
        bufferevent_free(bev)
        worker.connectionClosed(self)
        Unmanaged.passUnretained(self).release()
    }

    /// Drops the upstream connection mid-exchange: it cannot be reused.
    func abandonUpstream() {
        if let upstream {
            upstream.close()
            self.upstream = nil
        }
    }

    // MARK: Writing

    /// Queues bytes for the client, writing straight to the socket (or `SSL_write`, one TLS
    /// record) when nothing is queued: bufferevents arm and disarm EV_WRITE around every write,
    /// two epoll_ctl calls this skips.
    func writeToClient(_ bytes: UnsafeRawBufferPointer) {
        guard let ssl else {
            writeDirect(bytes, to: output, fd: fd)
            return
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        // Only up to one record: should SSL_write ask for a retry, the bufferevent retries with
        // the queued copy, which must then be at least as long as this attempt.
        if evbuffer_get_length(output) == 0, bytes.count <= DownstreamConnection.maxDirectTLSWrite {
            let written = SSL_write(ssl, base, Int32(bytes.count))
            if written > 0 {
                offset = Int(written)
            } else {
                ERR_clear_error()
            }
        }
        if offset < bytes.count { evbuffer_add(output, base + offset, bytes.count - offset) }
    }

    static let maxDirectTLSWrite = 16384

    /// OpenSSL's reason for a failed handshake, e.g. "no shared cipher", "unsupported protocol".
    private func tlsErrorReason() -> String {
        var code = bufferevent_get_openssl_error(bev)
        var last: UInt = 0
        while code != 0 {
            last = code
            code = bufferevent_get_openssl_error(bev)
        }
        guard last != 0, let reason = ERR_reason_error_string(last) else { return "connection closed during the handshake" }
        return String(cString: reason)
    }
}

/// Writes `bytes` to `fd` when given and `buffer` is empty, then queues whatever is left.
func writeDirect(_ bytes: UnsafeRawBufferPointer, to buffer: OpaquePointer, fd: Int32?) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    var offset = 0
    if let fd, evbuffer_get_length(buffer) == 0 {
        let sent = send(fd, base, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        // On EAGAIN or an error the bufferevent takes over and reports errors through its event callback.
        if sent > 0 { offset = sent }
    }
    if offset < bytes.count {
        evbuffer_add(buffer, base + offset, bytes.count - offset)
    }
}

private func clientRead(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<DownstreamConnection>.fromOpaque(arg!).takeUnretainedValue().readable()
}

private func clientWrite(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<DownstreamConnection>.fromOpaque(arg!).takeUnretainedValue().writable()
}

private func clientEvent(_ bev: OpaquePointer?, _ events: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<DownstreamConnection>.fromOpaque(arg!).takeUnretainedValue().event(events)
}
