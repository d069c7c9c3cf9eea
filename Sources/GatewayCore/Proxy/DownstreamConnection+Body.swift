import CGatewayLibevent
import GatewayHTTP

extension DownstreamConnection {
    /// Reads up to `limit` body bytes into the exchange for the filters that inspect bodies;
    /// the upstream sees nothing until they proceed.
    func startBodyBuffering(limit: Int) {
        guard let exchange else { return }
        phase = .bufferingBody
        prepareRequestBody()
        exchange.requestBody.reserveCapacity(min(limit, 64 * 1024))
        setClientBodyTimeout(true)
        sendContinueIfExpected()
        bufferRequestBody()
    }

    /// Moves body bytes from the client into ``Exchange/requestBody`` until the body ends or
    /// the limit is reached, then runs the body filters.
    func bufferRequestBody() {
        guard let exchange else { return }
        defer { resumeReadsIfDrained() }
        let limit = exchange.requestBodyLimit
        switch requestBody {
        case .done:
            break
        case .contentLength(let remaining):
            let take = Int(min(Int64(evbuffer_get_length(input)), remaining, Int64(limit - exchange.requestBody.count)))
            if take > 0, let bytes = evbuffer_pullup(input, take) {
                exchange.requestBody.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: take))
                evbuffer_drain(input, take)
            }
            requestBody = Int64(take) == remaining ? .done : .contentLength(remaining: remaining - Int64(take))
        case .chunked:
            let available = evbuffer_get_length(input)
            guard available > 0, let bytes = evbuffer_pullup(input, available) else { return }
            let maxBody = Int64(worker.runtime.configuration.limits.maxBodyBytes)
            do {
                let consumed = try requestDecoder.decode(UnsafeRawBufferPointer(start: bytes, count: available)) { data in
                    requestBodyBytes += Int64(data.count)
                    guard requestBodyBytes <= maxBody else { throw BodyTooLarge() }
                    let room = limit - exchange.requestBody.count
                    exchange.requestBody.append(contentsOf: data.prefix(room))
                    if data.count > room { bodyOverflow.append(contentsOf: data.dropFirst(room)) }
                }
                evbuffer_drain(input, consumed)
            } catch is BodyTooLarge {
                sendLocal(.error(413, requestID: exchange.requestID, closeConnection: true))
                return
            } catch {
                sendLocal(.error(400, requestID: exchange.requestID, closeConnection: true))
                return
            }
            if requestDecoder.isDone { requestBody = .done }
        }
        var complete = false
        if case .done = requestBody { complete = true }
        guard complete || exchange.requestBody.count >= limit else { return }
        // Decoded bytes past the limit are not in requestBody: then it is not the whole body.
        exchange.isRequestBodyComplete = complete && bodyOverflow.isEmpty
        setClientBodyTimeout(false)
        phase = .filtering
        filterIndex = 0
        runRequestFilters(.body)
    }

    /// The buffered body start goes upstream first, in the request's framing.
    func sendBufferedBody(_ exchange: Exchange, to output: OpaquePointer) {
        if exchange.request.framing == .chunked {
            exchange.requestBody.withUnsafeBytes { writeChunk($0, to: output) }
            bodyOverflow.withUnsafeBytes { writeChunk($0, to: output) }
            if case .done = requestBody {
                ChunkedEncoder.lastChunk.withUnsafeBytes { _ = evbuffer_add(output, $0.baseAddress, $0.count) }
            }
        } else {
            exchange.requestBody.withUnsafeBytes { _ = evbuffer_add(output, $0.baseAddress, $0.count) }
        }
    }
}

struct BodyTooLarge: Error {}
