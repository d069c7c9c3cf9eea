import Glibc

/// One sink's events on disk while the sink is down: a bounded FIFO of payload lines in
/// append-only segment files `<folder>/<16-digit sequence>.spool`, read oldest first.
///
/// Lines are appended and never rewritten; a segment is deleted once all its lines are
/// delivered. Segments left by an earlier run are read first, from their start: delivery is at
/// least once, so a segment cut short by a crash may send a few events again. A line cut short
/// by a crash (no newline) is skipped.
final class EventSpool {
    private struct Segment {
        let sequence: UInt64
        /// Bytes on disk.
        var size: Int
        /// Complete lines not yet removed.
        var lines: Int
    }

    let directory: String
    private let maxBytes: Int
    private let segmentBytes: Int
    /// Oldest first.
    private var segments: [Segment] = []
    /// Bytes of all segments on disk, delivered lines included until their segment goes.
    private var totalBytes = 0
    /// Open on the last segment while it takes appends; segments from an earlier run never do.
    private var writeFD: Int32 = -1
    /// Open on the first segment.
    private var readFD: Int32 = -1
    /// Where the first segment's next unremoved line starts.
    private var readOffset = 0
    /// Lines read ahead from the first segment, from `readOffset`, with their newlines' bytes.
    private var head: [[UInt8]] = []
    private var headBytes = 0
    /// Lines lost to unreadable segments since the last ``takeLost()``.
    private var lost = 0

    /// Lines waiting.
    private(set) var count = 0

    /// Opens (creating) `directory` and takes over the segments already in it.
    init(directory: String, maxBytes: Int) throws(EventSinkError) {
        self.directory = directory
        self.maxBytes = maxBytes
        segmentBytes = max(64 << 10, min(maxBytes / 8, 8 << 20))
        try EventSpool.makeDirectory(directory)
        guard let folder = opendir(directory) else {
            throw EventSinkError("cannot read the spool folder \(directory): \(systemErrorText())")
        }
        defer { closedir(folder) }
        var sequences: [UInt64] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            if name.hasSuffix(".spool"), name.count == 22, let sequence = UInt64(name.prefix(16)) { sequences.append(sequence) }
        }
        for sequence in sequences.sorted() {
            let (size, lines) = EventSpool.measure(path(sequence))
            segments.append(Segment(sequence: sequence, size: size, lines: lines))
            totalBytes += size
            count += lines
        }
    }

    deinit { close() }

    /// Appends one line; false when the spool is full or the disk refuses it.
    func append(_ line: [UInt8]) -> Bool {
        let size = line.count + 1
        guard totalBytes + size <= maxBytes else { return false }
        if writeFD < 0 || segments[segments.count - 1].size + size > segmentBytes {
            let sequence = (segments.last?.sequence ?? 0) + 1
            if writeFD >= 0 { Glibc.close(writeFD) }
            writeFD = open(path(sequence), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard writeFD >= 0 else { return false }
            segments.append(Segment(sequence: sequence, size: 0, lines: 0))
        }
        let (written, error) = writeFully(writeFD, line + [UInt8(ascii: "\n")], isSocket: false)
        segments[segments.count - 1].size += written
        totalBytes += written
        guard error == nil else {
            // A partial line stays unterminated; start a new segment so the next one is clean.
            Glibc.close(writeFD)
            writeFD = -1
            return false
        }
        segments[segments.count - 1].lines += 1
        count += 1
        return true
    }

    /// Up to `max` of the oldest lines, without removing them (fewer at a segment's end).
    func peek(max: Int) -> ArraySlice<[UInt8]> {
        while let first = segments.first {
            if first.lines == 0 {  // empty, or only a line cut short
                dropFirstSegment()
                continue
            }
            let wanted = Swift.min(max, first.lines)
            if head.count >= wanted { break }
            if readFD < 0 { readFD = open(path(first.sequence), O_RDONLY | O_CLOEXEC) }
            guard readFD >= 0, readLines(upTo: wanted) else {
                // Unreadable or shorter than counted (changed behind our back): keep what was read.
                lost += first.lines - head.count
                count -= first.lines - head.count
                segments[0].lines = head.count
                if head.isEmpty { continue }  // dropped at the top
                break
            }
        }
        return head.prefix(max)
    }

    /// Removes the `n` oldest lines, which ``peek(max:)`` returned.
    func removeFirst(_ n: Int) {
        guard n > 0 else { return }
        let bytes = head.prefix(n).reduce(0) { $0 + $1.count + 1 }
        head.removeFirst(n)
        headBytes -= bytes
        readOffset += bytes
        segments[0].lines -= n
        count -= n
        if segments[0].lines == 0 { dropFirstSegment() }
    }

    /// Lines lost to unreadable segments since the last call.
    func takeLost() -> Int {
        defer { lost = 0 }
        return lost
    }

    /// Flushes appended lines to the disk and closes the files.
    func close() {
        if writeFD >= 0 {
            fsync(writeFD)
            Glibc.close(writeFD)
            writeFD = -1
        }
        if readFD >= 0 { Glibc.close(readFD) }
        readFD = -1
    }

    /// Reads complete lines of the first segment into `head` until it holds `wanted`; false
    /// when the file ends or fails first.
    private func readLines(upTo wanted: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while head.count < wanted {
            let position = readOffset + headBytes
            let count = chunk.withUnsafeMutableBytes { pread(readFD, $0.baseAddress!, $0.count, off_t(position)) }
            guard count > 0 else { return false }
            var start = 0
            while head.count < wanted, let newline = chunk[start..<count].firstIndex(of: UInt8(ascii: "\n")) {
                head.append(Array(chunk[start..<newline]))
                headBytes += newline - start + 1
                start = newline + 1
            }
            // A line longer than the chunk: read again with room for it.
            if start == 0, head.count < wanted {
                guard count == chunk.count, chunk.count < segmentBytes * 2 else { return false }
                chunk = [UInt8](repeating: 0, count: chunk.count * 2)
            }
        }
        return true
    }

    private func dropFirstSegment() {
        let first = segments.removeFirst()
        if readFD >= 0 { Glibc.close(readFD) }
        readFD = -1
        if segments.isEmpty, writeFD >= 0 {
            Glibc.close(writeFD)
            writeFD = -1
        }
        unlink(path(first.sequence))
        totalBytes -= first.size
        readOffset = 0
        head = []
        headBytes = 0
    }

    private func path(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return directory + "/" + String(repeating: "0", count: Swift.max(0, 16 - digits.count)) + digits + ".spool"
    }

    /// A segment's size and complete lines.
    private static func measure(_ path: String) -> (size: Int, lines: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (0, 0) }
        defer { Glibc.close(fd) }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var size = 0, lines = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard count > 0 else { break }
            size += count
            lines += chunk[..<count].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        }
        return (size, lines)
    }

    /// `mkdir -p`.
    private static func makeDirectory(_ path: String) throws(EventSinkError) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0, errno != EEXIST {
                throw EventSinkError("cannot create the spool folder \(prefix): \(systemErrorText())")
            }
        }
    }
}
