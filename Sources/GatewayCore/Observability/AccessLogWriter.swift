import CGatewayLibevent
import Glibc
import GatewayConfig

/// Writes access log lines (`access_log:`) from one writer thread, so a slow disk never blocks
/// a worker: ``append(_:)`` copies a finished line into a bounded buffer under a lock held only
/// for that copy; the thread swaps the buffer out and writes it through the same ``FileSink``
/// the file event sink uses (rotation by `max_size`, reopen on SIGUSR1). When the buffer is
/// full the line is dropped and counted.
public final class AccessLogWriter: @unchecked Sendable {
    private let sink: FileSink
    private let capacity: Int
    let includeQuery: Bool
    private let log: @Sendable (String) -> Void
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeup = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Under `mutex`.
    private var pending: [UInt8] = []
    private var dropped = 0
    private var written = 0
    private var reopenRequested = false
    private var stopping = false
    private var thread: pthread_t?

    /// Opens (creating) the file, so a path the gateway cannot write fails at startup.
    public init(config: AccessLogConfig, log: @escaping @Sendable (String) -> Void) throws(EventSinkError) {
        sink = try FileSink(name: "access_log", config: config.file)
        capacity = config.bufferBytes
        includeQuery = config.includeQuery
        self.log = log
        pending.reserveCapacity(min(capacity, 1 << 20))
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeup, nil)
    }

    deinit {
        pthread_cond_destroy(wakeup)
        pthread_mutex_destroy(mutex)
        wakeup.deallocate()
        mutex.deallocate()
    }

    public func start() {
        locked {
            guard thread == nil else { return }
            thread = startThread { [self] in
                gw_block_control_signals()
                run()
            }
        }
    }

    /// Writes what is buffered and ends the thread. Call after the workers stopped.
    public func stop() {
        let running: pthread_t? = locked {
            stopping = true
            pthread_cond_signal(wakeup)
            defer { thread = nil }
            return thread
        }
        if let running { pthread_join(running, nil) }
    }

    /// Reopens the file (SIGUSR1, after logrotate moved it).
    public func reopen() {
        locked {
            reopenRequested = true
            pthread_cond_signal(wakeup)
        }
    }

    /// Lines written, and lines dropped because the buffer was full or the file failed.
    public var counts: (written: Int, dropped: Int) {
        locked { (written, dropped) }
    }

    /// Queues one line (without its newline). Never blocks beyond the copy.
    func append(_ line: [UInt8]) {
        locked {
            guard pending.count + line.count + 1 <= capacity, !stopping else {
                dropped += 1
                return
            }
            let wasEmpty = pending.isEmpty
            pending.append(contentsOf: line)
            pending.append(UInt8(ascii: "\n"))
            if wasEmpty { pthread_cond_signal(wakeup) }
        }
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            let (reopen, stop): (Bool, Bool) = locked {
                while pending.isEmpty, !reopenRequested, !stopping { pthread_cond_wait(wakeup, mutex) }
                swap(&batch, &pending)
                defer { reopenRequested = false }
                return (reopenRequested, stopping)
            }
            if reopen { sink.reopen() }
            if !batch.isEmpty { write(batch) }
            batch.removeAll(keepingCapacity: true)
            if stop {
                let rest: [UInt8] = locked { defer { pending.removeAll() }; return pending }
                if !rest.isEmpty { write(rest) }
                sink.close()
                return
            }
        }
    }

    /// The file sink takes lines; rotation happens between them.
    private func write(_ block: [UInt8]) {
        let lines = block.split(separator: UInt8(ascii: "\n")).map(Array.init)
        let delivery = sink.deliver(lines[...])
        if let failure = delivery.failure { log("access log: \(failure); \(lines.count - delivery.count) line(s) dropped") }
        locked {
            written += delivery.count
            dropped += lines.count - delivery.count
        }
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
