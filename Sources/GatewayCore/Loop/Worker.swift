import CGatewayLibevent
import Glibc
import GatewayHTTP
import GatewayNetwork

/// What one worker serves a request with: an immutable runtime config and this worker's upstream
/// pools for it. A connection holds the snapshot its exchange started on, so after a reload
/// in-flight exchanges finish on the old one while new requests take the new one.
final class WorkerSnapshot {
    let runtime: RuntimeConfig
    /// Parallel to `runtime.upstreams`.
    let pools: [UpstreamPool]
    /// Route index -> the worker's metrics slot for that route name; likewise for upstreams.
    let routeSlots: [Int]
    let upstreamSlots: [Int]

    init(runtime: RuntimeConfig, pools: [UpstreamPool], metrics: WorkerMetrics) {
        self.runtime = runtime
        self.pools = pools
        routeSlots = runtime.routes.map { metrics.routeSlot($0.name) }
        upstreamSlots = runtime.upstreams.map { metrics.upstreamSlot($0.name) }
    }
}

/// One worker thread: an event loop with its own listeners (SO_REUSEPORT), connections,
/// upstream keep-alive pools, counters and scratch buffers. Nothing here is shared with other workers.
final class Worker: @unchecked Sendable {
    let index: Int
    let loop: EventLoop
    /// The current snapshot: new connections and new requests start on it.
    private(set) var snapshot: WorkerSnapshot
    var runtime: RuntimeConfig { snapshot.runtime }
    var pools: [UpstreamPool] { snapshot.pools }
    private var listeners: [ListenerContext] = []
    private var draining = false
    private var onIdle: (() -> Void)?
    let requestIDs = RequestIDGenerator()
    private var handshakeFailures = TLSHandshakeFailures()
    /// Made on the first failure; dropped before the loop stops (a timer must not outlive its loop).
    private var handshakeFailureTimer: LoopTimer?
    let events: any EventPublisher
    /// This worker's connection to the top-level `redis:` server (connects on first use).
    var redis: RedisClient?
    /// Plain counters, only touched on this worker's thread.
    let metrics = WorkerMetrics()
    /// Where finished exchanges are logged; nil without `access_log:`.
    let accessLog: AccessLogWriter?
    /// The access log line being formatted, reused from request to request.
    var accessLogLine: [UInt8] = []
    /// Serialization buffer reused by every connection of this worker (single-threaded, used synchronously).
    var scratch: [UInt8] = []
    private(set) var requestParser: HTTPRequestParser
    private(set) var responseParser: HTTPResponseParser

    init(index: Int, loop: EventLoop, runtime: RuntimeConfig, events: any EventPublisher, accessLog: AccessLogWriter? = nil) {
        self.index = index
        self.events = events
        self.accessLog = accessLog
        self.loop = loop
        self.requestParser = HTTPRequestParser(limits: runtime.parserLimits)
        // Upstream heads get the same bounds as client heads.
        self.responseParser = HTTPResponseParser(limits: runtime.parserLimits)
        snapshot = WorkerSnapshot(runtime: runtime, pools: [], metrics: metrics)
        scratch.reserveCapacity(16384)
        snapshot = makeSnapshot(runtime, replacing: [])
    }

    /// This worker's pools for `runtime`: an unchanged upstream keeps its pool, with its warm
    /// connections, balancer position, health state and active checks; the pools of changed or
    /// removed upstreams retire (their checks stop), and changed or new ones start fresh.
    private func makeSnapshot(_ runtime: RuntimeConfig, replacing oldPools: [UpstreamPool]) -> WorkerSnapshot {
        let pools = runtime.upstreams.indices.map { index in
            guard let kept = oldPools.first(where: { $0.upstream == runtime.upstreams[index] }) else {
                return UpstreamPool(worker: self, runtime: runtime, index: index)
            }
            kept.adopt(runtime, index: index)
            return kept
        }
        for pool in oldPools where !pools.contains(where: { $0 === pool }) { pool.retire() }
        return WorkerSnapshot(runtime: runtime, pools: pools, metrics: metrics)
    }

    /// Starts accepting on already-bound sockets: `fds[i]` for listener `i` of the runtime config.
    func startListening(fds: [Int32]) {
        for (listenerIndex, fd) in fds.enumerated() { listen(fd: fd, listenerIndex: listenerIndex) }
    }

    private func listen(fd: Int32, listenerIndex: Int) {
        let listener = runtime.listeners[listenerIndex]
        let context = ListenerContext(worker: self, listenerIndex: listenerIndex, address: listener.address, tls: listener.tls)
        let flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC
        context.listener = evconnlistener_new(
            loop.base, acceptConnection, Unmanaged.passUnretained(context).toOpaque(), flags, 0, fd)
        evconnlistener_set_error_cb(context.listener, acceptError)
        listeners.append(context)
    }

    /// Switches to a reloaded config. Listeners whose address stays keep their socket (nothing
    /// queued on it is lost) and take the new TLS context; listeners no longer configured
    /// serve what is already queued, then close; `sockets` are this worker's bound sockets
    /// for the new addresses. Open connections finish their exchange on the old snapshot.
    func apply(_ runtime: RuntimeConfig, sockets: [SocketAddress: Int32]) {
        var kept: [ListenerContext] = []
        for context in listeners {
            if let index = runtime.listenerIndex(of: context.address) {
                context.listenerIndex = index
                context.tls = runtime.listeners[index].tls
                kept.append(context)
            } else {
                acceptQueued(context)
                evconnlistener_free(context.listener)
            }
        }
        listeners = kept
        snapshot = makeSnapshot(runtime, replacing: snapshot.pools)
        requestParser = HTTPRequestParser(limits: runtime.parserLimits)
        responseParser = HTTPResponseParser(limits: runtime.parserLimits)
        for (address, fd) in sockets {
            guard let index = runtime.listenerIndex(of: address) else {
                close(fd)
                continue
            }
            listen(fd: fd, listenerIndex: index)
        }
    }

    /// Accepts what the kernel already queued on a listener about to close: closing it would reset them.
    private func acceptQueued(_ context: ListenerContext) {
        let fd = evconnlistener_get_fd(context.listener)
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
            }
            guard client >= 0 else { return }
            evutil_make_socket_nonblocking(client)
            evutil_make_socket_closeonexec(client)
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd: client, address: $0, context: context) }
            }
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

    /// The counters plus the gauges only this thread can read: what a scrape sums.
    func metricsSample() -> MetricsSample {
        var upstreamConnections = pools.reduce(0) { $0 + $1.idleCount }
        for connection in connections.values where connection.takeUnretainedValue().upstream != nil { upstreamConnections += 1 }
        var sample = metrics.sample(downstreamConnections: connections.count, upstreamConnections: upstreamConnections)
        if let redis {
            sample.redis = redis.stats
            sample.redisBreakersOpen = redis.isBreakerOpen ? 1 : 0
        }
        return sample
    }

    /// Counts a failed TLS handshake; one aggregated event per interval reports them.
    func tlsHandshakeFailed(peer: SocketAddress, reason: String) {
        metrics.tlsHandshakeFailures += 1
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

/// What an accept callback needs: kept alive by the worker's `listeners` array. A reload
/// updates the index and TLS context of a listener whose address stays.
private final class ListenerContext {
    unowned(unsafe) let worker: Worker
    var listenerIndex: Int
    let address: SocketAddress
    var tls: TLSServerContext?
    var listener: OpaquePointer?

    init(worker: Worker, listenerIndex: Int, address: SocketAddress, tls: TLSServerContext?) {
        self.worker = worker
        self.listenerIndex = listenerIndex
        self.address = address
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
