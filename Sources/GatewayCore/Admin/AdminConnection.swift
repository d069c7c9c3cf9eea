import CGatewayLibevent
import Glibc
import GatewayHTTP

/// One admin client: reads one request head (16 KiB at most, within 5 s), answers, closes.
/// Admin-loop confined; keeps itself alive (an unmanaged +1) until ``close()``.
final class AdminConnection {
    private unowned let admin: AdminServer
    private let bev: OpaquePointer
    private var head = HTTPRequestHead()
    private var answered = false
    private var closed = false
    private static let parser = HTTPRequestParser()

    private init(admin: AdminServer, bev: OpaquePointer) {
        self.admin = admin
        self.bev = bev
    }

    static func start(fd: Int32, admin: AdminServer) {
        guard let bev = bufferevent_socket_new(admin.loop.base, fd, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)) else {
            Glibc.close(fd)
            admin.connectionClosed()
            return
        }
        let connection = AdminConnection(admin: admin, bev: bev)
        bufferevent_setcb(bev, adminRead, adminWrite, adminEvent, Unmanaged.passRetained(connection).toOpaque())
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        bufferevent_set_timeouts(bev, &timeout, &timeout)
        bufferevent_enable(bev, Int16(EV_READ | EV_WRITE))
    }

    fileprivate func readable() {
        guard !answered else { return }
        let input = bufferevent_get_input(bev)
        let length = min(evbuffer_get_length(input), AdminConnection.parser.limits.maxHeadBytes + 1)
        guard length > 0, let bytes = evbuffer_pullup(input, length) else { return }
        switch AdminConnection.parser.parse(UnsafeRawBufferPointer(start: bytes, count: length), into: &head) {
        case .incomplete:
            return
        case .failure(let error):
            send(.json(error.status, #"{"error":"bad request"}"#), method: nil)
        case .complete:
            answered = true
            bufferevent_disable(bev, Int16(EV_READ))
            let method = head.method
            admin.handle(head) { [self] response in send(response, method: method) }
        }
    }

    private func send(_ response: AdminResponse, method: HTTPMethod?) {
        guard !closed else { return }
        answered = true
        var responseHead = HTTPResponseHead(status: response.status)
        responseHead.headers.set("Content-Type", response.contentType)
        responseHead.headers.set("Content-Length", String(response.body.count))
        responseHead.headers.set("Cache-Control", "no-store")
        responseHead.headers.set("Connection", "close")
        var bytes: [UInt8] = []
        responseHead.serialize(into: &bytes)
        if method != .head { bytes.append(contentsOf: response.body) }
        bytes.withUnsafeBytes { _ = bufferevent_write(bev, $0.baseAddress, $0.count) }
    }

    fileprivate func writable() {
        if answered, evbuffer_get_length(bufferevent_get_output(bev)) == 0 { close() }
    }

    /// EOF, error or timeout. A response still being prepared (a readiness probe) finds the connection closed.
    fileprivate func close() {
        guard !closed else { return }
        closed = true
        bufferevent_free(bev)
        admin.connectionClosed()
        Unmanaged.passUnretained(self).release()
    }
}

private func adminRead(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<AdminConnection>.fromOpaque(arg!).takeUnretainedValue().readable()
}

private func adminWrite(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<AdminConnection>.fromOpaque(arg!).takeUnretainedValue().writable()
}

private func adminEvent(_ bev: OpaquePointer?, _ events: Int16, _ arg: UnsafeMutableRawPointer?) {
    Unmanaged<AdminConnection>.fromOpaque(arg!).takeUnretainedValue().close()
}
