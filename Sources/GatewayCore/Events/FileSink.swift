import Glibc
import GatewayConfig

/// `type: file`: appends one JSON line per event. Reopens on ``reopen()`` (SIGUSR1, after an
/// external logrotate moved the file) and rotates by itself when `max_size` is set.
final class FileSink: EventSink {
    let name: String
    let type = "file"
    private let config: FileSinkConfig
    private var fd: Int32 = -1
    /// Bytes in the open file, for rotation.
    private var size = 0
    /// A write failed part way through a line: the next write first ends that fragment, so
    /// the retried line is not glued to it.
    private var endsMidLine = false

    /// Opens (creating) the file, so a path the gateway cannot write fails at startup.
    init(name: String, config: FileSinkConfig) throws(EventSinkError) {
        self.name = name
        self.config = config
        if let failure = open() { throw EventSinkError("events sink '\(name)': \(failure)") }
    }

    deinit { close() }

    func deliver(_ payloads: ArraySlice<[UInt8]>) -> Delivery {
        if fd < 0, let failure = open() { return Delivery(count: 0, failure: failure) }
        var delivered = 0
        var batch: [UInt8] = []
        var lineSizes: [Int] = []
        for payload in payloads {
            if let maxSize = config.maxSize, size + batch.count > 0, size + batch.count + payload.count + 1 > maxSize {
                if let failure = write(&batch, &lineSizes, delivered: &delivered) ?? rotate() {
                    return Delivery(count: delivered, failure: failure)
                }
            }
            batch.append(contentsOf: payload)
            batch.append(UInt8(ascii: "\n"))
            lineSizes.append(payload.count + 1)
        }
        let failure = write(&batch, &lineSizes, delivered: &delivered)
        return Delivery(count: delivered, failure: failure)
    }

    /// Writes and empties the batch, counting its complete lines as delivered.
    private func write(_ batch: inout [UInt8], _ lineSizes: inout [Int], delivered: inout Int) -> String? {
        defer {
            batch.removeAll(keepingCapacity: true)
            lineSizes.removeAll(keepingCapacity: true)
        }
        if endsMidLine {
            guard writeFully(fd, [UInt8(ascii: "\n")], isSocket: false).error == nil else { return "cannot write \(config.path)" }
            size += 1
            endsMidLine = false
        }
        let (written, error) = writeFully(fd, batch, isSocket: false)
        size += written
        let lines = wholeItems(lineSizes, in: written)
        delivered += lines
        guard let error else { return nil }
        endsMidLine = written > lineSizes.prefix(lines).reduce(0, +)
        return "cannot write \(config.path): \(systemErrorText(error))"
    }

    /// `path.<keep-1>` -> `path.<keep>`, ..., `path` -> `path.1`, then a new `path`.
    private func rotate() -> String? {
        close()
        endsMidLine = false
        for index in stride(from: config.keep - 1, through: 1, by: -1) {
            Glibc.rename("\(config.path).\(index)", "\(config.path).\(index + 1)")
        }
        if Glibc.rename(config.path, config.path + ".1") != 0, errno != ENOENT {
            return "cannot rotate \(config.path): \(systemErrorText())"
        }
        return open()
    }

    func reopen() {
        close()
        _ = open()  // on failure, the next delivery retries and reports it
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Opens the file for appending; nil on success, else why not.
    private func open() -> String? {
        fd = Glibc.open(config.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return "cannot open \(config.path): \(systemErrorText())" }
        var status = stat()
        fstat(fd, &status)
        size = Int(status.st_size)
        return nil
    }
}
