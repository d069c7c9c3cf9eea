import CGatewayLibevent
import GatewayConfig

/// Active health checks of one upstream on one worker: every `interval`, a `GET` of the check
/// path to each target on a connection of its own (TLS when the upstream uses TLS), whose
/// status line must arrive within `timeout` and fall in `expect`. Verdicts go to the pool's
/// health state. Everything is non-blocking on the worker's loop.
final class UpstreamHealthChecker {
    unowned(unsafe) let pool: UpstreamPool
    let check: HealthCheckConfig
    private var timer: LoopTimer!
    /// The check in flight per target; a target still being checked is skipped.
    private var probes: [HealthProbe?]
    /// One request per target, built once: `GET path HTTP/1.1`, Host, Connection: close.
    private let requests: [[UInt8]]

    init(pool: UpstreamPool, check: HealthCheckConfig) {
        self.pool = pool
        self.check = check
        probes = Array(repeating: nil, count: pool.upstream.targets.count)
        requests = pool.upstream.targets.map { target in
            let host = target.host.contains(":") ? "[\(target.host)]" : target.host
            return Array("GET \(check.path) HTTP/1.1\r\nHost: \(host):\(target.address.port)\r\nUser-Agent: gateway-health-check\r\nConnection: close\r\n\r\n".utf8)
        }
        timer = LoopTimer(loop: pool.worker.loop) { [unowned(unsafe) self] in self.run() }
        // The first round at once: a dead target is known before client requests reach it.
        timer.schedule(after: .zero)
    }

    private func run() {
        timer.schedule(after: check.interval)
        for target in probes.indices where probes[target] == nil {
            probes[target] = HealthProbe(checker: self, target: target)
            if probes[target] == nil { pool.recordCheck(target, healthy: false, reason: "cannot connect") }
        }
    }

    fileprivate func finished(_ target: Int, healthy: Bool, reason: String) {
        probes[target] = nil
        pool.recordCheck(target, healthy: healthy, reason: reason)
    }

    fileprivate func request(for target: Int) -> [UInt8] { requests[target] }

    /// Cancels the timer and every check in flight.
    func stop() {
        timer.cancel()
        for probe in probes { probe?.abort() }
        probes = Array(repeating: nil, count: probes.count)
    }
}

/// One check of one target. Owned by its checker until it finishes.
private final class HealthProbe {
    unowned(unsafe) let checker: UpstreamHealthChecker
    let target: Int
    private var bev: OpaquePointer?

    /// Nil when no connect could be started.
    init?(checker: UpstreamHealthChecker, target: Int) {
        self.checker = checker
        self.target = target
        let pool = checker.pool
        guard let bev = pool.makeBufferevent(target: target) else { return nil }
        self.bev = bev
        bufferevent_setcb(bev, healthProbeRead, nil, healthProbeEvent, Unmanaged.passUnretained(self).toOpaque())
        // Read and write inactivity both bounded: connect, handshake and the answer each get `timeout`.
        var timeout = timeval(duration: checker.check.timeout)
        bufferevent_set_timeouts(bev, &timeout, &timeout)
        guard pool.startConnect(bev, target: target) else {
            bufferevent_free(bev)
            return nil
        }
    }

    fileprivate func event(_ events: Int16) {
        let events = Int32(events)
        guard bev != nil else { return }
        if events & BEV_EVENT_CONNECTED != 0 {
            checker.request(for: target).withUnsafeBytes { _ = bufferevent_write(bev, $0.baseAddress, $0.count) }
            return
        }
        let reason = events & BEV_EVENT_TIMEOUT != 0 ? "timed out"
            : events & BEV_EVENT_EOF != 0 ? "connection closed without a status line" : "connection failed"
        finish(healthy: false, reason: reason)
    }

    /// Reads up to the end of the status line: `HTTP/1.x NNN ...`.
    fileprivate func readable() {
        guard let bev else { return }
        let input = bufferevent_get_input(bev)
        let available = evbuffer_get_length(input)
        guard let bytes = evbuffer_pullup(input, available) else { return }
        let line = UnsafeRawBufferPointer(start: bytes, count: available)
        guard let end = line.firstIndex(of: 0x0A) else {
            if available > 1024 { finish(healthy: false, reason: "invalid status line") }
            return
        }
        let text = String(decoding: line[..<end], as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            finish(healthy: false, reason: "invalid status line")
            return
        }
        finish(healthy: checker.check.expect.contains(status), reason: "status \(status)")
    }

    private func finish(healthy: Bool, reason: String) {
        abort()
        // The checker drops its reference to this probe.
        withExtendedLifetime(self) { checker.finished(target, healthy: healthy, reason: reason) }
    }

    func abort() {
        if let bev { bufferevent_free(bev) }
        bev = nil
    }
}

private func healthProbeRead(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<HealthProbe>.fromOpaque(arg!).takeUnretainedValue().readable()
}

private func healthProbeEvent(_ bev: OpaquePointer?, _ events: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<HealthProbe>.fromOpaque(arg!).takeUnretainedValue().event(events)
}
