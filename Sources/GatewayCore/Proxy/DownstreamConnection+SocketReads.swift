import CGatewayLibevent
import Glibc

/// Reading plain-TCP clients without the bufferevent.
///
/// libevent's `evbuffer_read` asks the kernel for the readable size first (`ioctl(FIONREAD)`,
/// a syscall per read) and then reads at most 4 KiB, so a 4.2 KiB request costs two loop
/// iterations. Plain connections therefore keep their bufferevent for writing and events only
/// and read with one `recv` into space reserved in the same input buffer. TLS connections read
/// through `bufferevent_openssl` as before.
extension DownstreamConnection {
    /// Bytes reserved per read: a whole typical request; more while a body streams.
    private static let headReadSize = 16 * 1024
    private static let bodyReadSize = 64 * 1024

    /// Registers the read event (plain TCP only).
    func startSocketReads() {
        // A bufferevent keeps its input's end frozen except while it reads itself.
        evbuffer_unfreeze(input, 0)
        socketReadEvent = event_new(worker.loop.base, fd, Int16(EV_READ | EV_PERSIST), clientSocketReadable,
                                    Unmanaged.passUnretained(self).toOpaque())
        event_add(socketReadEvent, nil)
    }

    /// Starts or stops reading from the client, whichever way this connection reads.
    func setReading(_ enabled: Bool) {
        guard let socketReadEvent else {
            if enabled { bufferevent_enable(bev, Int16(EV_READ)) } else { bufferevent_disable(bev, Int16(EV_READ)) }
            return
        }
        guard enabled != socketReading else { return }
        socketReading = enabled
        if enabled { event_add(socketReadEvent, nil) } else { event_del(socketReadEvent) }
    }

    /// Input held beyond this (pipelined requests, a body the upstream is slow to take) stops
    /// reading until it is consumed: the bufferevent read watermark, for the socket path.
    var inputHighWater: Int { max(256 * 1024, worker.runtime.configuration.limits.maxHeaderBytes + 1) }

    fileprivate func readSocket() {
        let input = self.input
        if evbuffer_get_length(input) >= inputHighWater {
            inputFull = true
            setReading(false)
            return
        }
        let size = phase == .awaitingHead ? DownstreamConnection.headReadSize : DownstreamConnection.bodyReadSize
        switch receive(into: input, from: fd, upTo: size) {
        case .data:
            if bodyTimeoutArmed, socketReadEvent != nil {
                bodyTimer.schedule(after: worker.runtime.configuration.timeouts.body)
            }
            readable()
        case .closed:
            event(Int16(BEV_EVENT_EOF | BEV_EVENT_READING))
        case .failed:
            event(Int16(BEV_EVENT_ERROR | BEV_EVENT_READING))
        case .wouldBlock:
            break
        }
    }

    /// Reading resumes once what filled the input has been consumed.
    func resumeReadsIfDrained() {
        guard inputFull, phase != .closed, evbuffer_get_length(input) < inputHighWater / 2 else { return }
        inputFull = false
        if !clientReadPaused { setReading(true) }
    }

    func stopSocketReads() {
        if let socketReadEvent {
            event_free(socketReadEvent)
            self.socketReadEvent = nil
        }
    }
}

private func clientSocketReadable(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<DownstreamConnection>.fromOpaque(arg!).takeUnretainedValue().readSocket()
}
