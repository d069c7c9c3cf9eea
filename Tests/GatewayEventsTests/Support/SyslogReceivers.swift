// Syslog receivers on loopback for the syslog sink tests: a UDP one (one message per
// datagram) and a TCP one that undoes octet-counting framing (RFC 6587).

import Foundation
import Glibc
import GatewayNetwork

/// A bound loopback socket of `type`, its port.
private func boundSocket(_ type: Int32) throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    try SocketAddress(ip: .v4(0x7f00_0001), port: 0).withSockAddr { address, length in
        guard bind(fd, address, length) == 0 else { throw HarnessError("bind: \(errno)") }
    }
    guard let port = Ports.boundPort(fd) else { throw HarnessError("getsockname: \(errno)") }
    return (fd, port)
}

/// Waits up to `timeout` seconds for `fd` to be readable.
private func readable(_ fd: Int32, timeout: Double) -> Bool {
    var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&pending, 1, Int32(timeout * 1000)) == 1
}

final class UDPReceiver: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32

    init() throws {
        (fd, port) = try boundSocket(Int32(SOCK_DGRAM.rawValue))
        // Room for a burst of events: loopback drops datagrams a full buffer cannot take.
        var size: Int32 = 16 << 20
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The next `count` datagrams, or fewer if `timeout` passes.
    func receive(_ count: Int, timeout: Double = 10) -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while messages.count < count, readable(fd, timeout: timeout) {
            let length = recv(fd, &buffer, buffer.count, 0)
            guard length > 0 else { break }
            messages.append(String(decoding: buffer[..<length], as: UTF8.self))
        }
        return messages
    }

    deinit { close(fd) }
}

final class TCPReceiver: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private var connection: Int32 = -1
    private var buffered: [UInt8] = []

    init() throws {
        (listener, self.port) = try boundSocket(Int32(SOCK_STREAM.rawValue))
        guard listen(listener, 8) == 0 else { throw HarnessError("listen: \(errno)") }
    }

    /// The next `count` octet-counted messages, or fewer if `timeout` passes. Accepts a new
    /// connection when the current one ends (as after ``dropConnection()``).
    func receive(_ count: Int, timeout: Double = 10) throws -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        while messages.count < count, Date() < deadline {
            if let message = try nextFrame() {
                messages.append(message)
                continue
            }
            if connection < 0 {
                guard readable(listener, timeout: deadline.timeIntervalSinceNow) else { break }
                connection = accept(listener, nil, nil)
                continue
            }
            guard readable(connection, timeout: max(0, deadline.timeIntervalSinceNow)) else { break }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let length = recv(connection, &chunk, chunk.count, 0)
            if length <= 0 {
                dropConnection()
            } else {
                buffered += chunk[..<length]
            }
        }
        return messages
    }

    /// Closes the current connection, as a restarting collector would (buffered bytes of a
    /// partial frame are discarded with it).
    func dropConnection() {
        if connection >= 0 { close(connection) }
        connection = -1
        buffered = []
    }

    /// `MSG-LEN SP SYSLOG-MSG`, if a whole frame is buffered.
    private func nextFrame() throws -> String? {
        guard let space = buffered.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        guard let length = Int(String(decoding: buffered[..<space], as: UTF8.self)), length > 0 else {
            throw HarnessError("bad frame length in \(String(decoding: buffered.prefix(40), as: UTF8.self))")
        }
        guard buffered.count >= space + 1 + length else { return nil }
        let message = String(decoding: buffered[(space + 1)..<(space + 1 + length)], as: UTF8.self)
        buffered.removeFirst(space + 1 + length)
        return message
    }

    deinit {
        dropConnection()
        close(listener)
    }
}
