import CGatewayLibevent
import Glibc

/// The outcome of one ``receive(into:from:upTo:)``.
enum SocketRead {
    case data, closed, failed, wouldBlock
}

/// One `recv` of up to `size` bytes straight into free space at the end of `buffer`: no
/// `ioctl(FIONREAD)` first and no 4 KiB cap, unlike libevent's `evbuffer_read`.
func receive(into buffer: OpaquePointer, from fd: Int32, upTo size: Int) -> SocketRead {
    var vector = iovec()
    guard evbuffer_reserve_space(buffer, size, &vector, 1) > 0 else { return .wouldBlock }
    let received = recv(fd, vector.iov_base, vector.iov_len, 0)
    if received > 0 {
        vector.iov_len = received
        evbuffer_commit_space(buffer, &vector, 1)
        return .data
    }
    if received == 0 { return .closed }
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .wouldBlock : .failed
}
