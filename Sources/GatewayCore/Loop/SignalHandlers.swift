import CGatewayLibevent
import Glibc

/// Persistent libevent signal events on one loop, calling `handler` with the signal number.
final class SignalHandlers {
    private var events: [OpaquePointer] = []
    private let handler: (Int32) -> Void

    init(loop: EventLoop, signals: [Int32], handler: @escaping (Int32) -> Void) {
        self.handler = handler
        let me = Unmanaged.passUnretained(self).toOpaque()
        for signal in signals {
            let event = event_new(loop.base, signal, Int16(EV_SIGNAL | EV_PERSIST), signalFired, me)!
            event_add(event, nil)
            events.append(event)
        }
    }

    deinit {
        for event in events { event_free(event) }
    }

    fileprivate func fire(_ signal: Int32) { handler(signal) }
}

private func signalFired(_ signal: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<SignalHandlers>.fromOpaque(arg!).takeUnretainedValue().fire(signal)
}
