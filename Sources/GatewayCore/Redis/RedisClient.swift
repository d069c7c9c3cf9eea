import CGatewayHiredis
import GatewayConfig
import Glibc

/// Why an asynchronous Redis call got no reply.
public enum RedisCallFailure: Error, Sendable, Equatable {
    /// No reply within the call's deadline (`redis.timeout`).
    case timeout
    /// Not sent: no connection, the connection broke, or the circuit breaker is open.
    case unavailable
}

/// A non-blocking Redis client on hiredis' async API, attached to one worker's event loop.
///
/// Every worker has its own (``Exchange/redis``); calls made during one loop iteration go out in
/// one write (pipelined), and replies come back in order. Each call has a deadline, enforced by
/// one loop timer for all calls in flight: a call that misses it completes with
/// ``RedisCallFailure/timeout`` and its late reply is ignored.
///
/// After `circuit_breaker.failures` failures in a row the breaker opens: the connection is
/// dropped and calls fail at once (no waiting on a dead server) for `open_for`, doubling up to
/// `max_open_for` while probes keep failing. When it elapses, one call is let through as a probe
/// (reconnecting first); its success closes the breaker. Connecting never blocks the loop: the
/// address was resolved when the config loaded, and hiredis connects non-blocking.
///
/// Confined to its loop's thread.
public final class RedisClient: @unchecked Sendable {
    public typealias Completion = (Result<RedisReply, RedisCallFailure>) -> Void

    private let loop: EventLoop
    private let config: RedisConfig
    private let log: @Sendable (String) -> Void
    private var context: UnsafeMutablePointer<redisAsyncContext>?
    /// Calls sent and not yet answered, oldest first; deadlines grow along it.
    private var inFlight: [PendingRedisCall] = []
    private var inFlightHead = 0
    private var deadlineTimer: LoopTimer!
    private var breaker: CircuitBreaker
    private var scripts: [RedisScript] = []
    /// The command being sent (loop thread only).
    private var argv = RedisArgv()
    /// Counters for metrics and tests.
    public private(set) var stats = Stats()

    public struct Stats: Sendable, Equatable {
        public var calls = 0
        public var replies = 0
        public var timeouts = 0
        /// Calls refused at once: no connection or breaker open.
        public var unavailable = 0
        public var connects = 0
        public var breakerOpenings = 0

        public init() {}

        static func + (a: Stats, b: Stats) -> Stats {
            Stats(calls: a.calls + b.calls, replies: a.replies + b.replies, timeouts: a.timeouts + b.timeouts,
                  unavailable: a.unavailable + b.unavailable, connects: a.connects + b.connects,
                  breakerOpenings: a.breakerOpenings + b.breakerOpenings)
        }

        init(calls: Int, replies: Int, timeouts: Int, unavailable: Int, connects: Int, breakerOpenings: Int) {
            self.calls = calls
            self.replies = replies
            self.timeouts = timeouts
            self.unavailable = unavailable
            self.connects = connects
            self.breakerOpenings = breakerOpenings
        }
    }

    public init(loop: EventLoop, config: RedisConfig, log: @escaping @Sendable (String) -> Void) {
        self.loop = loop
        self.config = config
        self.log = log
        breaker = CircuitBreaker(config.circuitBreaker)
        deadlineTimer = LoopTimer(loop: loop) { [unowned self] in self.expireCalls() }
    }

    deinit {
        if let context {
            // Pending callbacks run inside redisAsyncFree and must not reach a dying client.
            context.pointee.data = nil
            redisAsyncFree(context)
        }
    }

    /// The scripts to `SCRIPT LOAD` on every new connection, so `EVALSHA` rarely meets NOSCRIPT.
    public func preload(_ script: RedisScript) {
        guard !scripts.contains(where: { $0.sha1 == script.sha1 }) else { return }
        scripts.append(script)
        if let context { sendSetup(context, ["SCRIPT", "LOAD", script.source]) }
    }

    /// Sends one command. `completion` runs exactly once on the loop: with the reply (Redis
    /// errors are ``RedisReply/error(_:)`` replies), or with a failure — possibly before this
    /// returns, when the call is refused at once.
    public func call(_ arguments: [[UInt8]], completion: @escaping Completion) {
        guard let context = ready(completion) else { return }
        argv.reset()
        for argument in arguments { argv.append(argument) }
        send(context, completion: completion)
    }

    /// Runs a Lua script with `EVALSHA`, falling back to `EVAL` when the server lost it.
    /// The script is loaded on this and every later connection ahead of the call.
    public func evaluate(_ script: RedisScript, keys: [[UInt8]], arguments: [[UInt8]], completion: @escaping Completion) {
        preload(script)
        guard let context = ready(completion) else { return }
        argv.reset()
        argv.append(RedisClient.evalsha)
        argv.append(script.sha1.utf8)
        argv.append(keys.count)
        for key in keys { argv.append(key) }
        for argument in arguments { argv.append(argument) }
        send(context, completion: { [unowned self] result in
            if case .success(.error(let message)) = result, message.hasPrefix("NOSCRIPT") {
                self.call([Array("EVAL".utf8), Array(script.source.utf8), Array(String(keys.count).utf8)] + keys + arguments,
                          completion: completion)
            } else {
                completion(result)
            }
        })
    }

    private static let evalsha = Array("EVALSHA".utf8)

    /// The connection a call may use now; nil (after completing the call with a failure) while
    /// the breaker is open or no connection can be made.
    private func ready(_ completion: Completion) -> UnsafeMutablePointer<redisAsyncContext>? {
        stats.calls += 1
        guard breaker.allows(now: monotonicNanoseconds()) else {
            stats.unavailable += 1
            completion(.failure(.unavailable))
            return nil
        }
        guard let context = connection() else {
            stats.unavailable += 1
            failed()
            completion(.failure(.unavailable))
            return nil
        }
        return context
    }

    /// True while the breaker refuses calls.
    public var isBreakerOpen: Bool { breaker.isOpen }

    // MARK: - Connection

    private func connection() -> UnsafeMutablePointer<redisAsyncContext>? {
        if let context { return context }
        let made: UnsafeMutablePointer<redisAsyncContext>? = switch config.address {
        case .tcp(let address): redisAsyncConnect(address.ip.description, Int32(address.port))
        case .unix(let path): redisAsyncConnectUnix(path)
        }
        guard let made else { return nil }
        guard made.pointee.err == 0 else {
            log("redis: cannot connect to \(config.address): \(String(cString: made.pointee.errstr))")
            redisAsyncFree(made)
            return nil
        }
        made.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        redisLibeventAttach(made, loop.base)
        redisAsyncSetConnectCallback(made, redisClientConnected)
        redisAsyncSetDisconnectCallback(made, redisClientDisconnected)
        context = made
        stats.connects += 1
        // Queued ahead of the first call; hiredis writes them once connected.
        if let password = config.password { sendSetup(made, ["AUTH", password]) }
        if config.database != 0 { sendSetup(made, ["SELECT", String(config.database)]) }
        for script in scripts { sendSetup(made, ["SCRIPT", "LOAD", script.source]) }
        return made
    }

    fileprivate func connected(status: Int32, context: UnsafePointer<redisAsyncContext>) {
        guard status != REDIS_OK, isCurrent(context) else { return }
        // hiredis frees the context after this callback; its calls get NULL replies first.
        if !breaker.isOpen { log("redis: cannot connect to \(config.address): \(String(cString: context.pointee.errstr))") }
        self.context = nil
    }

    fileprivate func disconnected(status: Int32, context: UnsafePointer<redisAsyncContext>) {
        guard isCurrent(context) else { return }
        if status != REDIS_OK, !breaker.isOpen {
            log("redis: connection to \(config.address) lost: \(String(cString: context.pointee.errstr))")
        }
        self.context = nil
    }

    /// Callbacks of a context already dropped (breaker opened) must not clear its successor.
    private func isCurrent(_ context: UnsafePointer<redisAsyncContext>) -> Bool {
        self.context.map { UnsafePointer($0) == context } ?? false
    }

    // MARK: - Calls

    /// Queues a setup command (AUTH, SELECT, SCRIPT LOAD) ahead of what follows.
    private func sendSetup(_ context: UnsafeMutablePointer<redisAsyncContext>, _ arguments: [String]) {
        var setupArgv = RedisArgv(arguments.map { Array($0.utf8) })
        enqueue(context, &setupArgv, setup: true, completion: nil)
    }

    /// Queues the command in ``argv``.
    private func send(_ context: UnsafeMutablePointer<redisAsyncContext>, completion: @escaping Completion) {
        enqueue(context, &argv, setup: false, completion: completion)
    }

    private func enqueue(_ context: UnsafeMutablePointer<redisAsyncContext>, _ arguments: inout RedisArgv, setup: Bool,
                         completion: Completion?) {
        let deadline = monotonicNanoseconds() + config.timeout.nanoseconds
        let call = PendingRedisCall(deadline: deadline, setup: setup, completion: completion)
        let status = arguments.withArgv { count, argv, lengths in
            redisAsyncCommandArgv(context, redisClientReplied, Unmanaged.passRetained(call).toOpaque(), count, argv, lengths)
        }
        guard status == REDIS_OK else {
            // Not queued, so hiredis will never call back: balance the retain here.
            Unmanaged.passUnretained(call).release()
            stats.unavailable += 1
            completion?(.failure(.unavailable))
            return
        }
        inFlight.append(call)
        if !deadlineTimer.isArmed { deadlineTimer.schedule(after: config.timeout) }
    }

    fileprivate func replied(_ call: PendingRedisCall, reply: UnsafeMutablePointer<redisReply>?) {
        popAnswered()
        guard !call.isDone else { return }  // timed out earlier: the late reply is dropped
        call.isDone = true
        guard let reply else {
            failed()
            call.completion?(.failure(.unavailable))
            return
        }
        let value = RedisReply(UnsafePointer(reply))
        if call.setup, case .error(let message) = value {
            log("redis: setup command failed: \(message)")
        }
        stats.replies += 1
        breaker.succeeded()
        call.completion?(.success(value))
    }

    /// Drops answered calls from the head of the queue.
    private func popAnswered() {
        // hiredis answers in order: the call being answered is the oldest still queued.
        if inFlightHead < inFlight.count { inFlightHead += 1 }
        if inFlightHead == inFlight.count {
            inFlight.removeAll(keepingCapacity: true)
            inFlightHead = 0
        } else if inFlightHead >= 64, inFlightHead * 2 >= inFlight.count {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
    }

    private func expireCalls() {
        let now = monotonicNanoseconds()
        var index = inFlightHead
        var expired: [PendingRedisCall] = []
        while index < inFlight.count, inFlight[index].deadline <= now {
            let call = inFlight[index]
            if !call.isDone {
                call.isDone = true
                expired.append(call)
            }
            index += 1
        }
        if index < inFlight.count {
            deadlineTimer.schedule(after: .nanoseconds(Int64(inFlight[index].deadline - now)))
        }
        for call in expired {
            stats.timeouts += 1
            failed()
            call.completion?(.failure(.timeout))
        }
    }

    private func failed() {
        guard breaker.failed(now: monotonicNanoseconds()) else { return }
        stats.breakerOpenings += 1
        log("redis: \(breaker.consecutiveFailures) failures in a row; calls fail at once for \(Duration.nanoseconds(Int64(breaker.openFor)))")
        // Drop the connection: a stalled server would otherwise keep every later call waiting.
        if let context {
            self.context = nil
            redisAsyncFree(context)
        }
    }
}

/// One command waiting for its reply; retained by hiredis until the callback.
final class PendingRedisCall {
    let deadline: UInt64
    /// AUTH, SELECT, SCRIPT LOAD: not counted as calls, errors logged.
    let setup: Bool
    let completion: RedisClient.Completion?
    var isDone = false

    init(deadline: UInt64, setup: Bool, completion: RedisClient.Completion?) {
        self.deadline = deadline
        self.setup = setup
        self.completion = completion
    }
}

private func redisClientReplied(_ context: UnsafeMutablePointer<redisAsyncContext>?, _ reply: UnsafeMutableRawPointer?,
                                _ privdata: UnsafeMutableRawPointer?) {
    let call = Unmanaged<PendingRedisCall>.fromOpaque(privdata!).takeRetainedValue()
    guard let data = context?.pointee.data else { return }  // the client is going away
    Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue()
        .replied(call, reply: reply?.assumingMemoryBound(to: redisReply.self))
}

private func redisClientConnected(_ context: UnsafePointer<redisAsyncContext>?, _ status: Int32) {
    guard let context, let data = context.pointee.data else { return }
    Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue().connected(status: status, context: context)
}

private func redisClientDisconnected(_ context: UnsafePointer<redisAsyncContext>?, _ status: Int32) {
    guard let context, let data = context.pointee.data else { return }
    Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue().disconnected(status: status, context: context)
}

extension Duration {
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
