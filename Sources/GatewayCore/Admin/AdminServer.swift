import CGatewayLibevent
import Glibc
import GatewayHTTP

/// The admin listener (`admin.address`): `/health`, `/ready`, `/metrics`, `/config` and
/// `POST /reload`, on a loop and thread of its own, never on a public listener. Tiny HTTP/1.1
/// exchanges: one request per connection, answered and closed.
final class AdminServer: @unchecked Sendable {
    unowned let server: GatewayServer
    let loop: EventLoop
    private var thread: pthread_t?
    // Admin thread only.
    private var listener: OpaquePointer?
    private var connections = 0
    /// Each worker's last metrics sample, used for a worker that no longer answers (it drained).
    var lastSamples: [MetricsSample?]
    static let maxConnections = 64

    /// Starts serving on `fd`, an already bound listening socket.
    init(server: GatewayServer, fd: Int32) {
        self.server = server
        lastSamples = Array(repeating: nil, count: server.workers.count)
        let ready = Semaphore()
        let box = LoopBox()
        thread = startThread {
            gw_block_control_signals()
            let loop = EventLoop()
            box.loop = loop
            ready.signal()
            loop.run()
        }
        ready.wait()
        loop = box.loop!
        loop.execute { [self] in
            listener = evconnlistener_new(loop.base, adminAccept, Unmanaged.passUnretained(self).toOpaque(),
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd)
        }
    }

    /// Closes the listener and ends the thread (open admin connections are dropped).
    func stop() {
        loop.execute { [self] in
            if let listener { evconnlistener_free(listener) }
            listener = nil
            loop.stop()
        }
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    fileprivate func accept(fd: Int32) {
        guard connections < AdminServer.maxConnections else {
            close(fd)
            return
        }
        connections += 1
        AdminConnection.start(fd: fd, admin: self)
    }

    func connectionClosed() { connections -= 1 }

    // MARK: Routing

    /// Answers `request` through `respond`, now or later (on this loop).
    func handle(_ request: HTTPRequestHead, respond: @escaping (AdminResponse) -> Void) {
        let path = request.path
        let method = request.method
        switch (path, method) {
        case ("/health", .get), ("/health", .head):
            respond(.json(200, #"{"status":"alive"}"#))
        case ("/ready", .get), ("/ready", .head):
            checkReadiness(respond)
        case ("/metrics", .get), ("/metrics", .head):
            collectMetrics { text in respond(AdminResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: text)) }
        case ("/config", .get), ("/config", .head):
            respond(.json(200, configJSON()))
        case ("/reload", .post):
            guard let reloader = server.reloader else {
                respond(.json(503, #"{"result":"unavailable","reason":"this gateway was not started from a config file"}"#))
                return
            }
            let loop = self.loop
            let reply = AdminLoopBound(respond)
            reloader.request { outcome in
                loop.execute { reply.value(AdminServer.reloadResponse(outcome)) }
            }
        case ("/health", _), ("/ready", _), ("/metrics", _), ("/config", _), ("/reload", _):
            respond(.json(405, #"{"error":"method not allowed"}"#))
        default:
            respond(.json(404, #"{"error":"not found","endpoints":["/health","/ready","/metrics","/config","POST /reload"]}"#))
        }
    }

    private static func reloadResponse(_ outcome: ReloadOutcome) -> AdminResponse {
        switch outcome {
        case .applied(let hash):
            return .json(200, #"{"result":"applied","config_hash":"\#(hash)"}"#)
        case .rejected(let errors):
            var body: [UInt8] = Array(#"{"result":"rejected","errors":["#.utf8)
            for (index, error) in errors.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                var error = error
                error.withUTF8 { body.appendQuoted(UnsafeRawBufferPointer($0)) }
            }
            body.append(contentsOf: "]}".utf8)
            return AdminResponse(status: 422, contentType: "application/json", body: body)
        }
    }

    /// The running config, secrets redacted, with its hash and when it was loaded.
    private func configJSON() -> String {
        let (runtime, loadedAt) = server.state.withLock { ($0.runtime, $0.loadedAt) }
        var out: [UInt8] = Array(#"{"path":"#.utf8)
        var path = runtime.configuration.path
        path.withUTF8 { out.appendQuoted(UnsafeRawBufferPointer($0)) }
        out.append(contentsOf: #","config_hash":"\#(runtime.configuration.sourceHash)","loaded_at":"#.utf8)
        out.append(UInt8(ascii: "\""))
        EventSerializer.appendTimestamp(loadedAt * 1000, to: &out)
        out.append(contentsOf: #"","config":"#.utf8)
        out.append(contentsOf: (runtime.configuration.source?.redactedJSON() ?? "null").utf8)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// 200 when the config is loaded, the gateway is not draining, and every upstream has a
    /// target that is up: by its active health checks' state (``UpstreamHealth``) when it has
    /// `health.check`, else by a TCP connect now (passive state alone would never come back
    /// once `/ready` took the gateway out of rotation: no traffic, no probe requests); else 503.
    /// The body says which upstream is down.
    private func checkReadiness(_ respond: @escaping (AdminResponse) -> Void) {
        let (runtime, draining) = server.state.withLock { ($0.runtime, $0.draining) }
        let hash = runtime.configuration.sourceHash
        if draining {
            respond(.json(503, #"{"ready":false,"draining":true,"config_hash":"\#(hash)"}"#))
            return
        }
        let health = runtime.upstreamHealth.snapshot()
        let probed = runtime.upstreams.filter { $0.health.check == nil }.map { (name: $0.name, targets: $0.targets.map(\.address)) }
        ReadinessProbe.run(loop: loop, upstreams: probed, timeout: .seconds(1)) { reachable in
            let connected = Dictionary(uniqueKeysWithValues: reachable.map { ($0.name, $0.reachable) })
            let upstreams = zip(runtime.upstreams, health).map { upstream, state in
                (name: upstream.name, up: upstream.health.check == nil ? connected[upstream.name] ?? false : state.isAvailable)
            }
            let ready = upstreams.allSatisfy(\.up)
            var body: [UInt8] = Array(#"{"ready":\#(ready),"draining":false,"config_hash":"\#(hash)","upstreams":{"#.utf8)
            for (index, upstream) in upstreams.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                var name = upstream.name
                name.withUTF8 { body.appendQuoted(UnsafeRawBufferPointer($0)) }
                body.append(contentsOf: ":\(upstream.up)".utf8)
            }
            body.append(contentsOf: "}}".utf8)
            respond(AdminResponse(status: ready ? 200 : 503, contentType: "application/json", body: body))
        }
    }
}

/// What an admin endpoint answers.
struct AdminResponse {
    var status: Int
    var contentType: String
    var body: [UInt8]

    init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    init(status: Int, contentType: String, body: String) {
        self.init(status: status, contentType: contentType, body: Array(body.utf8))
    }

    static func json(_ status: Int, _ body: String) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json", body: body)
    }
}

/// A value used only on the admin loop, carried through another thread and back.
private final class AdminLoopBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Hands the admin loop, made on its own thread, back to the thread that started it.
private final class LoopBox: @unchecked Sendable {
    var loop: EventLoop?
}

/// A one-shot signal between two threads.
final class Semaphore: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var signalled = false

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    func signal() {
        pthread_mutex_lock(&mutex)
        signalled = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    func wait() {
        pthread_mutex_lock(&mutex)
        while !signalled { pthread_cond_wait(&condition, &mutex) }
        pthread_mutex_unlock(&mutex)
    }
}

private func adminAccept(_ listener: OpaquePointer?, _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?,
                         _ length: Int32, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<AdminServer>.fromOpaque(arg!).takeUnretainedValue().accept(fd: fd)
}
