import CGatewayLibevent
import Glibc
import GatewayNetwork

/// One worker's connections to one upstream: round-robin over the targets, and per target the
/// idle keep-alive connections, most recently used first.
final class UpstreamPool {
    unowned(unsafe) let worker: Worker
    let upstream: RuntimeConfig.RuntimeUpstream
    private var idle: [[UpstreamConnection]]
    private(set) var idleCount = 0
    private var nextTarget = 0
    /// A reload replaced this pool: connections coming back close instead of idling.
    private(set) var isRetired = false

    init(worker: Worker, upstream: RuntimeConfig.RuntimeUpstream) {
        self.worker = worker
        self.upstream = upstream
        idle = Array(repeating: [], count: upstream.targets.count)
        // Workers start at different targets so N workers do not all hit the first one first.
        nextTarget = worker.index % max(upstream.targets.count, 1)
    }

    /// The warmest idle connection to `target`, if any.
    func takeIdle(target: Int) -> UpstreamConnection? {
        guard let connection = idle[target].popLast() else { return nil }
        idleCount -= 1
        return connection
    }

    /// The next target in round-robin order.
    func pickTarget() -> Int {
        let target = nextTarget
        nextTarget = (nextTarget + 1) % upstream.targets.count
        return target
    }

    /// Starts a non-blocking connect to `target`; nil when no socket could be made.
    func connect(target: Int) -> UpstreamConnection? {
        guard let bev = bufferevent_socket_new(worker.loop.base, -1, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)) else { return nil }
        let connection = UpstreamConnection(pool: self, bev: bev, target: target)
        // Connecting counts as writing for bufferevent timeouts.
        connection.setTimeouts(read: nil, write: worker.runtime.configuration.timeouts.upstreamConnect)
        let status = upstream.targets[target].withSockAddr { address, length in
            bufferevent_socket_connect(bev, UnsafeMutablePointer(mutating: address), Int32(length))
        }
        guard status == 0 else {
            connection.close()
            return nil
        }
        // Head and body may go out as separate writes: Nagle would hold the second one back
        // until the first is acknowledged (a delayed ACK: 40 ms).
        var one: Int32 = 1
        setsockopt(bufferevent_getfd(bev), Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        bufferevent_enable(bev, Int16(EV_READ | EV_WRITE))
        return connection
    }

    /// Takes a connection back after a clean exchange; beyond `max_idle`, or while draining, it closes.
    func release(_ connection: UpstreamConnection) {
        guard idleCount < upstream.maxIdle, !worker.isDraining, !isRetired else {
            connection.close()
            return
        }
        connection.owner = nil
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

    /// A reload no longer uses this pool: idle connections close; busy ones close when released.
    func retire() {
        isRetired = true
        closeIdle()
    }

    func closeIdle() {
        for connections in idle { for connection in connections { connection.close() } }
        idle = Array(repeating: [], count: idle.count)
        idleCount = 0
    }
}

/// A connection to one upstream target. Owned by a client connection during an exchange,
/// by the pool while idle; it keeps itself alive until ``close()``.
final class UpstreamConnection {
    unowned(unsafe) let pool: UpstreamPool
    let bev: OpaquePointer
    let target: Int
    var isConnected = false
    /// Exchanges completed on it; a reused connection may have been closed by the upstream meanwhile.
    var exchanges = 0
    unowned(unsafe) var owner: DownstreamConnection?
    private var closed = false

    init(pool: UpstreamPool, bev: OpaquePointer, target: Int) {
        self.pool = pool
        self.bev = bev
        self.target = target
        let me = Unmanaged.passRetained(self).toOpaque()
        bufferevent_setcb(bev, upstreamRead, upstreamWrite, upstreamEvent, me)
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

    /// The connect completed: reading moves to the connection's own event.
    fileprivate func connected() {
        isConnected = true
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

    func close() {
        guard !closed else { return }
        closed = true
        owner = nil
        if let readEvent { event_free(readEvent) }
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
