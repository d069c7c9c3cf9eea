// Loopback sockets over plain POSIX calls: free ports, reserved (refusing) ports, a
// black-hole listener, and a raw connection that sends exact bytes and reads with deadlines.
//
// Every descriptor is opened with CLOEXEC so that no child process (spawned by a parallel
// test) inherits it.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Addresses

/// A resolved loopback address (127.0.0.1 or ::1 style literals only).
struct SocketAddress {
    let family: Int32
    private var storage = sockaddr_storage()
    let length: socklen_t

    init(host: String, port: UInt16) throws {
        if host.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else { throw HarnessError("bad IPv6 literal \(host)") }
            family = AF_INET6
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: a) { dst.copyMemory(from: $0) } }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw HarnessError("bad IPv4 literal \(host)") }
            family = AF_INET
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: a) { dst.copyMemory(from: $0) } }
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}

private func newSocket(_ family: Int32, nonBlocking: Bool = false) throws -> Int32 {
    var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
    let fd = socket(family, type, 0)
    guard fd >= 0 else { throw HarnessError("socket: \(errnoText())") }
    return fd
}

// MARK: - Reserved ports

/// A port that is bound but not listening, held for as long as this object lives: a connect
/// to it is refused at once, and nobody else can start listening on it meanwhile.
/// This is the "dead upstream target".
final class ReservedPort: @unchecked Sendable {
    let port: UInt16
    private var fd: Int32

    init() throws {
        let addr = try SocketAddress(host: "127.0.0.1", port: 0)
        let sock = try newSocket(addr.family)
        guard addr.withSockaddr({ bind(sock, $0, $1) }) == 0, let p = Ports.boundPort(sock) else {
            let e = errnoText()
            Glibc.close(sock)
            throw HarnessError("bind: \(e)")
        }
        fd = sock
        port = p
    }

    var address: String { "127.0.0.1:\(port)" }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}

/// A listener whose accept queue is full (backlog 0, one connection parked in it, never
/// accepted): the kernel drops further SYNs, so a connect to it hangs until the client's
/// own connect timeout. Loopback-only stand-in for an unreachable upstream.
final class BlackholeListener: @unchecked Sendable {
    let port: UInt16
    private var fds: [Int32] = []

    init() throws {
        let addr = try SocketAddress(host: "127.0.0.1", port: 0)
        let lfd = try newSocket(addr.family)
        guard addr.withSockaddr({ bind(lfd, $0, $1) }) == 0, listen(lfd, 0) == 0, let p = Ports.boundPort(lfd) else {
            let e = errnoText()
            Glibc.close(lfd)
            throw HarnessError("black-hole listener: \(e)")
        }
        fds.append(lfd)
        port = p
        // Fill the accept queue: the first connect completes and stays queued; a second
        // (non-blocking) one may complete or stay in SYN_SENT; either way the queue is full.
        for _ in 0..<2 {
            let target = try SocketAddress(host: "127.0.0.1", port: p)
            let fd = try newSocket(target.family, nonBlocking: true)
            fds.append(fd)
            _ = target.withSockaddr { Glibc.connect(fd, $0, $1) }
        }
        sleepSeconds(0.05)
    }

    var address: String { "127.0.0.1:\(port)" }

    func close() {
        for fd in fds { Glibc.close(fd) }
        fds = []
    }

    deinit { close() }
}

// MARK: - Raw connection

/// One TCP connection: sends exact bytes, reads with deadlines, parses HTTP/1.x responses,
/// and tells whether the peer closed the connection.
final class RawConnection: @unchecked Sendable {
    private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The peer closed (EOF) or reset the connection.
    private(set) var peerClosed = false
    private(set) var peerReset = false
    let port: UInt16

    init(host: String = "127.0.0.1", port: UInt16, timeout: Double = 10) throws {
        self.port = port
        let addr = try SocketAddress(host: host, port: port)
        fd = try newSocket(addr.family, nonBlocking: true)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = addr.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 {
            guard errno == EINPROGRESS else {
                let e = errnoText()
                Glibc.close(fd)
                throw HarnessError("connect \(host):\(port): \(e)")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let deadline = Deadline(timeout)
            var n: Int32
            repeat { n = Glibc.poll(&pfd, 1, deadline.pollMilliseconds) } while n < 0 && errno == EINTR
            guard n == 1 else {
                Glibc.close(fd)
                throw HarnessError("connect \(host):\(port): timed out after \(timeout)s")
            }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            guard err == 0 else {
                Glibc.close(fd)
                throw HarnessError("connect \(host):\(port): \(errnoText(err))")
            }
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Half-close: no more bytes from us.
    func shutdownWrite() { if fd >= 0 { shutdown(fd, Int32(SHUT_WR)) } }

    /// Bytes received but not consumed yet.
    var pendingBytes: Int { buffer.count - readIndex }

    // ------------------------------------------------------------------ sending

    func send(_ text: String, timeout: Double = 30) throws { try send(Array(text.utf8), timeout: timeout) }

    /// Sends all bytes (fails if the peer closed or the deadline passes).
    func send(_ bytes: [UInt8], timeout: Double = 30) throws {
        try bytes.withUnsafeBytes { try send(raw: $0, timeout: timeout) }
    }

    func send(raw: UnsafeRawBufferPointer, timeout: Double = 30) throws {
        guard fd >= 0 else { throw HarnessError("send on a closed connection") }
        let deadline = Deadline(timeout)
        var offset = 0
        while offset < raw.count {
            let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let r = Glibc.poll(&pfd, 1, deadline.pollMilliseconds)
                if r == 0 && deadline.expired {
                    throw HarnessError("send timed out after \(timeout)s (\(offset)/\(raw.count) bytes sent)")
                }
                continue
            }
            throw HarnessError("send failed after \(offset)/\(raw.count) bytes: \(errnoText())")
        }
    }

    /// Sends bytes one slice at a time with a pause in between (slow clients).
    func sendSlowly(_ bytes: [UInt8], pieceSize: Int = 1, pause: Double) throws {
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + pieceSize)
            try send(Array(bytes[i..<end]))
            i = end
            if i < bytes.count { sleepSeconds(pause) }
        }
    }

    // ------------------------------------------------------------------ receiving

    /// Receives more bytes into the buffer; returns how many (0 = EOF or reset).
    /// Throws when the deadline passes with nothing received.
    @discardableResult
    func fill(_ deadline: Deadline) throws -> Int {
        guard fd >= 0 else { throw HarnessError("read on a closed connection") }
        if peerClosed { return 0 }
        if readIndex > 0 && (readIndex == buffer.count || readIndex > (1 << 20)) {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        var scratch = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = scratch.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: scratch[0..<n])
                return n
            }
            if n == 0 { peerClosed = true; return 0 }
            let e = errno
            if e == EINTR { continue }
            if e == ECONNRESET || e == EPIPE { peerClosed = true; peerReset = true; return 0 }
            if e == EAGAIN || e == EWOULDBLOCK {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = Glibc.poll(&pfd, 1, deadline.pollMilliseconds)
                if r == 0 && deadline.expired {
                    throw HarnessError("timed out waiting for data (\(pendingBytes) unparsed bytes: \(printable(unconsumed)))")
                }
                continue
            }
            throw HarnessError("recv: \(errnoText(e))")
        }
    }

    private var unconsumed: ArraySlice<UInt8> { buffer[readIndex...] }

    private func consume(_ n: Int) -> [UInt8] {
        let out = Array(buffer[readIndex..<(readIndex + n)])
        readIndex += n
        return out
    }

    private func indexOf(_ needle: [UInt8], from: Int) -> Int? {
        guard buffer.count - from >= needle.count else { return nil }
        var i = from
        let last = buffer.count - needle.count
        while i <= last {
            if buffer[i] == needle[0] {
                var ok = true
                for j in 1..<needle.count where buffer[i + j] != needle[j] { ok = false; break }
                if ok { return i }
            }
            i += 1
        }
        return nil
    }

    /// One CRLF-terminated line (without the CRLF).
    func readLine(_ deadline: Deadline, limit: Int = 64 * 1024) throws -> [UInt8] {
        var scanned = 0   // pending bytes already searched (indices move when fill compacts)
        while true {
            if let i = indexOf([13, 10], from: readIndex + scanned) {
                let line = consume(i - readIndex)
                readIndex += 2
                return line
            }
            scanned = max(0, pendingBytes - 1)
            if pendingBytes > limit { throw HarnessError("line longer than \(limit) bytes") }
            if try fill(deadline) == 0 {
                throw HarnessError("connection closed in the middle of a line: \(printable(unconsumed))")
            }
        }
    }

    /// Exactly `count` bytes, handed to `sink` piece by piece.
    func readExactly(_ count: Int, _ deadline: Deadline, sink: (ArraySlice<UInt8>) throws -> Void) throws {
        var left = count
        while left > 0 {
            if pendingBytes == 0 {
                if try fill(deadline) == 0 {
                    throw HarnessError("connection closed with \(left) of \(count) body bytes missing")
                }
            }
            let k = min(left, pendingBytes)
            try sink(buffer[readIndex..<(readIndex + k)])
            readIndex += k
            left -= k
        }
    }

    /// Everything until the peer closes.
    func readToEOF(_ deadline: Deadline, sink: (ArraySlice<UInt8>) throws -> Void) throws {
        while true {
            if pendingBytes > 0 {
                try sink(buffer[readIndex...])
                readIndex = buffer.count
            }
            if try fill(deadline) == 0 { return }
        }
    }

    /// Reads the next response (a 1xx interim one included). `sink` receives the body when
    /// given (the returned body is then empty); otherwise the body is collected.
    func readResponse(
        method: String = "GET", timeout: Double = 30,
        sink: ((ArraySlice<UInt8>) throws -> Void)? = nil
    ) throws -> HTTPResponse {
        let deadline = Deadline(timeout)
        var scanned = 0   // pending bytes already searched (indices move when fill compacts)
        var headEnd: Int
        while true {
            if let i = indexOf([13, 10, 13, 10], from: readIndex + scanned) { headEnd = i; break }
            scanned = max(0, pendingBytes - 3)
            if try fill(deadline) == 0 {
                throw HarnessError(pendingBytes == 0
                    ? "connection closed before any response byte\(peerReset ? " (reset)" : "")"
                    : "connection closed inside a response head: \(printable(unconsumed))")
            }
        }
        let headBytes = consume(headEnd - readIndex)
        readIndex += 4
        var response = try HTTPResponse(head: headBytes)

        var collected = [UInt8]()
        let deliver: (ArraySlice<UInt8>) throws -> Void = { piece in
            if let sink { try sink(piece) } else { collected.append(contentsOf: piece) }
        }
        if response.status < 200 || response.status == 204 || response.status == 304 || method == "HEAD" {
            // no body
        } else if let te = response.header("Transfer-Encoding") {
            guard te.lowercased().split(separator: ",").last?.trimmingCharacters(in: .whitespaces) == "chunked" else {
                throw HarnessError("response with Transfer-Encoding \(te) (not chunked)")
            }
            response.chunked = true
            while true {
                let line = try readLine(deadline)
                let sizeText = String(decoding: line, as: UTF8.self).split(separator: ";", maxSplits: 1).first
                    .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard let size = Int(sizeText, radix: 16), size >= 0 else {
                    throw HarnessError("bad chunk size line in response: \(printable(line))")
                }
                if size == 0 {
                    while try !readLine(deadline).isEmpty {}   // trailers
                    break
                }
                try readExactly(size, deadline, sink: deliver)
                guard try readLine(deadline).isEmpty else { throw HarnessError("chunk data not followed by CRLF") }
            }
        } else if let cl = response.header("Content-Length") {
            guard let n = Int(cl.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw HarnessError("bad Content-Length in response: \(cl)")
            }
            try readExactly(n, deadline, sink: deliver)
        } else {
            response.closeDelimited = true
            try readToEOF(deadline, sink: deliver)
        }
        response.body = collected
        return response
    }

    /// The final response, after any 1xx interim responses (returned in `interim`).
    func readFinalResponse(method: String = "GET", timeout: Double = 30) throws -> HTTPResponse {
        let deadline = Deadline(timeout)
        var interim = [HTTPResponse]()
        while true {
            var r = try readResponse(method: method, timeout: max(0.001, deadline.remaining))
            if r.status >= 200 {
                r.interim = interim
                return r
            }
            interim.append(r)
        }
    }

    enum CloseState: Equatable {
        case closed          // EOF or reset, nothing else received
        case data([UInt8])   // the peer sent more bytes (then maybe closed)
        case open            // still open when the wait ended
    }

    /// Waits until the peer closes the connection. Unread buffered bytes count as `data`.
    func waitForClose(timeout: Double = 10) -> CloseState {
        let deadline = Deadline(timeout)
        while true {
            if peerClosed { return pendingBytes > 0 ? .data(Array(unconsumed)) : .closed }
            do {
                if try fill(deadline) == 0 {
                    return pendingBytes > 0 ? .data(Array(unconsumed)) : .closed
                }
            } catch {
                return pendingBytes > 0 ? .data(Array(unconsumed)) : .open
            }
        }
    }

    /// True when nothing arrives and the peer does not close within `seconds`.
    func staysOpen(for seconds: Double) -> Bool {
        waitForClose(timeout: seconds) == .open
    }
}

// MARK: - HTTP messages

struct HTTPResponse: CustomStringConvertible {
    var version: String
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8] = []
    var chunked = false
    var closeDelimited = false
    var interim: [HTTPResponse] = []

    init(head: [UInt8]) throws {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            throw HarnessError("bad status line: \(printable(Array(statusLine.utf8)))")
        }
        version = String(parts[0])
        status = code
        reason = parts.count > 2 ? String(parts[2]) : ""
        headers = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw HarnessError("bad response header line: \(printable(Array(line.utf8)))")
            }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
    }

    /// First value of a header (case-insensitive name).
    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    /// Whether a comma-separated header (e.g. Connection) has `token`.
    func hasToken(_ header: String, _ token: String) -> Bool {
        headerValues(header).flatMap { $0.split(separator: ",") }
            .contains { $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(token) == .orderedSame }
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func json<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw HarnessError("response body is not the expected JSON (\(error)): \(printable(body))")
        }
    }

    /// The body parsed as a JSON object (nil if it is not one).
    var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    var description: String {
        var s = "\(version) \(status) \(reason)\n"
        for h in headers { s += "\(h.name): \(h.value)\n" }
        s += "\n" + printable(body, limit: 600)
        return s
    }
}

/// Builds exact request bytes.
enum RawRequest {
    /// `host: nil` sends no Host header. A body gets a Content-Length unless the headers
    /// already have Content-Length or Transfer-Encoding.
    static func make(
        _ method: String = "GET", _ target: String, version: String = "HTTP/1.1",
        host: String? = "gateway.test", headers: [(String, String)] = [], body: [UInt8]? = nil
    ) -> [UInt8] {
        var head = "\(method) \(target) \(version)\r\n"
        if let host { head += "Host: \(host)\r\n" }
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        let framed = headers.contains {
            $0.0.caseInsensitiveCompare("Content-Length") == .orderedSame
                || $0.0.caseInsensitiveCompare("Transfer-Encoding") == .orderedSame
        }
        if let body, !framed { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    /// A body in chunked encoding, with the given chunk sizes.
    static func chunked(_ body: [UInt8], chunkSize: Int = 1000) -> [UInt8] {
        var out = [UInt8]()
        var i = 0
        while i < body.count {
            let end = min(body.count, i + chunkSize)
            out += Array(String(end - i, radix: 16).utf8) + [13, 10]
            out += body[i..<end]
            out += [13, 10]
            i = end
        }
        out += Array("0\r\n\r\n".utf8)
        return out
    }
}

// MARK: - Keep-alive client

/// A small HTTP/1.1 client that keeps one connection open and counts how often it had to
/// (re)connect.
final class HTTPClient: @unchecked Sendable {
    let host: String
    let port: UInt16
    private(set) var connection: RawConnection?
    private(set) var connectionsOpened = 0

    init(host: String = "127.0.0.1", port: UInt16) {
        self.host = host
        self.port = port
    }

    deinit { close() }

    func close() {
        connection?.close()
        connection = nil
    }

    /// Sends one request and reads its final response. Reconnects only when the previous
    /// response ended the connection.
    func request(
        _ method: String = "GET", _ target: String, hostHeader: String? = "gateway.test",
        headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Double = 30
    ) throws -> HTTPResponse {
        if connection == nil {
            connection = try RawConnection(host: host, port: port)
            connectionsOpened += 1
        }
        let c = connection!
        try c.send(RawRequest.make(method, target, host: hostHeader, headers: headers, body: body), timeout: timeout)
        let r = try c.readFinalResponse(method: method, timeout: timeout)
        if r.hasToken("Connection", "close") || r.closeDelimited || c.peerClosed {
            close()
        }
        return r
    }
}

/// One request on a fresh connection, which is closed afterwards.
func oneRequest(
    port: UInt16, _ method: String = "GET", _ target: String, hostHeader: String? = "gateway.test",
    headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Double = 30
) throws -> HTTPResponse {
    let c = try RawConnection(port: port)
    defer { c.close() }
    try c.send(RawRequest.make(method, target, host: hostHeader, headers: headers, body: body), timeout: timeout)
    return try c.readFinalResponse(method: method, timeout: timeout)
}
