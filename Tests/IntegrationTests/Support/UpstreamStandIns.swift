// Stand-ins for broken upstreams that count what the gateway does to them, and the WebSocket
// client (Fixtures/wsclient.py).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A listener that accepts every connection and closes it at once, counting them: a target
/// that is up at the TCP level but never answers. Runs on its own thread until closed.
final class ClosingListener: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var count = 0
    private var stopped = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 128) == 0 else {
            let e = errnoText()
            Glibc.close(fd)
            throw HarnessError("closing listener: \(e)")
        }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var address: String { "127.0.0.1:\(port)" }

    /// Connections accepted so far.
    var accepted: Int { lock.withLock { count } }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return  // closed
            }
            lock.withLock { count += 1 }
            Glibc.close(client)
        }
    }

    /// Stops listening: the port refuses connections afterwards (until someone binds it).
    func close() {
        let wasStopped = lock.withLock { () -> Bool in
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }

    deinit { close() }
}

/// What Fixtures/wsclient.py reports.
struct WebSocketResult: Decodable, CustomStringConvertible {
    let status: Int
    let accept_ok: Bool
    let echoes: [Bool]
    let close_echoed: Bool
    let upgrade: String?
    let error: String?

    /// Handshake accepted and all four frames (text, 70000-byte binary, ping, close) echoed.
    var fullEcho: Bool { status == 101 && accept_ok && echoes == [true, true, true] && close_echoed && error == nil }

    var description: String {
        "status=\(status) accept_ok=\(accept_ok) echoes=\(echoes) close_echoed=\(close_echoed) upgrade=\(upgrade ?? "-") error=\(error ?? "-")"
    }

    /// Runs the client against 127.0.0.1:`port`; `tls` = (CA file, server name).
    static func run(port: UInt16, path: String = "/ws", tls: (ca: String, name: String)? = nil) throws -> WebSocketResult {
        var argv = [Paths.python3, Paths.webSocketClientScript, "--port", String(port), "--path", path]
        if let tls { argv += ["--tls", tls.ca, tls.name] }
        let r = try Command.run(argv, timeout: 60)
        do {
            return try JSONDecoder().decode(WebSocketResult.self, from: Data(r.stdout.utf8))
        } catch {
            throw HarnessError("wsclient.py gave no result: \(r)")
        }
    }
}
