import CGatewayLibevent
import Glibc
import GatewayConfig

/// What one sink has done since the gateway started, for `/metrics` and logs.
public struct EventSinkStats: Sendable, Equatable {
    public var name: String
    /// `file`, `redis_stream` or `syslog`.
    public var type: String
    /// Events the sink accepted.
    public var delivered: Int
    /// Events waiting in memory.
    public var queued: Int
    /// Events waiting in the spool on disk.
    public var spooled: Int
    /// Events this sink will never get: memory and spool were full (or there is no spool).
    public var dropped: Int
    /// Why the sink is down, nil while it delivers.
    public var failure: String?
}

/// Delivers security events to the configured sinks (`events:`) without ever blocking a
/// worker: ``publish(_:)`` appends the record to a bounded hand-off under a lock held only for
/// that append, and one dispatcher thread serializes the events and talks to the sinks with
/// blocking I/O.
///
/// Each sink gets every event, in order and at least once (consumers deduplicate on
/// `event.id`): while a sink is down its events wait in a bounded memory queue, then in a
/// bounded on-disk spool, and are delivered when it is back, retried with back-off. What did
/// not fit is counted per sink (``stats``) and reported to that sink as an `events-dropped`
/// event once it delivers again.
///
/// ```swift
/// let events = try EventDispatcher(config: eventsConfig, observerName: hostname, log: log)
/// events.start()
/// let server = GatewayServer(runtime: runtime, events: events, log: log)
/// // SIGUSR1: events.reopen()
/// // after server.shutdown(): events.stop()
/// ```
public final class EventDispatcher: EventPublisher, @unchecked Sendable {
    private let channels: [SinkChannel]
    private let serializer: EventSerializer
    private let log: @Sendable (String) -> Void
    private let flushTimeout: Duration
    /// `events.alerts`, nil without rules. Dispatcher thread only, like the deny list writes.
    private let alerts: AlertEngine?
    private let denyList: TemporaryDenyList
    /// Shares the deny list through Redis, when alerts deny and `redis:` is configured.
    private let denySync: DenyListSync?
    /// Every `deny_list.sync_interval` while there are alert rules: expire keys, prune and
    /// share the deny list. In monotonic nanoseconds; nil without rules.
    private let tickInterval: UInt64?
    private var nextTick: UInt64 = 0

    // Shared with publishing threads, under `mutex`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeup = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Records waiting for the dispatcher thread: `queue`, and at least ``minimumIntake`` so
    /// that a burst is not dropped before the thread has woken up.
    private let intakeCapacity: Int
    static let minimumIntake = 1024
    private var intake: [EventRecord] = []
    /// Records refused because the intake was full, not yet counted by the sinks.
    private var intakeDrops = 0
    private var reopenRequested = false
    /// Set by `stop()`: flush until then (monotonic nanoseconds), then end.
    private var stopDeadline: UInt64?
    private var isWaiting = false
    private var isStopped = false
    private var thread: pthread_t?
    private var snapshot: [EventSinkStats] = []
    private var alertSnapshot: [AlertRuleStats] = []

    /// Opens every file sink and spool folder, so that a path the gateway cannot write fails
    /// at startup; network sinks connect on first use. `observerName` is `observer.name` and
    /// the syslog HOSTNAME (a host or instance name). Alert rules with `deny_for` fill
    /// `denyList` (the process-wide list `ip_access` reads, unless a test passes its own).
    public init(config: EventsConfig, observerName: String, log: @escaping @Sendable (String) -> Void = { _ in },
                denyList: TemporaryDenyList = .shared) throws(EventSinkError) {
        serializer = EventSerializer(observerName: observerName)
        self.log = log
        flushTimeout = config.flushTimeout
        alerts = config.alerts.isEmpty ? nil : AlertEngine(rules: config.alerts)
        self.denyList = denyList
        let denies = config.alerts.contains { $0.denyFor != nil }
        if denies { denyList.maxEntries = config.denyList.maxEntries }
        denySync = denies ? config.denyList.redis.map { DenyListSync(config: config.denyList, redis: $0, list: denyList, log: log) } : nil
        let (seconds, attoseconds) = config.denyList.syncInterval.components
        tickInterval = config.alerts.isEmpty ? nil : UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        intakeCapacity = max(config.queueCapacity, EventDispatcher.minimumIntake)
        var channels: [SinkChannel] = []
        for sinkConfig in config.sinks {
            let sink: any EventSink = switch sinkConfig.kind {
            case .file(let file): try FileSink(name: sinkConfig.name, config: file)
            case .redisStream(let stream): RedisStreamSink(name: sinkConfig.name, config: stream)
            case .syslog(let syslog): SyslogSink(name: sinkConfig.name, config: syslog, hostname: observerName)
            }
            let spool = try config.spoolDirectory.map { directory throws(EventSinkError) in
                try EventSpool(directory: directory + "/" + sinkConfig.name, maxBytes: config.spoolMaxBytes)
            }
            if let spool, spool.count > 0 { log("events: sink '\(sinkConfig.name)': \(spool.count) event(s) in the spool from an earlier run") }
            channels.append(SinkChannel(sink: sink, capacity: config.queueCapacity, spool: spool))
        }
        self.channels = channels
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(wakeup, &attributes)
        pthread_condattr_destroy(&attributes)
        snapshot = currentStats()
        alertSnapshot = alerts?.stats ?? []
    }

    deinit {
        pthread_cond_destroy(wakeup)
        pthread_mutex_destroy(mutex)
        wakeup.deallocate()
        mutex.deallocate()
    }

    /// Starts the dispatcher thread. Events published before are kept and delivered.
    public func start() {
        locked {
            guard thread == nil, stopDeadline == nil, !isStopped else { return }
            thread = startThread { [self] in
                gw_block_control_signals()
                // hiredis writes with write(2): a server gone away must be EPIPE, not SIGPIPE.
                var pipe = sigset_t()
                sigemptyset(&pipe)
                sigaddset(&pipe, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipe, nil)
                run()
            }
        }
    }

    /// Hands `record` to the dispatcher thread. Never blocks: when the hand-off is full (the
    /// dispatcher is stuck in a slow sink) the record is dropped and counted.
    public func publish(_ record: EventRecord) {
        locked {
            guard !isStopped, intake.count < intakeCapacity else {
                intakeDrops += 1
                return
            }
            intake.append(record)
            if isWaiting { pthread_cond_signal(wakeup) }
        }
    }

    /// Reopens the file sinks (call on SIGUSR1, after logrotate moved the files).
    public func reopen() {
        locked {
            reopenRequested = true
            if isWaiting { pthread_cond_signal(wakeup) }
        }
    }

    /// Delivers what it can within `timeout` (default: `events.flush_timeout`), spools the
    /// rest, closes the sinks and returns. Call after the workers stopped; later events are
    /// dropped and counted.
    public func stop(timeout: Duration? = nil) {
        let (seconds, attoseconds) = (timeout ?? flushTimeout).components
        let deadline = monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        let (isFirst, running): (Bool, pthread_t?) = locked {
            guard !isStopped, stopDeadline == nil else { return (false, nil) }
            stopDeadline = deadline
            if isWaiting { pthread_cond_signal(wakeup) }
            return (true, thread)
        }
        guard isFirst else { return }
        if let running {
            pthread_join(running, nil)
        } else {
            run()  // never started: flush on this thread
        }
    }

    /// Per sink, in config order.
    public var stats: [EventSinkStats] {
        locked {
            snapshot.map { stats in
                var stats = stats
                stats.dropped += intakeDrops
                return stats
            }
        }
    }

    /// Per alert rule, in config order (as of the dispatcher's last pass).
    public var alertStats: [AlertRuleStats] {
        locked { alertSnapshot }
    }

    // MARK: The dispatcher thread

    private struct Work {
        var records: [EventRecord]
        var intakeDrops: Int
        var reopen: Bool
        var stopDeadline: UInt64?
    }

    private func run() {
        while true {
            let work = nextWork()
            take(work)
            if let deadline = work.stopDeadline {
                finish(deadline: deadline)
                return
            }
            if let tickInterval, monotonicNanoseconds() >= nextTick {
                tick()
                nextTick = monotonicNanoseconds() + tickInterval
            }
            for channel in channels where channel.isReady(at: monotonicNanoseconds()) {
                deliver(channel)
            }
        }
    }

    /// Waits until there is something to do: records, a request, or a sink due for delivery.
    private func nextWork() -> Work {
        let sinksDue = channels.filter { !$0.isEmpty }.map { $0.failure == nil ? 0 : $0.retryAt }.min()
        let dueAt = tickInterval == nil ? sinksDue : min(sinksDue ?? .max, nextTick)
        let stats = currentStats()
        let alertStats = alerts?.stats ?? []
        return locked {
            snapshot = stats
            alertSnapshot = alertStats
            while intake.isEmpty, intakeDrops == 0, !reopenRequested, stopDeadline == nil {
                if let dueAt {
                    guard dueAt > monotonicNanoseconds() else { break }
                    var until = timespec(tv_sec: Int(dueAt / 1_000_000_000), tv_nsec: Int(dueAt % 1_000_000_000))
                    isWaiting = true
                    pthread_cond_timedwait(wakeup, mutex, &until)
                    isWaiting = false
                } else {
                    isWaiting = true
                    pthread_cond_wait(wakeup, mutex)
                    isWaiting = false
                }
            }
            defer {
                intake.removeAll(keepingCapacity: true)
                intakeDrops = 0
                reopenRequested = false
            }
            return Work(records: intake, intakeDrops: intakeDrops, reopen: reopenRequested, stopDeadline: stopDeadline)
        }
    }

    private func take(_ work: Work) {
        if work.reopen {
            for channel in channels { channel.sink.reopen() }
        }
        if work.intakeDrops > 0 {
            for channel in channels { channel.recordDrops(work.intakeDrops) }
        }
        for record in work.records {
            enqueue(record)
            if let alerts {
                for alert in alerts.evaluate(record) { raise(alert) }
            }
        }
    }

    private func enqueue(_ record: EventRecord) {
        let json = serializer.json(record)
        for channel in channels {
            // A burst larger than the queue goes out, rather than to the spool, while the sink is up.
            if channel.isFull, channel.isReady(at: monotonicNanoseconds()) { deliver(channel) }
            channel.enqueue(channel.sink.payload(for: record, json: json))
        }
    }

    // MARK: Alerts and the temporary deny list

    /// Delivers a fired alert like any event and, with `deny_for`, denies the address.
    private func raise(_ alert: FiredAlert) {
        let now = EventRecord.now()
        var denyUntil: Int64?
        if let denyFor = alert.rule.denyFor, let ip = alert.sourceIP {
            let until = max(now, alert.lastSeen) + durationMilliseconds(denyFor)
            denyList.add(ip, until: until, alert: alert.rule.name)
            denySync?.added(ip, until: until, alert: alert.rule.name)
            denyUntil = until
        }
        let record = alert.record(denyUntil: denyUntil, now: now)
        log("alert '\(alert.rule.name)': \(record.event.reason ?? "")")
        enqueue(record)
    }

    /// Periodic upkeep: forget stale alert keys, drop ended denies, share the list.
    private func tick() {
        let now = EventRecord.now()
        alerts?.expire(now: now)
        denyList.prune(now: now)
        denySync?.sync(now: now)
    }

    /// A few batches for one sink (then the intake gets a look again), logging when it goes
    /// down or comes back, and reporting drops once it delivers.
    private func deliver(_ channel: SinkChannel) {
        let wasUp = channel.failure == nil
        channel.deliver(batches: 8)
        let name = "events: sink '\(channel.sink.name)' (\(channel.sink.type))"
        switch (wasUp, channel.failure) {
        case (true, let failure?):
            log("\(name) is down: \(failure); keeping events (\(channel.queued) queued, \(channel.spooled) spooled) and retrying")
        case (false, nil):
            log("\(name) delivers again")
        default:
            break
        }
        if channel.failure == nil, channel.unreportedDrops > 0 {
            let count = channel.takeUnreportedDrops()
            log("\(name) dropped \(count) event(s)")
            let record = droppedReport(count: count, sink: channel.sink)
            channel.enqueue(channel.sink.payload(for: record, json: serializer.json(record)))
        }
    }

    /// The `events-dropped` event: a gap in this sink's record of events.
    private func droppedReport(count: Int, sink: any EventSink) -> EventRecord {
        EventRecord(event: SecurityEvent(
            name: "events-dropped", action: .flagged, severity: .high, ruleID: "events.dropped",
            ruleName: "security events dropped", ruleCategory: "events", category: ["process"], type: ["info"],
            kind: "pipeline_error",
            reason: "\(count) security event(s) for sink '\(sink.name)' were dropped: more came than its queue and spool could hold",
            details: ["sink": sink.name, "sink_type": sink.type, "dropped_count": String(count)]))
    }

    /// Delivers until every sink is empty or the deadline passes, then spools what is left.
    private func finish(deadline: UInt64) {
        while true {
            let now = monotonicNanoseconds()
            guard now < deadline, channels.contains(where: { !$0.isEmpty }) else { break }
            let ready = channels.filter { $0.isReady(at: now) }
            for channel in ready { deliver(channel) }
            if ready.isEmpty {
                let next = min(deadline, channels.filter { !$0.isEmpty }.map(\.retryAt).min() ?? deadline)
                var pause = timespec(tv_sec: 0, tv_nsec: Int(min(next - min(next, now), 100_000_000)))
                nanosleep(&pause, nil)
            }
            take(takeIntake(closing: false))
        }
        // From here on publish() refuses; what came in meanwhile is spooled with the rest.
        take(takeIntake(closing: true))
        // Denies this instance added but could not share yet: one last try.
        if let denySync, denySync.hasPending { denySync.sync(now: EventRecord.now()) }
        for channel in channels {
            channel.persist()
            let name = "events: sink '\(channel.sink.name)'"
            if channel.spooled > 0 { log("\(name): \(channel.spooled) event(s) left in the spool for the next start") }
            if channel.unreportedDrops > 0 { log("\(name): \(channel.unreportedDrops) event(s) dropped and not reported") }
        }
        let stats = currentStats()
        let alertStats = alerts?.stats ?? []
        locked {
            snapshot = stats
            alertSnapshot = alertStats
        }
    }

    /// Empties the intake without waiting; with `closing`, publish() refuses from then on.
    private func takeIntake(closing: Bool) -> Work {
        locked {
            defer {
                intake.removeAll()
                intakeDrops = 0
            }
            if closing { isStopped = true }
            return Work(records: intake, intakeDrops: intakeDrops, reopen: false, stopDeadline: nil)
        }
    }

    private func currentStats() -> [EventSinkStats] {
        channels.map {
            EventSinkStats(name: $0.sink.name, type: $0.sink.type, delivered: $0.delivered, queued: $0.queued,
                           spooled: $0.spooled, dropped: $0.dropped, failure: $0.failure)
        }
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
