import CGatewayLibevent
import Glibc
import GatewayNetwork

/// Tries a TCP connect to every target of the given upstreams at once, on the admin loop, and
/// reports per upstream whether at least one target accepted within the timeout.
final class ReadinessProbe {
    typealias Result = [(name: String, reachable: Bool)]

    private var names: [String]
    private var reachable: [Bool]
    private var pending = 0
    private var attempts: [OpaquePointer] = []
    private var completion: ((Result) -> Void)?
    private var timer: LoopTimer?
    /// Connects are still being started: a result must wait for the rest to be set up.
    private var settingUp = true

    private init(names: [String], completion: @escaping (Result) -> Void) {
        self.names = names
        reachable = Array(repeating: false, count: names.count)
        self.completion = completion
    }

    static func run(loop: EventLoop, upstreams: [(name: String, targets: [SocketAddress])], timeout: Duration,
                    completion: @escaping (Result) -> Void) {
        let probe = ReadinessProbe(names: upstreams.map(\.name), completion: completion)
        // Retained until finish(): the callbacks below hold it unretained.
        let context = Unmanaged.passRetained(probe)
        for (index, upstream) in upstreams.enumerated() {
            for target in upstream.targets {
                guard let bev = bufferevent_socket_new(loop.base, -1, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)) else { continue }
                let attempt = ProbeAttempt(probe: probe, upstream: index)
                bufferevent_setcb(bev, nil, nil, probeEvent, Unmanaged.passRetained(attempt).toOpaque())
                probe.attempts.append(bev)
                probe.pending += 1
                let status = target.withSockAddr { address, length in
                    bufferevent_socket_connect(bev, UnsafeMutablePointer(mutating: address), Int32(length))
                }
                // A refused connect may be reported synchronously: the event callback already ran.
                if status != 0, !attempt.done { probe.attemptEnded(attempt, connected: false) }
            }
        }
        probe.settingUp = false
        _ = context
        if probe.pending == 0 || probe.reachable.allSatisfy({ $0 }) {
            probe.finish()
            return
        }
        probe.timer = LoopTimer(loop: loop) { probe.finish() }
        probe.timer?.schedule(after: timeout)
    }

    fileprivate func attemptEnded(_ attempt: ProbeAttempt, connected: Bool) {
        attempt.done = true
        pending -= 1
        if connected { reachable[attempt.upstream] = true }
        if !settingUp, pending == 0 || reachable.allSatisfy({ $0 }) { finish() }
    }

    private func finish() {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        for bev in attempts {
            // The attempt objects are released with their callbacks' context.
            if let context = probeContext(bev) { Unmanaged<ProbeAttempt>.fromOpaque(context).release() }
            bufferevent_free(bev)
        }
        attempts.removeAll()
        completion(Array(zip(names, reachable)).map { (name: $0.0, reachable: $0.1) })
        Unmanaged.passUnretained(self).release()
    }
}

/// One target's connect attempt.
private final class ProbeAttempt {
    unowned let probe: ReadinessProbe
    let upstream: Int
    var done = false

    init(probe: ReadinessProbe, upstream: Int) {
        self.probe = probe
        self.upstream = upstream
    }
}

private func probeContext(_ bev: OpaquePointer) -> UnsafeMutableRawPointer? {
    var context: UnsafeMutableRawPointer?
    bufferevent_getcb(bev, nil, nil, nil, &context)
    return context
}

private func probeEvent(_ bev: OpaquePointer?, _ events: Int16, _ arg: UnsafeMutableRawPointer?) {
    let attempt = Unmanaged<ProbeAttempt>.fromOpaque(arg!).takeUnretainedValue()
    guard !attempt.done else { return }
    attempt.probe.attemptEnded(attempt, connected: Int32(events) & BEV_EVENT_CONNECTED != 0)
}
