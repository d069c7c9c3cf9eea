// Loopback ports for servers the tests start.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum Ports {
    /// A port that was free a moment ago (bind port 0, read it, close). Someone else may take
    /// it before it is used: callers that bind it later retry on EADDRINUSE.
    /// `type`: SOCK_STREAM (TCP) or SOCK_DGRAM (UDP); `host`: an IPv4 or IPv6 literal.
    public static func free(host: String = "127.0.0.1", type: Int32 = Int32(SOCK_STREAM.rawValue)) throws -> UInt16 {
        for _ in 0..<20 {
            let fd = try Loopback.socket(host, type: type)
            defer { close(fd) }
            guard try Loopback.withAddress(host, port: 0, { bind(fd, $0, $1) }) == 0 else { continue }
            if let port = boundPort(fd), port != 0 { return port }
        }
        throw HarnessError("no free port found: \(errnoText())")
    }

    /// The local port a bound socket got.
    public static func boundPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return nil }
        // sin_port and sin6_port are both at offset 2, in network order.
        return withUnsafeBytes(of: &storage) { UInt16($0[2]) << 8 | UInt16($0[3]) }
    }

    /// `count` distinct free TCP ports.
    public static func free(count: Int, host: String = "127.0.0.1") throws -> [UInt16] {
        var ports = [UInt16]()
        while ports.count < count {
            let p = try free(host: host)
            if !ports.contains(p) { ports.append(p) }
        }
        return ports
    }

    /// Whether something accepts TCP connections on host:port right now.
    public static func isAccepting(host: String = "127.0.0.1", port: UInt16, timeout: Double = 1) -> Bool {
        guard let fd = try? Loopback.socket(host, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)) else { return false }
        defer { close(fd) }
        guard let rc = try? Loopback.withAddress(host, port: port, { connect(fd, $0, $1) }) else { return false }
        if rc == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, Deadline(timeout).pollMilliseconds) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0
    }
}

private enum Loopback {
    static func isIPv6(_ host: String) -> Bool { host.contains(":") }

    static func socket(_ host: String, type: Int32) throws -> Int32 {
        let fd = Glibc.socket(isIPv6(host) ? AF_INET6 : AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errnoText())") }
        return fd
    }

    /// Calls `body` with `host:port` as a sockaddr.
    static func withAddress(_ host: String, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) throws -> Int32 {
        if isIPv6(host) {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else { throw HarnessError("not an IPv6 literal: \(host)") }
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw HarnessError("not an IPv4 literal: \(host)") }
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
}
