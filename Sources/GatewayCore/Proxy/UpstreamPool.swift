import CGatewayLibevent
import CGatewayOpenSSL
import Glibc
import GatewayNetwork

/// One worker's connections to one upstream: the balancer and health state that choose a
/// target, and per target the idle keep-alive connections, most recently used first.
final class UpstreamPool {
    unowned(unsafe) let worker: Worker
    /// Replaced by ``adopt(_:index:)`` with an equal upstream of a reloaded config.
    private(set) var upstream: RuntimeConfig.RuntimeUpstream
    /// The upstream's position in the config, for health reports.
    private var index: Int
    private var healthReports: UpstreamHealth
    private var idle: [[UpstreamConnection]]
    private(set) var idleCount = 0
    var balancer: UpstreamBalancer
    private(set) var health: TargetHealth
    private var checker: UpstreamHealthChecker?
    /// A reload replaced this pool: connections coming back close instead of idling.
    private(set) var isRetired = false
    /// The targets' last TLS sessions, resumed by new connections.
    let tlsSessions: UpstreamTLSSessions

    /// The pool for upstream `index` of `runtime`, with fresh health state; active checks start at once.
    init(worker: Worker, runtime: RuntimeConfig, index: Int) {
        let upstream = runtime.upstreams[index]
        self.worker = worker
        self.upstream = upstream
        self.index = index
        healthReports = runtime.upstreamHealth
        idle = Array(repeating: [], count: upstream.targets.count)
        tlsSessions = UpstreamTLSSessions(targets: upstream.targets.count)
        balancer = UpstreamBalancer(weights: upstream.targets.map(\.weight), leastConnections: upstream.balance == .leastConnections)
        let timeouts = runtime.configuration.timeouts
        health = TargetHealth(targets: upstream.targets.count, config: upstream.health,
                              probeWindow: timeouts.upstreamConnect + timeouts.upstreamResponse)
        // Workers start at different points of the rotation so N workers do not all hit the first target first.
        for _ in 0..<(worker.index % max(upstream.targets.count, 1)) { _ = balancer.pick { _ in true } }
        if let check = upstream.health.check { checker = UpstreamHealthChecker(pool: self, check: check) }
    }

    /// A reload kept this pool for an equal upstream (at `index` of `runtime`): new connections
    /// use the reloaded TLS context (its certificate files were read again), and health changes
    /// go to the new config's ``UpstreamHealth``, which first learns the targets this worker has out.
    func adopt(_ runtime: RuntimeConfig, index: Int) {
        upstream = runtime.upstreams[index]
        self.index = index
        healthReports = runtime.upstreamHealth
        tlsSessions.removeAll()
        for target in health.states.indices where health.states[target].isOut {
            healthReports.report(upstream: index, target: target, isUp: false)
        }
    }

    /// The warmest idle connection to `target`, if any.
    func takeIdle(target: Int) -> UpstreamConnection? {
        guard let connection = idle[target].popLast() else { return nil }
        idleCount -= 1
        return connection
    }

    /// The target for a new exchange, skipping those set in `tried` (bit n = target n, for the
    /// first 64): by the balancer among targets that are up; when every one is out, the one
    /// that failed least recently. Nil only when every target was tried.
    func pickTarget(excluding tried: UInt64) -> Int? {
        func wasTried(_ target: Int) -> Bool { target < 64 && tried & (1 << UInt64(target)) != 0 }
        if health.outCount == 0 {
            return balancer.pick { !wasTried($0) }
        }
        let now = monotonicMilliseconds()
        if let target = balancer.pick(where: { !wasTried($0) && health.isAvailable($0, now: now) }) {
            health.willUse(target, now: now)
            return target
        }
        return health.leastRecentlyFailed(excluding: wasTried)
    }

    /// A connect error, timeout, TLS failure or invalid response from `target`.
    func recordFailure(_ target: Int) {
        let change = health.failed(target, now: monotonicMilliseconds())
        if let change { reportHealth(target, isUp: change, reason: "\(health.states[target].failures) consecutive failures") }
    }

    /// `target` answered with a valid response head.
    func recordResponse(_ target: Int, status: Int) {
        if upstream.health.failureStatuses.contains(status) {
            recordFailure(target)
        } else if let change = health.succeeded(target) {
            reportHealth(target, isUp: change, reason: "answered")
        }
    }

    /// An active check's verdict.
    func recordCheck(_ target: Int, healthy: Bool, reason: String) {
        if let change = health.checked(target, healthy: healthy, now: monotonicMilliseconds()) {
            reportHealth(target, isUp: change, reason: "health check: \(reason)")
        }
    }

    private func reportHealth(_ target: Int, isUp: Bool, reason: String) {
        healthReports.report(upstream: index, target: target, isUp: isUp)
        let state = health.states[target]
        let detail = isUp ? "back up" : "down" + (state.down ? ", retried after \(state.backoff) ms" : "")
        gw_write_stderr("gateway: worker \(worker.index): upstream '\(upstream.name)' target \(upstream.targets[target].address) \(detail) (\(reason))\n")
    }

    /// Starts a non-blocking connect (and TLS handshake) to `target`; nil when no socket could be made.
    func connect(target: Int) -> UpstreamConnection? {
        guard let bev = makeBufferevent(target: target) else { return nil }
        let connection = UpstreamConnection(pool: self, bev: bev, target: target, isTLS: upstream.tls != nil)
        // Connecting counts as writing for bufferevent timeouts; a TLS handshake also reads.
        let connectTimeout = worker.runtime.configuration.timeouts.upstreamConnect
        connection.setTimeouts(read: connection.isTLS ? connectTimeout : nil, write: connectTimeout)
        guard startConnect(bev, target: target) else {
            connection.close()
            return nil
        }
        return connection
    }

    /// A bufferevent for a connection to `target`: plain, or TLS in client mode.
    func makeBufferevent(target: Int) -> OpaquePointer? {
        let base = worker.loop.base
        guard let tls = upstream.tls else { return bufferevent_socket_new(base, -1, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)) }
        guard let ssl = tls.makeSSL(host: upstream.targets[target].host) else { return nil }
        tlsSessions.offer(to: ssl, target: target)
        guard let bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                       Int32(BEV_OPT_CLOSE_ON_FREE.rawValue | BEV_OPT_DEFER_CALLBACKS.rawValue))
        else {
            SSL_free(ssl)
            return nil
        }
        // A close-delimited body may end without close_notify.
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1)
        return bev
    }

    /// Connects `bev` (callbacks and timeouts already set) to `target`; false when the connect
    /// failed at once.
    func startConnect(_ bev: OpaquePointer, target: Int) -> Bool {
        let status = upstream.targets[target].address.withSockAddr { address, length in
            bufferevent_socket_connect(bev, UnsafeMutablePointer(mutating: address), Int32(length))
        }
        guard status == 0 else { return false }
        // Head and body may go out as separate writes: Nagle would hold the second one back
        // until the first is acknowledged (a delayed ACK: 40 ms).
        var one: Int32 = 1
        setsockopt(bufferevent_getfd(bev), Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        bufferevent_enable(bev, Int16(EV_READ | EV_WRITE))
        return true
    }

    /// Takes a connection back after a clean exchange; beyond `max_idle`, or while draining, it closes.
    func release(_ connection: UpstreamConnection) {
        guard idleCount < upstream.maxIdle, !worker.isDraining, !isRetired else {
            connection.close()
            return
        }
        connection.detach()
        connection.setTimeouts(read: worker.runtime.configuration.timeouts.upstreamIdle, write: nil)
        // Reading stays on while idle: an upstream close or stray bytes must be noticed.
        connection.setReading(true)
        idle[connection.target].append(connection)
        idleCount += 1
    }

    /// An idle connection closed, timed out or sent unsolicited bytes: drop it.
    func discardIdle(_ connection: UpstreamConnection) {
        if let index = idle[connection.target].firstIndex(where: { $0 === connection }) {
            idle[connection.target].remove(at: index)
            idleCount -= 1
        }
        connection.close()
    }

    /// A reload no longer uses this pool: idle connections close, busy ones close when released,
    /// and active checks stop.
    func retire() {
        isRetired = true
        stop()
    }

    /// Draining or retired: idle connections close and active checks stop (their timer must not
    /// outlive the loop).
    func stop() {
        for connections in idle { for connection in connections { connection.close() } }
        idle = Array(repeating: [], count: idle.count)
        idleCount = 0
        checker?.stop()
        checker = nil
    }
}

/// A monotonic clock in milliseconds, for health back-offs.
func monotonicMilliseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
}

/// A connection to one upstream target. Owned by a client connection during an exchange,
/// by the pool while idle; it keeps itself alive until ``close()``.
final class UpstreamConnection {
    unowned(unsafe) let pool: UpstreamPool
    let bev: OpaquePointer
    let target: Int
    /// TLS connections read and write through `bufferevent_openssl`, never the raw socket.
    let isTLS: Bool
    var isConnected = false
    /// Exchanges completed on it; a reused connection may have been closed by the upstream meanwhile.
    var exchanges = 0
    /// The client connection whose exchange uses it; nil while idle. Set with ``attach(to:)``.
    private(set) unowned(unsafe) var owner: DownstreamConnection?
    private var closed = false

    init(pool: UpstreamPool, bev: OpaquePointer, target: Int, isTLS: Bool) {
        self.pool = pool
        self.bev = bev
        self.target = target
        self.isTLS = isTLS
        let me = Unmanaged.passRetained(self).toOpaque()
        bufferevent_setcb(bev, upstreamRead, upstreamWrite, upstreamEvent, me)
        // For the new-session callback; the SSL is freed with the bufferevent, before this object.
        if isTLS { _ = SSL_set_ex_data(bufferevent_openssl_get_ssl(bev), upstreamConnectionExIndex, me) }
    }

    private var timeouts: (read: Duration?, write: Duration?) = (nil, nil)
    /// Once connected, the connection reads with its own event and one `recv` per readiness
    /// (libevent's read asks `ioctl(FIONREAD)` first and stops at 4 KiB); the bufferevent keeps
    /// connecting, writing and reporting write errors.
    private var readEvent: OpaquePointer?
    private var reading = true

    /// Sets the read and write inactivity timeouts, skipping the work when unchanged: with equal
    /// idle and response timeouts, a reused connection needs none per request.
    func setTimeouts(read: Duration?, write: Duration?) {
        guard timeouts.read != read || timeouts.write != write else { return }
        let readChanged = timeouts.read != read
        timeouts = (read, write)
        var writeValue = write.map(timeval.init(duration:)) ?? timeval()
        withUnsafeMutablePointer(to: &writeValue) { writePointer in
            if readEvent == nil {
                var readValue = read.map(timeval.init(duration:)) ?? timeval()
                withUnsafeMutablePointer(to: &readValue) { readPointer in
                    _ = bufferevent_set_timeouts(bev, read == nil ? nil : readPointer, write == nil ? nil : writePointer)
                }
            } else {
                _ = bufferevent_set_timeouts(bev, nil, write == nil ? nil : writePointer)
            }
        }
        if readChanged, readEvent != nil, reading { armReadEvent() }
    }

    /// An exchange takes the connection: it counts as in flight for least-connections.
    func attach(to owner: DownstreamConnection) {
        self.owner = owner
        pool.balancer.exchangeStarted(on: target)
    }

    /// The exchange is over (the connection goes idle or closes).
    func detach() {
        guard owner != nil else { return }
        owner = nil
        pool.balancer.exchangeEnded(on: target)
    }

    /// The socket when the request may be written to it directly (connected plain TCP), else nil.
    var directFD: Int32? { isConnected && !isTLS ? bufferevent_getfd(bev) : nil }

    /// The connect (and TLS handshake) completed: plain connections move reading to their own event.
    fileprivate func connected() {
        isConnected = true
        guard !isTLS else {
            pool.worker.metrics.upstreamTLSHandshakes += 1
            if SSL_session_reused(bufferevent_openssl_get_ssl(bev)) == 1 { pool.worker.metrics.upstreamTLSResumed += 1 }
            return
        }
        bufferevent_disable(bev, Int16(EV_READ))
        evbuffer_unfreeze(input, 0)  // a bufferevent keeps its input's end frozen but while it reads
        readEvent = event_new(pool.worker.loop.base, bufferevent_getfd(bev), Int16(EV_READ | EV_PERSIST),
                              upstreamSocketReadable, Unmanaged.passUnretained(self).toOpaque())
        let read = timeouts.read
        timeouts.read = nil
        setTimeouts(read: read, write: timeouts.write)
        if timeouts.read == nil { armReadEvent() }
    }

    /// A persistent event's timeout restarts whenever it fires: an inactivity timeout.
    private func armReadEvent() {
        if let read = timeouts.read {
            var value = timeval(duration: read)
            event_add(readEvent, &value)
        } else {
            event_add(readEvent, nil)
        }
    }

    /// Starts or stops reading (backpressure from a slow client).
    func setReading(_ enabled: Bool) {
        guard let readEvent else {
            if enabled { bufferevent_enable(bev, Int16(EV_READ)) } else { bufferevent_disable(bev, Int16(EV_READ)) }
            return
        }
        guard enabled != reading else { return }
        reading = enabled
        if enabled { armReadEvent() } else { event_del(readEvent) }
    }

    fileprivate func readSocket(_ what: Int16) {
        if Int32(what) & EV_TIMEOUT != 0 {
            report(Int16(BEV_EVENT_TIMEOUT | BEV_EVENT_READING))
            return
        }
        switch receive(into: input, from: bufferevent_getfd(bev), upTo: 64 * 1024) {
        case .data:
            if let owner { owner.upstreamReadable() } else { pool.discardIdle(self) }
        case .closed:
            report(Int16(BEV_EVENT_EOF | BEV_EVENT_READING))
        case .failed:
            report(Int16(BEV_EVENT_ERROR | BEV_EVENT_READING))
        case .wouldBlock:
            break
        }
    }

    /// An event for the owner, or the end of an idle connection.
    fileprivate func report(_ events: Int16) {
        if let owner { owner.upstreamEvent(events) } else { pool.discardIdle(self) }
    }

    var input: OpaquePointer { bufferevent_get_input(bev) }
    var output: OpaquePointer { bufferevent_get_output(bev) }

    /// Why the TLS handshake failed, as OpenSSL tells it (e.g. "certificate verify failed:
    /// hostname mismatch").
    func tlsFailureReason() -> String {
        var last: UInt = 0
        while true {
            let code = bufferevent_get_openssl_error(bev)
            if code == 0 { break }
            last = code
        }
        var reason = last == 0 ? "connection closed during the TLS handshake"
            : ERR_reason_error_string(last).map { String(cString: $0) } ?? "TLS handshake failed"
        if let ssl = bufferevent_openssl_get_ssl(bev) {
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) { reason += ": " + String(cString: text) }
        }
        return reason
    }

    func close() {
        guard !closed else { return }
        closed = true
        detach()
        if let readEvent { event_free(readEvent) }
        // Freed without both shutdown flags, OpenSSL marks the session not resumable (like nginx,
        // close quietly: the session's keys came from a verified handshake either way).
        if isTLS && isConnected {
            SSL_set_shutdown(bufferevent_openssl_get_ssl(bev), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
        }
        bufferevent_free(bev)
        Unmanaged.passUnretained(self).release()
    }
}

private func upstreamRead(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    let connection = Unmanaged<UpstreamConnection>.fromOpaque(arg!).takeUnretainedValue()
    if let owner = connection.owner {
        owner.upstreamReadable()
    } else {
        connection.pool.discardIdle(connection)
    }
}

private func upstreamWrite(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    let connection = Unmanaged<UpstreamConnection>.fromOpaque(arg!).takeUnretainedValue()
    connection.owner?.upstreamWritable()
}

private func upstreamEvent(_ bev: OpaquePointer?, _ events: Int16, _ arg: UnsafeMutableRawPointer?) {
    let connection = Unmanaged<UpstreamConnection>.fromOpaque(arg!).takeUnretainedValue()
    if Int32(events) & BEV_EVENT_CONNECTED != 0 { connection.connected() }
    connection.report(events)
}

private func upstreamSocketReadable(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<UpstreamConnection>.fromOpaque(arg!).takeUnretainedValue().readSocket(what)
}
