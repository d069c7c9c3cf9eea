import CGatewayLibevent
import Glibc
import GatewayHTTP
import GatewayNetwork

/// One worker thread: an event loop with its own listeners (SO_REUSEPORT), connections,
/// upstream keep-alive pools and scratch buffers. Nothing here is shared with other workers.
final class Worker: @unchecked Sendable {
    let index: Int
    let loop: EventLoop
    private(set) var runtime: RuntimeConfig
    private var listeners: [ListenerContext] = []
    private(set) var pools: [UpstreamPool] = []
    private var draining = false
    private var onIdle: (() -> Void)?
    let requestIDs = RequestIDGenerator()
    private var handshakeFailures = TLSHandshakeFailures()
    /// Made on the first failure; dropped before the loop stops (a timer must not outlive its loop).
    private var handshakeFailureTimer: LoopTimer?
    let events: any EventPublisher
    /// Serialization buffer reused by every connection of this worker (single-threaded, used synchronously).
    var scratch: [UInt8] = []
    let requestParser: HTTPRequestParser
    let responseParser: HTTPResponseParser

    init(index: Int, loop: EventLoop, runtime: RuntimeConfig, events: any EventPublisher) {
        self.index = index
        self.events = events
        self.loop = loop
        self.runtime = runtime
        self.requestParser = HTTPRequestParser(limits: runtime.parserLimits)
        // Upstream heads get the same bounds as client heads.
        self.responseParser = HTTPResponseParser(limits: runtime.parserLimits)
        scratch.reserveCapacity(16384)
        pools = runtime.upstreams.enumerated().map {
            UpstreamPool(worker: self, upstream: $0.element, index: $0.offset, healthReports: runtime.upstreamHealth)
        }
    }

    /// Starts accepting on already-bound sockets, one per listener of the runtime config.
    func startListening(fds: [Int32]) {
        for (listenerIndex, fd) in fds.enumerated() {
            let context = ListenerContext(worker: self, listenerIndex: listenerIndex, tls: runtime.listeners[listenerIndex].tls)
            let flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC
            context.listener = evconnlistener_new(
                loop.base, acceptConnection, Unmanaged.passUnretained(context).toOpaque(), flags, 0, fd)
            evconnlistener_set_error_cb(context.listener, acceptError)
            listeners.append(context)
        }
    }

    /// Stops accepting and lets in-flight exchanges finish; the loop stops once every connection
    /// is gone, or when `timeout` cuts the stragglers. Idle keep-alive connections close at once.
    func drain(timeout: Duration) {
        draining = true
        for context in listeners { evconnlistener_free(context.listener) }
        listeners.removeAll()
        for pool in pools { pool.stop() }
        flushHandshakeFailures()
        let deadline = LoopTimer(loop: loop) { [unowned self] in self.stopAfterDrain() }
        deadline.schedule(after: timeout)
        drainDeadline = deadline
        onIdle = { [unowned self] in self.stopAfterDrain() }
        for connection in connections.values { connection.takeUnretainedValue().drain() }
        checkIdle()
    }

    private var drainDeadline: LoopTimer?

    private func stopAfterDrain() {
        drainDeadline = nil
        handshakeFailureTimer = nil
        onIdle = nil
        loop.stop()
    }

    var isDraining: Bool { draining }

    /// Live client connections (unretained: each keeps itself alive until it closes).
    private var connections: [ObjectIdentifier: Unmanaged<DownstreamConnection>] = [:]
    var connectionCount: Int { connections.count }

    func connectionOpened(_ connection: DownstreamConnection) {
        connections[ObjectIdentifier(connection)] = Unmanaged.passUnretained(connection)
    }

    func connectionClosed(_ connection: DownstreamConnection) {
        connections[ObjectIdentifier(connection)] = nil
        checkIdle()
    }

    /// Counts a failed TLS handshake; one aggregated event per interval reports them.
    func tlsHandshakeFailed(peer: SocketAddress, reason: String) {
        if handshakeFailures.record(peer: peer.ip.unmapped, reason: reason) {
            if handshakeFailureTimer == nil {
                handshakeFailureTimer = LoopTimer(loop: loop) { [unowned self] in self.flushHandshakeFailures() }
            }
            handshakeFailureTimer?.schedule(after: TLSHandshakeFailures.interval)
        }
    }

    private func flushHandshakeFailures() {
        if let record = handshakeFailures.flush() { events.publish(record) }
    }

    private func checkIdle() {
        if draining, connectionCount == 0, let done = onIdle {
            onIdle = nil
            done()
        }
    }

    fileprivate func accept(fd: Int32, address: UnsafeMutablePointer<sockaddr>?, context: ListenerContext) {
        guard !draining, connectionCount < runtime.configuration.limits.maxConnections,
              let address, let peer = SocketAddress(sockaddr: address)
        else {
            close(fd)
            return
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        DownstreamConnection.start(fd: fd, peer: peer, listenerIndex: context.listenerIndex, tls: context.tls, worker: self)
    }
}

/// What an accept callback needs: kept alive by the worker's `listeners` array.
private final class ListenerContext {
    unowned(unsafe) let worker: Worker
    let listenerIndex: Int
    let tls: TLSServerContext?
    var listener: OpaquePointer?

    init(worker: Worker, listenerIndex: Int, tls: TLSServerContext?) {
        self.worker = worker
        self.listenerIndex = listenerIndex
        self.tls = tls
    }
}

private func acceptConnection(_ listener: OpaquePointer?, _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?,
                              _ length: Int32, _ arg: UnsafeMutableRawPointer?) {
    let context = Unmanaged<ListenerContext>.fromOpaque(arg!).takeUnretainedValue()
    context.worker.accept(fd: fd, address: address, context: context)
}

private func acceptError(_ listener: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    // EMFILE and friends: the listener keeps going; the next accept is retried by libevent.
    gw_write_stderr("gateway: accept failed: \(String(cString: strerror(errno)))\n")
}
