import CGatewayLibevent
import Glibc
import GatewayHTTP
import GatewayNetwork

private let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

extension DownstreamConnection {
    // MARK: Request to the upstream

    /// The filters let the request through: rewrite its head for the upstream and send it.
    func forwardUpstream() {
        guard let exchange, let route = exchange.route else { return }
        phase = .proxying
        addForwardingHeaders(exchange)
        for filter in route.filters { filter.onUpstreamRequest(exchange) }
        if !requestBodyPrepared { prepareRequestBody() }
        if exchange.request.framing == .chunked { exchange.request.headers.add("Transfer-Encoding", "chunked") }
        connectAttempts = 0
        triedTargets = 0
        sendToUpstream()
    }

    /// Sets up reading the request body according to its framing.
    func prepareRequestBody() {
        guard let exchange else { return }
        requestBodyPrepared = true
        switch exchange.request.framing {
        case .contentLength(let length) where length > 0:
            requestBody = .contentLength(remaining: length)
        case .chunked:
            requestBody = .chunked
            requestDecoder.reset()
        default:
            requestBody = .done
        }
    }

    /// Answers Expect: 100-continue once the gateway is ready for the body.
    func sendContinueIfExpected() {
        guard let exchange, exchange.request.expectsContinue, !sentContinue, evbuffer_get_length(input) == 0 else { return }
        sentContinue = true
        continueResponse.withUnsafeBytes { writeToClient($0) }
    }

    /// Hop-by-hop headers out; X-Forwarded-*, X-Request-ID in. What the client claimed in
    /// X-Forwarded-For is kept only from trusted proxies, trimmed to start at the derived client.
    private func addForwardingHeaders(_ exchange: Exchange) {
        var headers = exchange.request.headers
        exchange.request.headers = HTTPHeaders()  // unique ownership: edits below do not copy
        let host = headers.first("Host")
        if host == nil, let route = exchange.route {
            // HTTP/1.0 clients may omit Host; the upstream request is HTTP/1.1 and needs one.
            let upstream = snapshot.runtime.upstreams[route.upstream]
            headers.add("Host", upstream.targets[0].address.description)
        }
        // An upgrade (WebSocket) travels on: Connection and Upgrade are hop-by-hop, so they are
        // set again after the removal. Only for bodiless HTTP/1.1 requests: the tunnel starts
        // right after the head.
        let upgrade = exchange.request.isUpgrade && exchange.request.version == .http11 && exchange.request.framing == .none
            ? headers.first("Upgrade") : nil
        headers.removeHopByHop()
        if let upgrade {
            headers.add("Connection", "upgrade")
            headers.add("Upgrade", upgrade)
        }
        headers.remove("Expect")  // the gateway answers 100-continue itself
        var forwardedFor = ""
        if exchange.clientIPSource == .forwardedFor {
            // Entries from the derived client rightwards: what the trusted chain vouches for.
            let chain = headers.all("X-Forwarded-For").flatMap { $0.split(separator: ",").map { $0.trimmingSpaces } }
            if let start = chain.lastIndex(where: { IPAddress(String($0))?.unmapped == exchange.clientIP }) {
                forwardedFor = chain[start...].joined(separator: ", ") + ", "
            }
        }
        forwardedFor += exchange.peer.ip.unmapped.description
        headers.set("X-Forwarded-For", forwardedFor)
        headers.set("X-Forwarded-Proto", exchange.isHTTPS ? "https" : "http")
        if let host { headers.set("X-Forwarded-Host", host) }
        headers.set("X-Request-ID", exchange.requestID)
        exchange.request.headers = headers
    }

    /// Picks a connection (a target by the balancer, then an idle connection to it or a new one)
    /// and writes the request head, then whatever body has arrived.
    func sendToUpstream() {
        guard let exchange, let route = exchange.route else { return }
        let pool = snapshot.pools[route.upstream]
        guard let target = pool.pickTarget(excluding: triedTargets) else {
            failUpstream(status: 502)
            return
        }
        let connection: UpstreamConnection
        if let idle = pool.takeIdle(target: target) {
            connection = idle
            observeUpstream(target: target, connecting: false)
        } else {
            observeUpstream(target: target, connecting: true)
            connectAttempts += 1
            guard let fresh = pool.connect(target: target) else {
                failUpstream(status: 502)
                return
            }
            connection = fresh
        }
        connection.attach(to: self)
        upstream = connection
        responseBody = .awaitingHead
        if connection.isConnected { armResponseTimeout(connection) }
        bufferevent_setwatermark(connection.bev, Int16(EV_WRITE), DownstreamConnection.outputLowWater, 0)

        worker.scratch.removeAll(keepingCapacity: true)
        exchange.request.serialize(into: &worker.scratch)
        if exchange.requestBody.isEmpty, case .contentLength(let remaining) = requestBody {
            // The start of a small body that already arrived rides along with the head.
            let take = Int(min(Int64(evbuffer_get_length(input)), remaining, 65536))
            if take > 0, let bytes = evbuffer_pullup(input, take) {
                worker.scratch.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: take))
                evbuffer_drain(input, take)
                requestBody = Int64(take) == remaining ? .done : .contentLength(remaining: remaining - Int64(take))
            }
        }
        worker.scratch.withUnsafeBytes { writeDirect($0, to: connection.output, fd: connection.directFD) }
        if !exchange.requestBody.isEmpty { sendBufferedBody(exchange, to: connection.output) }

        if case .done = requestBody { return }
        setClientBodyTimeout(true)
        sendContinueIfExpected()
        forwardRequestBody()
    }

    private func armResponseTimeout(_ connection: UpstreamConnection) {
        connection.setTimeouts(read: worker.runtime.configuration.timeouts.upstreamResponse,
                               write: worker.runtime.configuration.timeouts.send)
    }

    /// Moves request body bytes from the client to the upstream, re-framing chunked bodies.
    func forwardRequestBody() {
        guard let upstream else { return }
        defer { resumeReadsIfDrained() }
        switch requestBody {
        case .done:
            return
        case .contentLength(let remaining):
            let moved = min(Int64(evbuffer_get_length(input)), remaining)
            if moved > 0 { moveClientBytes(Int(moved), to: upstream) }
            requestBody = remaining == moved ? .done : .contentLength(remaining: remaining - moved)
        case .chunked:
            let available = evbuffer_get_length(input)
            guard available > 0, let bytes = evbuffer_pullup(input, available) else { return }
            let limit = Int64(worker.runtime.configuration.limits.maxBodyBytes)
            let out = upstream.output
            do {
                let consumed = try requestDecoder.decode(UnsafeRawBufferPointer(start: bytes, count: available)) { data in
                    requestBodyBytes += Int64(data.count)
                    guard requestBodyBytes <= limit else { throw BodyTooLarge() }
                    writeChunk(data, to: out)
                }
                evbuffer_drain(input, consumed)
            } catch is BodyTooLarge {
                rejectRequestBody(status: 413)
                return
            } catch {
                rejectRequestBody(status: 400)
                return
            }
            if requestDecoder.isDone {
                ChunkedEncoder.lastChunk.withUnsafeBytes { _ = evbuffer_add(out, $0.baseAddress, $0.count) }
                requestBody = .done
            }
        }
        if case .done = requestBody {
            setClientBodyTimeout(false)
            if responseComplete {
                finishAfterRequestBody()
                return
            }
        } else if evbuffer_get_length(upstream.output) > DownstreamConnection.outputHighWater {
            clientReadPaused = true
            setReading(false)
        }
    }

    /// Moves `count` bytes of the client's input to the upstream: straight from the client's
    /// buffer to the socket when nothing is queued (no copy, and no EV_WRITE arming when it all
    /// goes at once), else onto the upstream's output.
    func moveClientBytes(_ count: Int, to upstream: UpstreamConnection) {
        var rest = count
        if let fd = upstream.directFD, evbuffer_get_length(upstream.output) == 0 {
            rest -= max(Int(evbuffer_write_atmost(input, fd, rest)), 0)
        }
        if rest > 0 { evbuffer_remove_buffer(input, upstream.output, rest) }
    }

    /// The body broke its framing or limit: answer if nothing was sent yet, else just close.
    private func rejectRequestBody(status: Int) {
        abandonUpstream()
        if responseStarted {
            close()
        } else {
            sendLocal(.error(status, requestID: exchange?.requestID ?? "", closeConnection: true))
        }
    }

    func upstreamWritable() {
        if phase == .tunneling {
            tunnelUpstreamWritable()
            return
        }
        guard clientReadPaused, let upstream, evbuffer_get_length(upstream.output) <= DownstreamConnection.outputLowWater else { return }
        clientReadPaused = false
        if !inputFull { setReading(true) }
        forwardRequestBody()
    }

    // MARK: Upstream events

    func upstreamEvent(_ events: Int16) {
        guard let upstream, let exchange else { return }
        if phase == .tunneling {
            tunnelUpstreamEvent(events)
            return
        }
        let events = Int32(events)
        if events & BEV_EVENT_CONNECTED != 0 {
            observeUpstreamConnected()
            armResponseTimeout(upstream)
            return
        }
        if let route = exchange.route { observeUpstreamTrouble(events, connected: upstream.isConnected, route: route) }
        let timedOut = events & BEV_EVENT_TIMEOUT != 0
        var awaitingHead = false
        if case .awaitingHead = responseBody, !responseStarted { awaitingHead = true }
        let nothingBack = awaitingHead && evbuffer_get_length(upstream.input) == 0
        // A reused connection the upstream closed while it was idle: the keep-alive race, not a failure.
        let staleReuse = nothingBack && upstream.exchanges > 0 && !timedOut
        var failureReason: String?
        if awaitingHead, !staleReuse {
            upstream.pool.recordFailure(upstream.target)
            if upstream.isTLS, !upstream.isConnected, !timedOut { failureReason = upstream.tlsFailureReason() }
        }
        if nothingBack, case .done = requestBody, exchange.request.method.isIdempotent, exchange.request.framing == .none {
            // Nothing came back: retry a failed connect, or a fresh connection closed without an
            // answer, on another target; a stale reused connection on a fresh one.
            let targets = upstream.pool.upstream.targets.count
            let failedFresh = connectAttempts < targets && (!upstream.isConnected || !timedOut)
            if staleReuse || failedFresh {
                if !staleReuse, upstream.target < 64 { triedTargets |= 1 << UInt64(upstream.target) }
                observeRetry(route: exchange.route!)
                abandonUpstream()
                sendToUpstream()
                return
            }
        }
        if case .untilClose = responseBody, events & BEV_EVENT_EOF != 0 {
            forwardResponseBody()
            if chunkedToClient { ChunkedEncoder.lastChunk.withUnsafeBytes { writeToClient($0) } }
            upstreamReusable = false
            completeResponse()
            return
        }
        if !responseStarted {
            failUpstream(status: timedOut ? 504 : 502, reason: failureReason)
        } else if discardingResponseBody {
            // The client gets the whole replacement; the upstream's broken body was never its.
            upstreamReusable = false
            completeResponse()
        } else {
            close()  // mid-body failure: closing is the only way to tell the client
        }
    }

    /// Answers 502/504 with an `upstream-failure` event; `reason` (a TLS handshake error) goes into it.
    func failUpstream(status: Int, reason: String? = nil) {
        abandonUpstream()
        if let exchange, let route = exchange.route {
            let upstreamName = snapshot.runtime.upstreams[route.upstream].name
            var details = ["upstream": upstreamName]
            if let reason { details["tls_error"] = reason }
            exchange.emit(SecurityEvent(
                name: "upstream-failure", action: .flagged, severity: .low, ruleID: "upstream.\(status)",
                ruleName: status == 504 ? "upstream timed out" : "upstream unreachable or invalid", ruleCategory: "availability",
                category: ["web"], type: ["error"], kind: "event",
                reason: "answered \(status): upstream '\(upstreamName)' failed" + (reason.map { " (\($0))" } ?? ""),
                details: details))
        }
        sendLocal(.error(status, requestID: exchange?.requestID ?? ""))
    }

    // MARK: Response from the upstream

    func upstreamReadable() {
        guard let upstream, let exchange else { return }
        if phase == .tunneling {
            tunnelFromUpstream()
            return
        }
        if responseComplete {
            // Bytes after a complete response: the connection cannot be trusted for reuse.
            upstreamReusable = false
            evbuffer_drain(upstream.input, evbuffer_get_length(upstream.input))
            return
        }
        if case .awaitingHead = responseBody {
            observeFirstByte()
            while true {
                let available = evbuffer_get_length(upstream.input)
                guard available > 0 else { return }
                let length = min(available, worker.runtime.parserLimits.maxHeadBytes + 1)
                guard let bytes = evbuffer_pullup(upstream.input, length) else { return }
                let result = worker.responseParser.parse(
                    UnsafeRawBufferPointer(start: bytes, count: length), requestMethod: exchange.request.method,
                    into: &exchange.response)
                switch result {
                case .incomplete:
                    return
                case .failure:
                    upstream.pool.recordFailure(upstream.target)
                    failUpstream(status: 502)
                    return
                case .complete(let headLength):
                    evbuffer_drain(upstream.input, headLength)
                }
                let status = exchange.response.status
                if status == 101 {
                    // Only an upgrade the gateway forwarded may be accepted.
                    guard exchange.request.headers.contains("Upgrade") else {
                        upstream.pool.recordFailure(upstream.target)
                        failUpstream(status: 502)
                        return
                    }
                    upstream.pool.recordResponse(upstream.target, status: status)
                    startTunnel(exchange)
                    return
                }
                if status >= 200 { break }
                exchange.response.reset()  // interim 1xx: the gateway already handled Expect
            }
            upstream.pool.recordResponse(upstream.target, status: exchange.response.status)
            startResponse(exchange)
        }
        forwardResponseBody()
    }

    /// Re-frames the upstream head for the client, runs response filters and sends it, with
    /// the first body bytes in the same write (one TLS record for small responses).
    private func startResponse(_ exchange: Exchange) {
        let clientHTTP11 = exchange.request.version == .http11
        var bodyInFlight = false
        if case .done = requestBody {} else { bodyInFlight = true }
        upstreamReusable = exchange.response.keepAlive
        // An upstream may answer before it read the whole body (nginx's `return` does). If it keeps
        // the connection, it reads and drops the rest, which the gateway goes on forwarding; if
        // not, the rest of the body has nowhere to go and the client connection must close.
        keepAliveAfterResponse = exchange.request.keepAlive && !isWindingDown && (!bodyInFlight || upstreamReusable)
        chunkedToClient = false
        exchange.response.headers.removeHopByHop()
        switch exchange.response.framing {
        case .none:
            responseBody = .none
        case .contentLength(let length):
            responseBody = exchange.request.method == .head ? .none : .contentLength(remaining: length)
        case .chunked, .untilClose:
            responseBody = exchange.response.framing == .chunked ? .chunked : .untilClose
            responseDecoder.reset()
            if clientHTTP11 {
                chunkedToClient = true
                exchange.response.headers.add("Transfer-Encoding", "chunked")
            } else {
                keepAliveAfterResponse = false
            }
        }
        exchange.response.headers.set("X-Request-ID", exchange.requestID)
        if !keepAliveAfterResponse {
            exchange.response.headers.set("Connection", "close")
        } else if !clientHTTP11 {
            exchange.response.headers.set("Connection", "keep-alive")
        }
        if let route = exchange.route {
            if route.authFailureStatuses.contains(exchange.response.status) { emitAuthFailure(exchange, route: route) }
            for filter in route.filters.reversed() { filter.onResponseHead(exchange) }
        }
        worker.scratch.removeAll(keepingCapacity: true)
        if let replacement = exchange.replacementBody {
            // The upstream body is read and dropped (its start kept for the log phase); the
            // client gets the replacement with its own length.
            discardingResponseBody = true
            chunkedToClient = false
            for name in DownstreamConnection.upstreamBodyHeaders { exchange.response.headers.remove(name) }
            exchange.response.headers.set("Content-Type", replacement.contentType)
            exchange.response.headers.set("Content-Length", String(replacement.body.count))
            exchange.response.serialize(into: &worker.scratch)
            if exchange.request.method != .head { worker.scratch.append(contentsOf: replacement.body) }
        } else {
            exchange.response.serialize(into: &worker.scratch)
        }
        var bodyNow = 0
        if !discardingResponseBody, case .contentLength(let remaining) = responseBody, let upstream {
            bodyNow = Int(min(Int64(evbuffer_get_length(upstream.input)), remaining))
            observation.bytesOut += Int64(bodyNow)
            responseBody = .contentLength(remaining: remaining - Int64(bodyNow))
        }
        if bodyNow > 0, let upstream {
            writeScratchHead(withBodyFrom: upstream.input, count: bodyNow)
        } else if discardingResponseBody, exchange.capturedBodyLimit > 0, !isEmpty(responseBody) {
            pendingReplacement = worker.scratch
        } else {
            worker.scratch.withUnsafeBytes { writeToClient($0) }
        }
        responseStarted = true
    }

    private func isEmpty(_ body: ResponseBody) -> Bool {
        if case .none = body { return true }
        if case .contentLength(let n) = body { return n == 0 }
        return false
    }

    /// Sends the replacement held back for the capture.
    private func flushPendingReplacement() {
        guard let pending = pendingReplacement else { return }
        pendingReplacement = nil
        pending.withUnsafeBytes { writeToClient($0) }
    }

    /// Headers that describe the upstream body and are wrong for a replacement: framing, an
    /// encoding it does not have, a download prompt, validators of other content.
    static let upstreamBodyHeaders = ["Transfer-Encoding", "Content-Encoding", "Content-Language", "Content-Location",
                                      "Content-Disposition", "Content-Range", "ETag", "Last-Modified"]

    /// Sends the head serialized in the worker's scratch buffer plus the first `count` body
    /// bytes of `body` in one go: one writev over plain TCP (no copy), one TLS record for small
    /// responses.
    private func writeScratchHead(withBodyFrom body: OpaquePointer, count: Int) {
        if isTLS {
            if worker.scratch.count + count <= DownstreamConnection.maxDirectTLSWrite, let bytes = evbuffer_pullup(body, count) {
                worker.scratch.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count))
                evbuffer_drain(body, count)
                worker.scratch.withUnsafeBytes { writeToClient($0) }
            } else {
                worker.scratch.withUnsafeBytes { writeToClient($0) }
                evbuffer_remove_buffer(body, output, count)
            }
            return
        }
        let headCount = worker.scratch.count
        var written = 0
        if evbuffer_get_length(output) == 0 {
            let sent: Int = worker.scratch.withUnsafeBytes { headBytes in
                withUnsafeTemporaryAllocation(of: iovec.self, capacity: 9) { vectors in
                    vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress), iov_len: headBytes.count)
                    // Beyond 8 segments the rest is queued below.
                    let segments = min(Int(evbuffer_peek(body, count, nil, vectors.baseAddress! + 1, 8)), 8)
                    return writev(fd, vectors.baseAddress!, Int32(1 + segments))
                }
            }
            written = max(sent, 0)
        }
        if written < headCount {
            worker.scratch.withUnsafeBytes { _ = evbuffer_add(output, $0.baseAddress! + written, headCount - written) }
            evbuffer_remove_buffer(body, output, count)
        } else {
            let bodyWritten = min(written - headCount, count)
            evbuffer_drain(body, bodyWritten)
            if bodyWritten < count { evbuffer_remove_buffer(body, output, count - bodyWritten) }
        }
    }

    /// Moves response body bytes to the client, with backpressure; completes the exchange at the end of the body.
    func forwardResponseBody() {
        guard let upstream else { return }
        let input = upstream.input
        switch responseBody {
        case .awaitingHead:
            return
        case .none:
            completeResponse()
            return
        case .contentLength(let remaining):
            let moved = min(Int64(evbuffer_get_length(input)), remaining)
            if moved > 0 { moveResponseBytes(from: input, count: Int(moved), chunked: false) }
            if moved == remaining {
                completeResponse()
                return
            }
            responseBody = .contentLength(remaining: remaining - moved)
        case .chunked:
            let available = evbuffer_get_length(input)
            guard available > 0, let bytes = evbuffer_pullup(input, available) else { return }
            do {
                let consumed = try responseDecoder.decode(UnsafeRawBufferPointer(start: bytes, count: available)) { data in
                    deliverResponseData(data)
                }
                evbuffer_drain(input, consumed)
            } catch {
                close()  // a broken upstream body cannot be repaired mid-stream
                return
            }
            if responseDecoder.isDone {
                if chunkedToClient { ChunkedEncoder.lastChunk.withUnsafeBytes { _ = evbuffer_add(output, $0.baseAddress, $0.count) } }
                completeResponse()
                return
            }
        case .untilClose:
            let available = evbuffer_get_length(input)
            guard available > 0 else { return }
            moveResponseBytes(from: input, count: available, chunked: chunkedToClient)
        }
        if evbuffer_get_length(output) > DownstreamConnection.outputHighWater {
            upstreamReadPaused = true
            upstream.setReading(false)
        }
    }

    /// Moves `count` raw body bytes from the upstream to the client (as one chunk when
    /// `chunked`), or into the capture when the body is being replaced.
    private func moveResponseBytes(from input: OpaquePointer, count: Int, chunked: Bool) {
        observation.bytesOut += Int64(count)
        if discardingResponseBody {
            if let bytes = evbuffer_pullup(input, count) { capture(UnsafeRawBufferPointer(start: bytes, count: count)) }
            evbuffer_drain(input, count)
        } else if chunked {
            var header: [UInt8] = []
            ChunkedEncoder.writeChunkHeader(size: count, into: &header)
            header.withUnsafeBytes { _ = evbuffer_add(output, $0.baseAddress, $0.count) }
            evbuffer_remove_buffer(input, output, count)
            ChunkedEncoder.chunkTrailer.withUnsafeBytes { _ = evbuffer_add(output, $0.baseAddress, $0.count) }
        } else {
            evbuffer_remove_buffer(input, output, count)
        }
    }

    /// Decoded body data: to the client (re-chunked for HTTP/1.1) or into the capture.
    private func deliverResponseData(_ data: UnsafeRawBufferPointer) {
        observation.bytesOut += Int64(data.count)
        if discardingResponseBody {
            capture(data)
        } else if chunkedToClient {
            writeChunk(data, to: output)
        } else {
            evbuffer_add(output, data.baseAddress, data.count)
        }
    }

    private func capture(_ data: UnsafeRawBufferPointer) {
        guard let exchange else { return }
        let room = exchange.capturedBodyLimit - exchange.capturedResponseBody.count
        if room > 0 { exchange.capturedResponseBody.append(contentsOf: data.prefix(room)) }
        if data.count >= room { flushPendingReplacement() }
    }

    /// The response body is complete: recycle the upstream connection when it is clean. A
    /// request body still arriving is forwarded to its end first (see ``startResponse``).
    private func completeResponse() {
        flushPendingReplacement()
        responseComplete = true
        var requestDone = false
        if case .done = requestBody { requestDone = true }
        if !requestDone, upstreamReusable, keepAliveAfterResponse {
            return  // forwardRequestBody calls finishAfterRequestBody() at the end of the body
        }
        if let upstream, upstreamReusable, requestDone, evbuffer_get_length(upstream.input) == 0 {
            upstream.exchanges += 1
            self.upstream = nil
            upstream.pool.release(upstream)
        }
        finishExchange(keepAlive: keepAliveAfterResponse && requestDone)
    }

    /// The request body ended after the response did.
    func finishAfterRequestBody() {
        guard responseComplete else { return }
        completeResponse()
    }
}



/// Frames `data` as one chunk.
func writeChunk(_ data: UnsafeRawBufferPointer, to buffer: OpaquePointer) {
    guard data.count > 0 else { return }
    var header: [UInt8] = []
    header.reserveCapacity(18)
    ChunkedEncoder.writeChunkHeader(size: data.count, into: &header)
    header.withUnsafeBytes { _ = evbuffer_add(buffer, $0.baseAddress, $0.count) }
    evbuffer_add(buffer, data.baseAddress, data.count)
    ChunkedEncoder.chunkTrailer.withUnsafeBytes { _ = evbuffer_add(buffer, $0.baseAddress, $0.count) }
}
