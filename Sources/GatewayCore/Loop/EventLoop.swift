import CGatewayLibevent
import Glibc
import Synchronization

/// One libevent `event_base`, driven by exactly one thread.
///
/// Everything created on a loop (connections, timers, upstream pools) is confined to that loop's
/// thread; the only cross-thread entry point is ``execute(_:)``.
public final class EventLoop: @unchecked Sendable {
    let base: OpaquePointer
    /// Other threads wake the loop through an eventfd: libevent itself then needs no locking
    /// (no evthread_use_pthreads), which keeps mutexes off every event_add on the hot path.
    private let wakeupFD: Int32
    private let wakeup: OpaquePointer
    private let pending = Mutex<[@Sendable () -> Void]>([])
    /// A cached clock read, refreshed once per loop iteration by libevent.
    var now: timeval {
        var tv = timeval()
        event_base_gettimeofday_cached(base, &tv)
        return tv
    }

    /// Creates a loop. Call from the thread that will run it.
    public init() {
        EventLoop.setUpProcessOnce
        guard let base = event_base_new() else { fatalError("event_base_new failed") }
        self.base = base
        wakeupFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(wakeupFD >= 0, "eventfd failed")
        wakeup = event_new(base, wakeupFD, Int16(EV_READ | EV_PERSIST), eventLoopWakeup, nil)!
        event_assign(wakeup, base, wakeupFD, Int16(EV_READ | EV_PERSIST), eventLoopWakeup, Unmanaged.passUnretained(self).toOpaque())
        event_add(wakeup, nil)
    }

    deinit {
        event_free(wakeup)
        close(wakeupFD)
        event_base_free(base)
    }

    private static let setUpProcessOnce: Void = {
        gw_ignore_sigpipe()
    }()

    /// Runs until ``stop()``.
    public func run() {
        event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY)
    }

    /// Runs one iteration, waiting for at least one event. For tests that drive a loop by hand.
    package func runOnce() {
        event_base_loop(base, EVLOOP_ONCE)
    }

    /// Makes ``run()`` return after the current iteration. Loop thread only; from elsewhere,
    /// `execute { loop.stop() }`.
    public func stop() {
        event_base_loopbreak(base)
    }

    /// Runs `work` on the loop thread. Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        var one: UInt64 = 1
        _ = write(wakeupFD, &one, 8)
    }

    fileprivate func drainPending() {
        var count: UInt64 = 0
        _ = read(wakeupFD, &count, 8)
        let work = pending.withLock { queue -> [@Sendable () -> Void] in
            defer { queue.removeAll() }
            return queue
        }
        for item in work { item() }
    }
}

private func eventLoopWakeup(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<EventLoop>.fromOpaque(arg!).takeUnretainedValue().drainPending()
}

/// A one-shot timer on a loop. Loop-confined: create, schedule and cancel it on the loop thread
/// (it is Sendable only so filters can keep it in an exchange while suspended).
public final class LoopTimer: @unchecked Sendable {
    private var event: OpaquePointer?
    private let callback: () -> Void

    /// Creates a disarmed timer that calls `callback` on the loop's thread when it fires.
    public init(loop: EventLoop, _ callback: @escaping () -> Void) {
        self.callback = callback
        event = event_new(loop.base, -1, 0, loopTimerFired, nil)
        event_assign(event, loop.base, -1, 0, loopTimerFired, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { event_free(event) }

    /// Arms (or re-arms) the timer to fire once after `delay`.
    public func schedule(after delay: Duration) {
        var tv = timeval(duration: delay)
        event_add(event, &tv)
    }

    public func cancel() { event_del(event) }

    public var isArmed: Bool { event_pending(event, Int16(EV_TIMEOUT), nil) != 0 }

    fileprivate func fire() { callback() }
}

private func loopTimerFired(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<LoopTimer>.fromOpaque(arg!).takeUnretainedValue().fire()
}

extension timeval {
    init(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
