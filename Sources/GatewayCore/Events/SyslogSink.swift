import Glibc
import GatewayConfig
import GatewayNetwork

/// `type: syslog`: RFC 5424 messages with the event JSON as MSG, over UDP (one datagram each,
/// RFC 5426) or TCP (octet counting, RFC 6587):
///
///     <131>1 2026-03-01T12:34:56.789Z gw-1 gateway 4242 ip-denied [gateway@32473 id="..." action="blocked" rule="ip.deny" severity="73" trace="..." source="203.0.113.9"] {"@timestamp":...}
///
/// `gateway@32473` uses the enterprise number IANA reserves for documentation. The JSON is
/// ASCII (see ``JSONWriter``), so MSG needs no BOM.
final class SyslogSink: EventSink {
    let name: String
    let type = "syslog"
    private let config: SyslogSinkConfig
    /// HOSTNAME, APP-NAME and PROCID, with their separators.
    private let header: [UInt8]
    private var fd: Int32 = -1

    /// Connect and send timeout on TCP.
    static let timeout: Duration = .seconds(2)

    init(name: String, config: SyslogSinkConfig, hostname: String) {
        self.name = name
        self.config = config
        let host = config.hostname ?? SyslogSink.headerField(hostname, maxLength: 255)
        header = Array(" \(host) \(config.appName) \(getpid()) ".utf8)
    }

    deinit { close() }

    func payload(for record: EventRecord, json: [UInt8]) -> [UInt8] {
        let event = record.event
        // PRI: facility and the syslog severity nearest to the event's.
        let severity = switch event.severity {
        case .critical: 2
        case .high: 3
        case .medium: 4
        case .low: 5
        }
        var message = Array("<\(config.facility * 8 + severity)>1 ".utf8)
        message.reserveCapacity(json.count + 400)
        EventSerializer.appendTimestamp(record.timestampMilliseconds, to: &message)
        message.append(contentsOf: header)
        message.append(contentsOf: SyslogSink.headerField(event.name, maxLength: 32).utf8)
        message.append(contentsOf: " [gateway@32473".utf8)
        var parameters = [("id", record.id), ("action", event.action.rawValue), ("rule", event.ruleID),
                          ("severity", String(event.severity.rawValue))]
        if let requestID = record.requestID { parameters.append(("trace", requestID)) }
        if let source = record.sourceIP { parameters.append(("source", source.description)) }
        for (name, value) in parameters {
            message.append(contentsOf: " \(name)=\"".utf8)
            for byte in value.utf8.prefix(256) {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
                    message.append(contentsOf: [UInt8(ascii: "\\"), byte])
                case 0x20..<0x7F: message.append(byte)
                default: message.append(UInt8(ascii: "?"))  // keeps the header ASCII and on one line
                }
            }
            message.append(UInt8(ascii: "\""))
        }
        message.append(contentsOf: "] ".utf8)
        message.append(contentsOf: json)
        return message
    }

    func deliver(_ payloads: ArraySlice<[UInt8]>) -> Delivery {
        if config.transport == .tcp, fd >= 0, peerClosed() { close() }
        if fd < 0, let failure = connect() { return Delivery(count: 0, failure: failure) }
        switch config.transport {
        case .udp:
            for (index, payload) in payloads.enumerated() {
                if let error = writeFully(fd, payload, isSocket: true).error {
                    let failure = "cannot send to udp://\(config.address): \(systemErrorText(error))"
                    // Larger than a datagram can be: no retry will help.
                    if error == EMSGSIZE { return Delivery(count: index, failure: failure, rejectsNext: true) }
                    close()
                    return Delivery(count: index, failure: failure)
                }
            }
            return Delivery(count: payloads.count)
        case .tcp:
            var frames: [UInt8] = []
            var frameSizes: [Int] = []
            for payload in payloads {
                let prefix = Array("\(payload.count) ".utf8)
                frames.append(contentsOf: prefix)
                frames.append(contentsOf: payload)
                frameSizes.append(prefix.count + payload.count)
            }
            let (written, error) = writeFully(fd, frames, isSocket: true)
            guard let error else { return Delivery(count: payloads.count) }
            // The receiver discards a frame cut short by the close; it is sent again.
            close()
            return Delivery(count: wholeItems(frameSizes, in: written),
                            failure: "cannot send to tcp://\(config.address): \(systemErrorText(error))")
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Opens the socket; nil on success, else why not.
    private func connect() -> String? {
        let family = if case .v4 = config.address.ip { AF_INET } else { AF_INET6 }
        let kind = config.transport == .udp ? SOCK_DGRAM : SOCK_STREAM
        let socket = Glibc.socket(family, Int32(kind.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { return "cannot create a socket: \(systemErrorText())" }
        let url = "\(config.transport.rawValue)://\(config.address)"
        let status = config.address.withSockAddr { Glibc.connect(socket, $0, $1) }
        if status != 0 {
            var pending = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            let milliseconds = Int32(SyslogSink.timeout.components.seconds * 1000)
            var error: Int32 = errno
            if error == EINPROGRESS {
                if poll(&pending, 1, milliseconds) == 1 {
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length)
                } else {
                    error = ETIMEDOUT
                }
            }
            if error != 0 {
                Glibc.close(socket)
                return "cannot connect to \(url): \(systemErrorText(error))"
            }
        }
        // Blocking from here on, bounded by a send timeout.
        _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) & ~O_NONBLOCK)
        var limit = timeval(tv_sec: Int(SyslogSink.timeout.components.seconds), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        fd = socket
        return nil
    }

    /// Whether a TCP receiver has closed its end. A send into a closed connection succeeds
    /// once before the reset, so without this check that one batch would be lost.
    private func peerClosed() -> Bool {
        var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pending, 1, 0) == 1 else { return false }
        var scratch = [UInt8](repeating: 0, count: 512)
        let count = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// An RFC 5424 header field: printable ASCII without spaces, else `-`.
    private static func headerField(_ text: String, maxLength: Int) -> String {
        (1...maxLength).contains(text.utf8.count) && text.utf8.allSatisfy { (0x21...0x7E).contains($0) } ? text : "-"
    }
}
