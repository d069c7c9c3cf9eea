import Glibc

/// One sink with its backlog and counters. Used by the dispatcher thread only.
///
/// The backlog is one FIFO in two parts: the oldest events in the spool, the newest in memory.
/// A new event goes to memory; when memory is full its oldest event moves to the spool's end
/// (or is dropped when there is no room). Delivery takes from the spool first, then memory, so
/// events leave in the order they came, whatever mix of outage and overflow happened.
final class SinkChannel {
    let sink: any EventSink
    private let spool: EventSpool?
    private let capacity: Int
    /// Payloads in memory, from `memoryHead` on.
    private var memory: [[UInt8]] = []
    private var memoryHead = 0

    private(set) var delivered = 0
    private(set) var dropped = 0
    /// Dropped since the last `events-dropped` report.
    private(set) var unreportedDrops = 0
    /// Why the last delivery failed; nil while the sink is up.
    private(set) var failure: String?
    /// While down: when to try again (monotonic nanoseconds).
    private(set) var retryAt: UInt64 = 0
    private var backoff = SinkChannel.firstBackoff

    /// Retry delays double from the first to the last.
    static let firstBackoff: UInt64 = 100_000_000
    static let lastBackoff: UInt64 = 2_000_000_000
    /// Events per `deliver` call.
    static let batchSize = 256

    init(sink: any EventSink, capacity: Int, spool: EventSpool?) {
        self.sink = sink
        self.capacity = capacity
        self.spool = spool
    }

    var queued: Int { memory.count - memoryHead }
    var spooled: Int { spool?.count ?? 0 }
    var isEmpty: Bool { queued == 0 && spooled == 0 }
    /// Whether the next event pushes one out of memory.
    var isFull: Bool { queued >= capacity }

    /// Whether there is something to deliver and it is time to try.
    func isReady(at now: UInt64) -> Bool {
        !isEmpty && (failure == nil || now >= retryAt)
    }

    /// Adds the newest event, moving the oldest in memory to the spool when memory is full.
    func enqueue(_ payload: [UInt8]) {
        if isFull {
            let oldest = memory[memoryHead]
            removeFromMemory(1)
            if spool?.append(oldest) != true { recordDrops(1) }
        }
        memory.append(payload)
    }

    /// Counts events this sink will never get.
    func recordDrops(_ count: Int) {
        dropped += count
        unreportedDrops += count
    }

    /// The drop count for an `events-dropped` report, reset.
    func takeUnreportedDrops() -> Int {
        defer { unreportedDrops = 0 }
        return unreportedDrops
    }

    /// Delivers up to `batches` batches, oldest first, stopping at the first failure, after
    /// which the sink is down until ``retryAt``.
    func deliver(batches: Int) {
        for _ in 0..<batches {
            let fromSpool = spooled > 0
            let batch = fromSpool ? spool!.peek(max: SinkChannel.batchSize)
                : memory[memoryHead..<min(memory.count, memoryHead + SinkChannel.batchSize)]
            if let spool { recordDrops(spool.takeLost()) }
            guard !batch.isEmpty else {
                if fromSpool { continue }  // the spool dropped an unreadable segment
                return
            }
            let result = sink.deliver(batch)
            let removed = result.count + (result.rejectsNext ? 1 : 0)
            if fromSpool { spool!.removeFirst(removed) } else { removeFromMemory(removed) }
            delivered += result.count
            if result.rejectsNext {
                recordDrops(1)
                continue
            }
            if let reason = result.failure {
                failure = reason
                retryAt = monotonicNanoseconds() + backoff
                backoff = min(backoff * 2, SinkChannel.lastBackoff)
                return
            }
            failure = nil
            backoff = SinkChannel.firstBackoff
        }
    }

    /// At shutdown: moves what is left in memory to the spool's end (or drops it), closes the
    /// spool and the sink.
    func persist() {
        while queued > 0 {
            let oldest = memory[memoryHead]
            removeFromMemory(1)
            if spool?.append(oldest) != true { recordDrops(1) }
        }
        spool?.close()
        sink.close()
    }

    private func removeFromMemory(_ count: Int) {
        memoryHead += count
        // Compact once the consumed part dominates, so appends stay amortised O(1).
        if memoryHead == memory.count {
            memory.removeAll(keepingCapacity: true)
            memoryHead = 0
        } else if memoryHead >= 1024, memoryHead * 2 >= memory.count {
            memory.removeFirst(memoryHead)
            memoryHead = 0
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
