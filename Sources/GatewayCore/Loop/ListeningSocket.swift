import Glibc
import GatewayNetwork

/// Errors opening sockets, with the address and the system's reason.
public struct SocketError: Error, CustomStringConvertible {
    public let description: String
}

/// Opens a non-blocking listening TCP socket with SO_REUSEPORT, so each worker can bind its own
/// on the same address and the kernel spreads connections across them.
func openListeningSocket(_ address: SocketAddress, backlog: Int32 = 4096) throws -> Int32 {
    let family: Int32
    if case .v6 = address.ip { family = AF_INET6 } else { family = AF_INET }
    let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw SocketError(description: "\(address): socket: \(String(cString: strerror(errno)))") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
    if family == AF_INET6 {
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
    let bound = address.withSockAddr { bind(fd, $0, $1) }
    guard bound == 0, listen(fd, backlog) == 0 else {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw SocketError(description: "cannot listen on \(address): \(reason)")
    }
    return fd
}
