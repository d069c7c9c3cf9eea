import CGatewayLibevent
import Glibc
import GatewayHTTP

/// What the metrics and the access log need about the current exchange, filled by one-line
/// hooks on the request path. Times are monotonic microseconds: the loop's cached clock is
/// coarse (4 ms steps here), too coarse for a latency histogram; a vDSO clock read costs tens
/// of nanoseconds, at most five per request.
struct ExchangeObservation {
    var startMicros: Int64 = 0
    /// The status of a local response (the gateway's or a filter's), after response filters.
    var localStatus = 0
    /// Index in the route's filters of the one that answered locally; -1 when none did.
    var blockedBy = -1
    /// Response body bytes: the local body, or the upstream body as relayed (or read and dropped).
    var bytesOut: Int64 = 0
    var upstreamTarget = -1
    /// When the last upstream connect started (-1: a pooled connection was reused).
    var connectStartMicros: Int64 = -1
    var connectMicros: Int64 = -1
    /// When the request was first handed to an upstream connection.
    var sentMicros: Int64 = -1
    var firstByteMicros: Int64 = -1
}

/// CLOCK_MONOTONIC in microseconds.
func monotonicMicros() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
}

extension EventLoop {
    /// The cached loop clock, wall time in milliseconds since the epoch (for log timestamps).
    var nowMilliseconds: Int64 {
        let time = now
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_usec) / 1000
    }
}

extension DownstreamConnection {
    // MARK: Hooks on the request path

    func observeExchangeStart() {
        observation = ExchangeObservation(startMicros: monotonicMicros())
    }

    func observeUpstream(target: Int, connecting: Bool) {
        let now = monotonicMicros()
        observation.upstreamTarget = target
        observation.connectStartMicros = connecting ? now : -1
        if observation.sentMicros < 0 { observation.sentMicros = now }
    }

    func observeUpstreamConnected() {
        if observation.connectStartMicros >= 0 { observation.connectMicros = monotonicMicros() - observation.connectStartMicros }
    }

    func observeFirstByte() {
        if observation.firstByteMicros < 0, observation.sentMicros >= 0 {
            observation.firstByteMicros = monotonicMicros() - observation.sentMicros
        }
    }

    /// An upstream connection event other than "connected": counts timeouts and failed connects.
    func observeUpstreamTrouble(_ events: Int32, connected: Bool, route: Route) {
        let slot = snapshot.upstreamSlots[route.upstream]
        if events & BEV_EVENT_TIMEOUT != 0 {
            worker.metrics.count(.timeout, upstreamSlot: slot)
        } else if !connected, events & (BEV_EVENT_ERROR | BEV_EVENT_EOF) != 0 {
            worker.metrics.count(.connectError, upstreamSlot: slot)
        }
    }

    func observeRetry(route: Route) {
        worker.metrics.count(.retry, upstreamSlot: snapshot.upstreamSlots[route.upstream])
    }

    func observeLocalResponse(status: Int, bodyBytes: Int) {
        observation.localStatus = status
        observation.bytesOut = Int64(bodyBytes)
    }

    // MARK: The end of an exchange

    /// Counts the finished exchange and writes its access log line.
    func recordExchange(_ exchange: Exchange) {
        let now = monotonicMicros()
        let duration = max(0, now - observation.startMicros)
        let status = exchange.isLocalResponse ? observation.localStatus : (responseStarted ? exchange.response.status : 0)
        let verdict: RequestVerdict = exchange.route == nil ? .rejected : observation.blockedBy >= 0 ? .blocked : .passed
        let routeSlot = exchange.route.map { snapshot.routeSlots[$0.index] } ?? 0
        worker.metrics.recordRequest(routeSlot: routeSlot, status: status, verdict: verdict, durationMicros: duration)
        if let accessLog = worker.accessLog {
            let line = accessLogLine(exchange, status: status, verdict: verdict, durationMicros: duration,
                                     includeQuery: accessLog.includeQuery)
            accessLog.append(line)
            worker.accessLogLine = line
        }
        observation.startMicros = 0
    }

    /// A request refused before it became an exchange (unparseable, too large, too slow).
    func recordProtocolError(status: Int, requestID: String) {
        let now = monotonicMicros()
        let duration = observation.startMicros > 0 ? now - observation.startMicros : 0
        worker.metrics.recordRequest(routeSlot: 0, status: status, verdict: .rejected, durationMicros: duration)
        if let accessLog = worker.accessLog {
            var line = beginAccessLogLine(requestID: requestID)
            line.appendField("status", status)
            line.appendField("duration_ms", milliseconds: duration)
            line.appendField("verdict", RequestVerdict.rejected.label)
            line.append(UInt8(ascii: "}"))
            accessLog.append(line)
            worker.accessLogLine = line
        }
        observation.startMicros = 0
    }

    /// Body bytes of the request read so far (decoded, for chunked ones).
    private var requestBodyBytesRead: Int64 {
        guard requestBodyPrepared, let exchange else { return 0 }
        switch exchange.request.framing {
        case .contentLength(let length):
            if case .contentLength(let remaining) = requestBody { return length - remaining }
            return length
        case .chunked:
            return requestBodyBytes
        default:
            return 0
        }
    }

    /// One JSON object: who, what, how it ended and how long it took. Never headers other than
    /// the request id, never bodies, and the query string only with `include_query`.
    private func accessLogLine(_ exchange: Exchange, status: Int, verdict: RequestVerdict, durationMicros: Int64,
                               includeQuery: Bool) -> [UInt8] {
        var line = beginAccessLogLine(requestID: exchange.requestID)
        line.appendKey("client_ip")
        line.append(UInt8(ascii: "\""))
        exchange.clientIP.write(into: &line)
        line.append(UInt8(ascii: "\""))
        line.appendField("client_ip_source", exchange.clientIPSource.rawValue)
        line.appendField("method", exchange.request.method.description)
        line.appendKey("path")
        if includeQuery {
            exchange.request.withTarget { line.appendQuoted($0) }
        } else {
            exchange.request.withPath { line.appendQuoted($0) }
        }
        line.appendField("status", status)
        line.appendField("bytes_in", Int(requestBodyBytesRead))
        line.appendField("bytes_out", Int(observation.bytesOut))
        line.appendField("duration_ms", milliseconds: durationMicros)
        if observation.connectMicros >= 0 { line.appendField("upstream_connect_ms", milliseconds: observation.connectMicros) }
        if observation.firstByteMicros >= 0 { line.appendField("upstream_first_byte_ms", milliseconds: observation.firstByteMicros) }
        line.appendField("listener", snapshot.runtime.listeners[listenerIndex].name)
        line.appendField("tls", isTLS)
        if let route = exchange.route {
            line.appendField("route", route.name)
            let upstream = snapshot.runtime.upstreams[route.upstream]
            line.appendField("upstream", upstream.name)
            if observation.upstreamTarget >= 0, observation.upstreamTarget < upstream.targets.count {
                line.appendField("upstream_target", upstream.targets[observation.upstreamTarget].address.description)
            }
            line.appendKey("filters")
            line.append(UInt8(ascii: "["))
            for (index, name) in route.filterNames.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                var name = name
                name.withUTF8 { line.appendQuoted(UnsafeRawBufferPointer($0)) }
            }
            line.append(UInt8(ascii: "]"))
        }
        line.appendField("verdict", verdict.label)
        if observation.blockedBy >= 0, let route = exchange.route, observation.blockedBy < route.filterNames.count {
            line.appendField("blocked_by", route.filterNames[observation.blockedBy])
        }
        line.append(UInt8(ascii: "}"))
        return line
    }

    private func beginAccessLogLine(requestID: String) -> [UInt8] {
        var line = worker.accessLogLine
        worker.accessLogLine = []  // unique: appends below do not copy
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: #"{"time":""#.utf8)
        EventSerializer.appendTimestamp(worker.loop.nowMilliseconds, to: &line)
        line.append(UInt8(ascii: "\""))
        line.appendField("request_id", requestID)
        return line
    }
}

extension [UInt8] {
    /// `,"key":` (or `"key":` first in the object).
    mutating func appendKey(_ key: StaticString) {
        if last != UInt8(ascii: "{") { append(UInt8(ascii: ",")) }
        append(UInt8(ascii: "\""))
        key.withUTF8Buffer { append(contentsOf: $0) }
        append(contentsOf: #"":"#.utf8)
    }

    mutating func appendQuoted(_ bytes: UnsafeRawBufferPointer) {
        _ = JSONWriter.appendQuoted(bytes.assumingMemoryBound(to: UInt8.self), limit: 2048, to: &self)
    }

    mutating func appendField(_ key: StaticString, _ value: String) {
        appendKey(key)
        var value = value
        value.withUTF8 { appendQuoted(UnsafeRawBufferPointer($0)) }
    }

    mutating func appendField(_ key: StaticString, _ value: Int) {
        appendKey(key)
        append(contentsOf: String(value).utf8)
    }

    mutating func appendField(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Microseconds as milliseconds with three decimals.
    mutating func appendField(_ key: StaticString, milliseconds micros: Int64) {
        appendKey(key)
        let (whole, fraction) = micros.quotientAndRemainder(dividingBy: 1000)
        append(contentsOf: String(whole).utf8)
        append(UInt8(ascii: "."))
        let digits = String(fraction)
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 3 - digits.count))
        append(contentsOf: digits.utf8)
    }
}
