import Glibc

/// A destination for security events (`events.sinks` entry).
///
/// Only the dispatcher thread calls a sink, so a sink may block within its own timeouts and
/// needs no locking; it must never be called on an event loop.
protocol EventSink: AnyObject {
    /// The configured name, for stats, logs and the spool folder.
    var name: String { get }
    /// The configured `type`: `file`, `redis_stream` or `syslog`.
    var type: String { get }
    /// What this sink sends for one event, as one line without its newline. Queues and spools
    /// hold payloads, so a spooled event goes out exactly as it would have.
    func payload(for record: EventRecord, json: [UInt8]) -> [UInt8]
    /// Sends `payloads` in order, stopping at the first failure.
    func deliver(_ payloads: ArraySlice<[UInt8]>) -> Delivery
    /// Reopens the sink's file, after an external rotation moved it (SIGUSR1).
    func reopen()
    /// Closes connections and files; a later `deliver` opens them again.
    func close()
}

extension EventSink {
    func payload(for record: EventRecord, json: [UInt8]) -> [UInt8] { json }
    func reopen() {}
}

/// What one ``EventSink/deliver(_:)`` call achieved.
struct Delivery {
    /// How many payloads, from the first, were delivered.
    var count: Int
    /// Why the next one was not, if it was not; the sink counts as down until a retry works.
    var failure: String?
    /// The failure is that one payload (the next) can never be delivered, say a datagram too
    /// large: it is dropped and counted instead of blocking the sink for good.
    var rejectsNext = false
}

/// A sink that cannot be set up (a file that cannot be opened, a spool folder that cannot be
/// created), reported when the gateway starts.
public struct EventSinkError: Error, Sendable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// `strerror` text for `code`.
func systemErrorText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

/// Writes all of `bytes` to a blocking file or socket (`send` without SIGPIPE), retrying on
/// EINTR. Returns how many bytes were written and the error that stopped it, if any.
func writeFully(_ fd: Int32, _ bytes: [UInt8], isSocket: Bool) -> (written: Int, error: Int32?) {
    bytes.withUnsafeBytes { buffer in
        var written = 0
        while written < buffer.count {
            let pointer = buffer.baseAddress! + written, count = buffer.count - written
            let result = isSocket ? send(fd, pointer, count, Int32(MSG_NOSIGNAL)) : write(fd, pointer, count)
            if result >= 0 {
                written += result
            } else if errno != EINTR {
                return (written, errno)
            }
        }
        return (written, nil)
    }
}

/// How many items of `sizes`, written back to back, are complete within the first `written`
/// bytes: what a batch delivered when a write stopped part way.
func wholeItems(_ sizes: [Int], in written: Int) -> Int {
    var total = 0
    for (index, size) in sizes.enumerated() {
        total += size
        if total > written { return index }
    }
    return sizes.count
}
