/// An element type `FlatBuffer` can hold: plain data with a zero value for newly grown space.
protocol FlatElement: BitwiseCopyable, Sendable {
    static var zero: Self { get }
}

extension UInt8: FlatElement {}

/// Contiguous elements whose logical count is kept beside the array that holds them (the array's own count is the
/// allocated size). Emptying is a store and appending a bounds check plus a copy, instead of the generic
/// `Array` range-replacement paths, which cost tens of instructions per call on the per-request hot path.
/// Value semantics come from the array (copy-on-write when a mutation meets a shared buffer).
struct FlatBuffer<Element: FlatElement>: Sendable {
    /// Allocated space; elements at `count...` are stale or zero.
    private var elements: [Element] = []
    /// Live elements.
    private(set) var count = 0

    init() {}

    /// Elements the buffer holds without growing.
    var capacity: Int { elements.count }

    var isEmpty: Bool { count == 0 }

    /// Drops every element, keeping the allocation.
    @inline(__always)
    mutating func removeAll() { count = 0 }

    /// Drops the last `n` elements.
    @inline(__always)
    mutating func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count, "removeLast out of range")
        count &-= n
    }

    @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        let n = count
        return try elements.withUnsafeBufferPointer { try body(UnsafeBufferPointer(start: $0.baseAddress, count: n)) }
    }

    /// Mutable access to the live elements (making the storage unique first).
    @inline(__always)
    mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws -> R
    ) rethrows -> R {
        let n = count
        return try elements.withUnsafeMutableBufferPointer {
            try body(UnsafeMutableBufferPointer(start: $0.baseAddress, count: n))
        }
    }

    /// Appends `n` elements initialised by `body` (which gets the address of the first) and returns their index.
    @inline(__always)
    @discardableResult
    mutating func append(count n: Int, _ body: (UnsafeMutablePointer<Element>) -> Void) -> Int {
        let start = count
        let end = start + n
        if end > elements.count { grow(to: end) }
        elements.withUnsafeMutableBufferPointer { body($0.baseAddress.unsafelyUnwrapped + start) }
        count = end
        return start
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        append(count: 1) { $0.pointee = element }
    }

    @inline(__always)
    mutating func append(contentsOf source: UnsafeBufferPointer<Element>) {
        guard let from = source.baseAddress, source.count > 0 else { return }
        append(count: source.count) { $0.update(from: from, count: source.count) }
    }

    /// At least `minimum` elements of space, doubling to keep appends amortised O(1).
    @inline(never)
    private mutating func grow(to minimum: Int) {
        let size = Swift.max(minimum, elements.count * 2, 16)
        elements.reserveCapacity(size)
        elements.append(contentsOf: repeatElement(Element.zero, count: elements.capacity - elements.count))
    }
}

extension FlatBuffer where Element == UInt8 {
    init(_ bytes: UnsafeRawBufferPointer) {
        self.init()
        append(bytes)
    }

    @inline(__always)
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeMutableBufferPointer { try body(UnsafeMutableRawBufferPointer($0)) }
    }

    /// Appends the bytes and returns the offset of the first.
    @inline(__always)
    @discardableResult
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let from = bytes.baseAddress, bytes.count > 0 else { return count }
        return append(count: bytes.count) { UnsafeMutableRawPointer($0).copyMemory(from: from, byteCount: bytes.count) }
    }

    /// Appends exactly `n` bytes written by `writer`; returns the offset of the first.
    @inline(__always)
    @discardableResult
    mutating func append<Writer: ByteWriter>(count n: Int, _ writer: Writer) -> Int {
        append(count: n) { start in
            var cursor = ByteCursor(UnsafeMutableRawPointer(start))
            writer.write(to: &cursor)
            precondition(cursor.position == UnsafeMutableRawPointer(start + n), "serialized size mismatch")
        }
    }

    /// Appends the field line `self[nameAt..<nameAt + nameCount]: value CRLF` (a name already in the buffer);
    /// returns the offset of the line.
    @inline(__always)
    mutating func appendLine(nameAt: Int, nameCount: Int, value: UnsafeRawBufferPointer) -> Int {
        precondition(nameAt >= 0 && nameCount >= 0 && nameAt + nameCount <= count, "name out of range")
        let start = count
        return append(count: nameCount + value.count + 4) { line in
            // After any growth, so the name is read from the buffer being written (and never overlaps the line).
            let name = UnsafeRawPointer(line - start + nameAt)
            var cursor = ByteCursor(UnsafeMutableRawPointer(line))
            cursor.write(name, count: nameCount)
            cursor.writePair(HTTPHeaders.Writer.colonSpace)
            cursor.write(value)
            cursor.writePair(HTTPHeaders.Writer.crlf)
        }
    }

}
