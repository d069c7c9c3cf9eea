import CGatewayLibevent
import Glibc
import GatewayConfig
import Synchronization

/// The running gateway: worker threads, each with its own loop and listening sockets, and the
/// admin listener on a thread of its own.
///
/// `gateway run` calls ``run(onReopen:loadConfig:)``, which adds signal handling on the main
/// thread; tests call ``start()`` and ``shutdown()`` to run a gateway inside the test process.
public final class GatewayServer: @unchecked Sendable {
    /// What the admin endpoints and reloads read; changed by reloads and the drain.
    struct State {
        var runtime: RuntimeConfig
        /// Wall-clock seconds when `runtime` was loaded.
        var loadedAt: Int64
        var draining = false
        var reloadsOK = 0
        var reloadsFailed = 0
    }

    let state: Mutex<State>
    /// Set by ``start()``; fixed until ``shutdown()``.
    private(set) var workers: [Worker] = []
    private var threads: [pthread_t] = []
    let log: @Sendable (String) -> Void
    let events: any EventPublisher
    let accessLog: AccessLogWriter?
    private var admin: AdminServer?
    /// Held while a reload hands its snapshot to the workers, and by the drain: a worker that
    /// stopped its loop would never take the snapshot.
    let lifecycle = Mutex<Void>(())
    /// Serializes reloads on their own thread; nil until ``run(onReopen:loadConfig:)``.
    private(set) var reloader: Reloader?

    /// Without an `events` publisher, events are written to stderr.
    public init(runtime: RuntimeConfig, events: (any EventPublisher)? = nil, accessLog: AccessLogWriter? = nil,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        state = Mutex(State(runtime: runtime, loadedAt: Int64(time(nil))))
        self.events = events ?? StderrEventPublisher()
        self.accessLog = accessLog
        self.log = log
    }

    var runtime: RuntimeConfig { state.withLock { $0.runtime } }

    /// Binds every listener for every worker and the admin listener (so address errors surface
    /// before anything runs), then starts the workers and returns once all of them accept.
    public func start() throws {
        let runtime = self.runtime
        let workerCount = runtime.configuration.workers
        var sockets: [[Int32]] = []
        do {
            for _ in 0..<workerCount {
                sockets.append(try runtime.listeners.map { try openListeningSocket($0.address) })
            }
        } catch {
            for fds in sockets { for fd in fds { close(fd) } }
            throw error
        }
        let adminSocket: Int32?
        do {
            adminSocket = try runtime.configuration.admin.map { try openListeningSocket($0.address, backlog: 64) }
        } catch {
            for fds in sockets { for fd in fds { close(fd) } }
            throw error
        }
        let ready = WorkerBarrier(count: workerCount)
        for index in 0..<workerCount {
            let fds = sockets[index]
            let events = self.events
            let accessLog = self.accessLog
            let log = self.log
            threads.append(startThread {
                gw_block_control_signals()
                let loop = EventLoop()
                let worker = Worker(index: index, loop: loop, runtime: runtime, events: events, accessLog: accessLog)
                worker.redis = runtime.configuration.redis.map { RedisClient(loop: loop, config: $0, log: log) }
                worker.startListening(fds: fds)
                ready.arrive(worker)
                loop.run()
            })
        }
        workers = ready.wait()
        for listener in runtime.listeners {
            log("listening on \(listener.address) (\(listener.name)\(listener.tls == nil ? "" : ", tls"))")
        }
        if let adminSocket, let address = runtime.configuration.admin?.address {
            admin = AdminServer(server: self, fd: adminSocket)
            log("admin endpoints on http://\(address)")
        }
        log("started \(workerCount) worker(s), \(runtime.routes.count) route(s), config \(runtime.configuration.sourceHash)")
    }

    /// Starts, then serves until SIGTERM or SIGINT, drains and returns. SIGHUP reloads the
    /// config through `loadConfig` (when given); SIGUSR1 calls `onReopen` (log files are reopened
    /// after logrotate moved them).
    public func run(onReopen: @escaping () -> Void = {},
                    loadConfig: (@Sendable () -> Result<RuntimeConfig, ConfigDiagnostics>)? = nil) throws {
        // Handlers first: a signal that arrives while the workers start is not lost.
        let mainLoop = EventLoop()
        if let loadConfig { reloader = Reloader(server: self, load: loadConfig) }
        let signals = SignalHandlers(loop: mainLoop, signals: [SIGTERM, SIGINT, SIGUSR1, SIGHUP]) { [self] signal in
            switch signal {
            case SIGUSR1:
                log("signal \(signal): reopening files")
                onReopen()
            case SIGHUP:
                guard let reloader else {
                    log("signal \(signal): ignored (no config file to reload)")
                    return
                }
                log("signal \(signal): reloading \(runtime.configuration.path)")
                reloader.request()
            default:
                log("signal \(signal): draining (up to \(runtime.configuration.timeouts.drain))")
                mainLoop.stop()
            }
        }
        try start()
        mainLoop.run()
        withExtendedLifetime(signals) {}
        shutdown()
    }

    /// Stops accepting, lets in-flight exchanges finish (up to `timeouts.drain`), stops the
    /// workers and waits for their threads. `/ready` answers 503 from the start of the drain;
    /// the admin listener closes last.
    public func shutdown() {
        reloader?.stop()
        let drainTimeout = lifecycle.withLock { _ in
            state.withLock { state in
                state.draining = true
                return state.runtime.configuration.timeouts.drain
            }
        }
        let done = WorkerBarrier(count: workers.count)
        for worker in workers {
            worker.loop.execute {
                worker.drain(timeout: drainTimeout)
                done.arrive(worker)
            }
        }
        _ = done.wait()
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
        admin?.stop()
        admin = nil
        workers.removeAll()
        log("stopped")
    }
}

/// Blocks a thread until every worker has arrived, collecting them in index order.
final class WorkerBarrier: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var workers: [Worker?]
    private var arrived = 0

    init(count: Int) {
        workers = Array(repeating: nil, count: count)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    func arrive(_ worker: Worker) {
        pthread_mutex_lock(&mutex)
        workers[worker.index] = worker
        arrived += 1
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    func wait() -> [Worker] {
        pthread_mutex_lock(&mutex)
        while arrived < workers.count { pthread_cond_wait(&condition, &mutex) }
        pthread_mutex_unlock(&mutex)
        return workers.compactMap { $0 }
    }
}

/// Starts a joinable thread running `body`.
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let status = pthread_create(&thread, nil, { arg in
        Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box)
    precondition(status == 0, "pthread_create failed: \(status)")
    return thread
}
