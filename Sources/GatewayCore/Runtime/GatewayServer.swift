import CGatewayLibevent
import Glibc
import GatewayConfig

/// The running gateway: worker threads, each with its own loop and listening sockets.
///
/// `gateway run` calls ``run(log:)``, which adds signal handling on the main thread; tests call
/// ``start()`` and ``shutdown()`` to run a gateway inside the test process.
public final class GatewayServer: @unchecked Sendable {
    private let runtime: RuntimeConfig
    private var workers: [Worker] = []
    private var threads: [pthread_t] = []
    private let log: @Sendable (String) -> Void
    private let events: any EventPublisher
    /// How long in-flight exchanges get to finish after SIGTERM/SIGINT.
    public var drainTimeout: Duration = .seconds(30)

    /// Without an `events` publisher, events are written to stderr.
    public init(runtime: RuntimeConfig, events: (any EventPublisher)? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.runtime = runtime
        self.events = events ?? StderrEventPublisher()
        self.log = log
    }

    /// Binds every listener for every worker (so address errors surface before anything
    /// runs), then starts the workers and returns once all of them accept.
    public func start() throws {
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
        let ready = WorkerStartBarrier(count: workerCount)
        for index in 0..<workerCount {
            let fds = sockets[index]
            let runtime = self.runtime
            let events = self.events
            let log = self.log
            threads.append(startThread {
                gw_block_control_signals()
                let loop = EventLoop()
                let worker = Worker(index: index, loop: loop, runtime: runtime, events: events)
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
        log("started \(workerCount) worker(s), \(runtime.routes.count) route(s)")
    }

    /// Starts, then serves until SIGTERM or SIGINT, drains and returns. SIGUSR1 calls `onReopen`
    /// (log files are reopened after logrotate moved them).
    public func run(onReopen: @escaping () -> Void = {}) throws {
        // Handlers first: a signal that arrives while the workers start is not lost.
        let mainLoop = EventLoop()
        let signals = SignalHandlers(loop: mainLoop, signals: [SIGTERM, SIGINT, SIGUSR1]) { [self] signal in
            if signal == SIGUSR1 {
                log("signal \(signal): reopening files")
                onReopen()
                return
            }
            log("signal \(signal): draining (up to \(drainTimeout))")
            mainLoop.stop()
        }
        try start()
        mainLoop.run()
        withExtendedLifetime(signals) {}
        shutdown()
    }

    /// Stops accepting, lets in-flight exchanges finish (up to ``drainTimeout``), stops the
    /// workers and waits for their threads.
    public func shutdown() {
        let done = WorkerStartBarrier(count: workers.count)
        for worker in workers {
            worker.loop.execute {
                worker.drain(timeout: self.drainTimeout)
                done.arrive(worker)
            }
        }
        _ = done.wait()
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
        workers.removeAll()
        log("stopped")
    }
}

/// Blocks a thread until every worker has arrived, collecting them in index order.
private final class WorkerStartBarrier: @unchecked Sendable {
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
