import CGatewayLibevent
import Glibc
import GatewayConfig
import GatewayNetwork

/// How a reload ended, for the log, the admin endpoint and the `config-reload` event.
public enum ReloadOutcome: Sendable {
    case applied(hash: String)
    /// `PATH:LINE:COL: reason` lines, as `gateway check` prints them.
    case rejected(errors: [String])
}

extension GatewayServer {
    /// Loads, validates and applies a new config: everything heavy (YAML, plugins, certificates,
    /// binding new addresses) happens on the calling thread, never on a worker loop; the workers
    /// then swap snapshots between events. On any error the running config stays.
    func reload(load: () -> Result<RuntimeConfig, ConfigDiagnostics>) -> ReloadOutcome {
        let old = runtime
        let outcome: ReloadOutcome
        switch load() {
        case .failure(let diagnostics):
            outcome = .rejected(errors: diagnostics.errors.map(\.description))
        case .success(let new):
            outcome = apply(new, replacing: old)
        }
        report(outcome, old: old)
        return outcome
    }

    private func apply(_ new: RuntimeConfig, replacing old: RuntimeConfig) -> ReloadOutcome {
        // Sockets only for addresses not already open: a kept socket keeps its queued connections.
        var sockets = Array(repeating: [SocketAddress: Int32](), count: workers.count)
        for (index, listener) in new.listeners.enumerated() where old.listenerIndex(of: listener.address) == nil {
            do {
                for worker in 0..<workers.count { sockets[worker][listener.address] = try openListeningSocket(listener.address) }
            } catch {
                for fds in sockets { for fd in fds.values { close(fd) } }
                return .rejected(errors: ["\(new.configuration.listeners[index].addressLocation): \(error)"])
            }
        }
        let applied = lifecycle.withLock { _ -> Bool in
            guard !state.withLock({ $0.draining }) else { return false }
            let done = WorkerBarrier(count: workers.count)
            for worker in workers {
                let mine = sockets[worker.index]
                worker.loop.execute {
                    worker.apply(new, sockets: mine)
                    done.arrive(worker)
                }
            }
            _ = done.wait()
            state.withLock {
                $0.runtime = new
                $0.loadedAt = Int64(time(nil))
            }
            return true
        }
        guard applied else {
            for fds in sockets { for fd in fds.values { close(fd) } }
            return .rejected(errors: ["the gateway is draining"])
        }
        let restartOnly = [
            ("workers", old.configuration.workers != new.configuration.workers),
            ("admin", old.configuration.admin?.address != new.configuration.admin?.address),
            // Each worker's Redis client is made at start; key_prefix and limits do reload.
            ("redis", old.configuration.redis.map(redisConnection) != new.configuration.redis.map(redisConnection)),
        ].filter(\.1).map(\.0)
        if !restartOnly.isEmpty {
            log("reload: changes to \(restartOnly.joined(separator: ", ")) take effect at the next restart")
        }
        return .applied(hash: new.configuration.sourceHash)
    }

    /// Logs the outcome, counts it and raises a `config-reload` security event.
    private func report(_ outcome: ReloadOutcome, old: RuntimeConfig) {
        let path = old.configuration.path
        let event: SecurityEvent
        switch outcome {
        case .applied(let hash):
            state.withLock { $0.reloadsOK += 1 }
            let runtime = self.runtime
            log("reloaded \(path): config \(hash), \(runtime.listeners.count) listener(s), \(runtime.routes.count) route(s)")
            event = SecurityEvent(
                name: "config-reload", action: .allowed, severity: .low, ruleID: "config.reload", ruleName: "config reloaded",
                ruleCategory: "configuration", category: ["configuration"], type: ["change"], kind: "event",
                reason: "config reloaded: \(old.configuration.sourceHash) -> \(hash)",
                details: ["config_hash": hash, "previous_config_hash": old.configuration.sourceHash, "config_path": path])
        case .rejected(let errors):
            state.withLock { $0.reloadsFailed += 1 }
            for error in errors { log("reload rejected: \(error)") }
            log("reload rejected: \(errors.count) error(s); still running config \(old.configuration.sourceHash)")
            // The errors stay in the log: a message may quote a config value, and events leave the host.
            event = SecurityEvent(
                name: "config-reload", action: .blocked, severity: .medium, ruleID: "config.reload",
                ruleName: "config reload rejected", ruleCategory: "configuration", category: ["configuration"],
                type: ["change"], kind: "event",
                reason: "config reload rejected with \(errors.count) error(s); the running config stays",
                details: ["config_hash": old.configuration.sourceHash, "config_path": path, "error_count": String(errors.count)])
        }
        var record = EventRecord(event: event)
        if case .rejected = outcome { record.event.outcome = .failure }
        events.publish(record)
    }
}

/// Runs reloads one at a time on a thread of its own. Requests arriving during a reload are
/// coalesced into one more reload, whose outcome each of them gets.
final class Reloader: @unchecked Sendable {
    private unowned let server: GatewayServer
    private let load: @Sendable () -> Result<RuntimeConfig, ConfigDiagnostics>
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var waiting: [@Sendable (ReloadOutcome) -> Void] = []
    private var requested = false
    private var stopping = false
    private var thread: pthread_t?

    init(server: GatewayServer, load: @escaping @Sendable () -> Result<RuntimeConfig, ConfigDiagnostics>) {
        self.server = server
        self.load = load
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        thread = startThread { [self] in
            gw_block_control_signals()
            run()
        }
    }

    /// Asks for a reload; `completion` runs on the reload thread with its outcome.
    func request(completion: (@Sendable (ReloadOutcome) -> Void)? = nil) {
        pthread_mutex_lock(&mutex)
        requested = true
        if let completion { waiting.append(completion) }
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Finishes a reload in progress and ends the thread.
    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            while !requested, !stopping { pthread_cond_wait(&condition, &mutex) }
            let go = requested && !stopping
            let completions = waiting
            requested = false
            waiting.removeAll()
            pthread_mutex_unlock(&mutex)
            guard go else {
                for completion in completions { completion(.rejected(errors: ["the gateway is shutting down"])) }
                return
            }
            let outcome = server.reload(load: load)
            for completion in completions { completion(outcome) }
        }
    }
}

/// What a worker's Redis connection is made from.
private func redisConnection(_ redis: RedisConfig) -> String {
    "\(redis.address)|\(redis.database)|\(redis.password ?? "")|\(redis.timeout)|\(redis.circuitBreaker.failures)|\(redis.circuitBreaker.openFor)|\(redis.circuitBreaker.maxOpenFor)"
}
