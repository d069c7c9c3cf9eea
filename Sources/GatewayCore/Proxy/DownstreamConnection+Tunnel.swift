import CGatewayLibevent
import Glibc
import GatewayHTTP

/// What a tunnel needs beyond the connection's own state: which side has finished sending,
/// and the idle deadline.
final class Tunnel {
    /// The client sent EOF; the upstream's write side closes once its output is flushed.
    var clientDone = false
    var upstreamDone = false
    /// Loop time (ms) of the last byte either way.
    var lastActivity: Int = 0
    let timer: LoopTimer
    let idleTimeout: Duration

    init(timer: LoopTimer, idleTimeout: Duration) {
        self.timer = timer
        self.idleTimeout = idleTimeout
    }
}

/// After the upstream answered 101 to an upgrade (WebSocket): the response head goes to the
/// client, then bytes are spliced both ways with the same backpressure as bodies, until both
/// sides have closed or the tunnel has been idle for `timeouts.tunnel_idle`.
///
/// Half-close: when one side sends EOF, the other side's write half is shut down once what it
/// was sent is flushed, and the other direction keeps flowing; a TLS side cannot be half-closed
/// and closes the tunnel instead. The upstream connection is never pooled again.
extension DownstreamConnection {
    func startTunnel(_ exchange: Exchange) {
        guard let upstream else { return }
        phase = .tunneling
        let upgrade = exchange.response.headers.first("Upgrade")
        exchange.response.headers.removeHopByHop()
        exchange.response.headers.add("Connection", "upgrade")
        if let upgrade { exchange.response.headers.add("Upgrade", upgrade) }
        exchange.response.headers.set("X-Request-ID", exchange.requestID)
        if let route = exchange.route {
            for filter in route.filters.reversed() { filter.onResponseHead(exchange) }
        }
        worker.scratch.removeAll(keepingCapacity: true)
        exchange.response.serialize(into: &worker.scratch)
        worker.scratch.withUnsafeBytes { writeToClient($0) }
        responseStarted = true
        // Upstream bytes now go to the client as they are (forwardResponseBody's raw path).
        responseBody = .untilClose
        chunkedToClient = false
        upstreamReadPaused = false
        // Reads may be quiet for as long as the tunnel's idle timeout; writes keep the send timeout.
        upstream.setTimeouts(read: nil, write: worker.runtime.configuration.timeouts.send)
        let tunnel = Tunnel(timer: LoopTimer(loop: worker.loop) { [unowned(unsafe) self] in self.tunnelIdleCheck() },
                            idleTimeout: worker.runtime.configuration.timeouts.tunnelIdle)
        self.tunnel = tunnel
        tunnel.lastActivity = loopMilliseconds
        tunnel.timer.schedule(after: tunnel.idleTimeout)
        // Bytes that arrived early either way (after the request head, after the 101 head).
        tunnelFromClient()
        if phase == .tunneling { tunnelFromUpstream() }
    }

    /// The loop's cached clock (no syscall), in milliseconds.
    private var loopMilliseconds: Int {
        let now = worker.loop.now
        return now.tv_sec * 1000 + now.tv_usec / 1000
    }

    private func tunnelIdleCheck() {
        guard let tunnel, phase == .tunneling else { return }
        let idle = loopMilliseconds - tunnel.lastActivity
        let limit = Int(tunnel.idleTimeout.milliseconds)
        if idle >= limit {
            close()
        } else {
            tunnel.timer.schedule(after: .milliseconds(limit - idle))
        }
    }

    /// Client bytes to the upstream; reading pauses while the upstream's output is full.
    func tunnelFromClient() {
        guard let tunnel, let upstream, !tunnel.clientDone else { return }
        let available = evbuffer_get_length(input)
        guard available > 0 else { return }
        tunnel.lastActivity = loopMilliseconds
        moveClientBytes(available, to: upstream)
        if evbuffer_get_length(upstream.output) > DownstreamConnection.outputHighWater {
            clientReadPaused = true
            setReading(false)
        }
    }

    /// Upstream bytes to the client, with backpressure (see ``forwardResponseBody()``).
    func tunnelFromUpstream() {
        guard let tunnel, !tunnel.upstreamDone else { return }
        tunnel.lastActivity = loopMilliseconds
        forwardResponseBody()
    }

    func tunnelUpstreamWritable() {
        guard let tunnel, let upstream else { return }
        if tunnel.clientDone {
            if evbuffer_get_length(upstream.output) == 0 { closeUpstreamWrite() }
        } else if clientReadPaused, evbuffer_get_length(upstream.output) <= DownstreamConnection.outputLowWater {
            clientReadPaused = false
            if !inputFull { setReading(true) }
            tunnelFromClient()
        }
    }

    /// The client's output drained (or shrank); true when the tunnel closed.
    func tunnelClientFlushed() -> Bool {
        guard let tunnel, tunnel.upstreamDone, evbuffer_get_length(output) == 0 else { return false }
        closeClientWrite()
        return phase == .closed
    }

    func tunnelClientEvent(_ events: Int16) {
        guard let tunnel, let upstream, Int32(events) & BEV_EVENT_EOF != 0, !tunnel.clientDone else {
            close()  // an error, the send timeout, or a second EOF
            return
        }
        tunnelFromClient()
        tunnel.clientDone = true
        setReading(false)
        if evbuffer_get_length(upstream.output) == 0 { closeUpstreamWrite() }
    }

    func tunnelUpstreamEvent(_ events: Int16) {
        guard let tunnel, let upstream, Int32(events) & BEV_EVENT_EOF != 0, !tunnel.upstreamDone else {
            close()
            return
        }
        tunnelFromUpstream()
        tunnel.upstreamDone = true
        upstreamReadPaused = false
        upstream.setReading(false)
        if evbuffer_get_length(output) == 0 { closeClientWrite() }
    }

    /// Everything the client sent has reached the upstream.
    private func closeUpstreamWrite() {
        guard let tunnel, let upstream else { return }
        if tunnel.upstreamDone || upstream.isTLS {
            close()
        } else {
            shutdown(bufferevent_getfd(upstream.bev), Int32(SHUT_WR))
        }
    }

    /// Everything the upstream sent has reached the client.
    private func closeClientWrite() {
        guard let tunnel else { return }
        if tunnel.clientDone || isTLS {
            close()
        } else {
            shutdown(fd, Int32(SHUT_WR))
        }
    }
}
