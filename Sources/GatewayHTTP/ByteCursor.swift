/// Writes into spare capacity reserved in an array: serializing a head costs one append (about 10 ns each)
/// instead of one per name, separator and value, and the bytes are written once (no zero-fill).
struct ByteCursor {
    private var next: UnsafeMutableRawPointer

    init(_ start: UnsafeMutableRawPointer) { next = start }

    var position: UnsafeMutableRawPointer { next }

    @inline(__always)
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        write(source, count: bytes.count)
    }

    /// Copies `count` bytes; short runs (names, most values) with a few word moves instead of a `memcpy` call.
    @inline(__always)
    mutating func write(_ source: UnsafeRawPointer, count: Int) {
        if count >= 8 && count <= 32 {
            // Whole words, then the last word again (overlapping), all within the `count` bytes.
            var i = 0
            while i &+ 8 < count {
                next.storeBytes(of: source.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i,
                                as: UInt64.self)
                i &+= 8
            }
            next.storeBytes(of: source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self),
                            toByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 && count < 8 {
            next.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            next.storeBytes(of: source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self),
                            toByteOffset: count &- 4, as: UInt32.self)
        } else if count < 4 {
            for i in 0..<count {
                next.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            }
        } else {
            next.copyMemory(from: source, byteCount: count)
        }
        next += count
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        next.storeBytes(of: byte, as: UInt8.self)
        next += 1
    }

    /// Two bytes as laid out in memory.
    @inline(__always)
    mutating func writePair(_ pair: UInt16) {
        next.storeBytes(of: pair, as: UInt16.self)
        next += 2
    }

    @inline(__always)
    mutating func write(_ literal: StaticString) { write(literal.utf8Start, count: literal.utf8CodeUnitCount) }

    /// Writes `value` in decimal; exactly `ByteCursor.decimalCount(value)` bytes.
    @inline(__always)
    mutating func writeDecimal(_ value: Int) {
        if value >= 100 && value <= 999 {  // status codes
            let v = UInt(bitPattern: value)
            next.storeBytes(of: 0x30 &+ UInt8(truncatingIfNeeded: v / 100), as: UInt8.self)
            next.storeBytes(of: 0x30 &+ UInt8(truncatingIfNeeded: v / 10 % 10), toByteOffset: 1, as: UInt8.self)
            next.storeBytes(of: 0x30 &+ UInt8(truncatingIfNeeded: v % 10), toByteOffset: 2, as: UInt8.self)
            next += 3
            return
        }
        if value < 0 { write(0x2D) }
        var v = value.magnitude
        let digits = ByteCursor.digitCount(v)
        var k = digits
        repeat {  // last digit first, dividing by a constant
            k &-= 1
            next.storeBytes(of: 0x30 &+ UInt8(truncatingIfNeeded: v % 10), toByteOffset: k, as: UInt8.self)
            v /= 10
        } while v > 0
        next += digits
    }

    static func decimalCount(_ value: Int) -> Int {
        (value < 0 ? 1 : 0) + digitCount(value.magnitude)
    }

    static func digitCount(_ value: UInt) -> Int {
        var v = value, n = 1
        while v >= 10 { v /= 10; n += 1 }
        return n
    }
}

/// Something that writes a known number of bytes through a cursor (the closure-free form of a serializer).
protocol ByteWriter {
    func write(to cursor: inout ByteCursor)
}

/// A field line: `name: value CRLF`.
struct FieldLineWriter: ByteWriter {
    let name: UnsafeRawBufferPointer
    let value: UnsafeRawBufferPointer

    @inline(__always)
    func write(to cursor: inout ByteCursor) {
        cursor.write(name)
        cursor.writePair(HTTPHeaders.Writer.colonSpace)
        cursor.write(value)
        cursor.writePair(HTTPHeaders.Writer.crlf)
    }
}

/// A sequence of `count` bytes that `Array.append(contentsOf:)` copies by letting `writer` write straight into
/// the array's reserved spare capacity (through `_copyContents`), with no intermediate buffer or zero-fill.
/// Iterating it another way still yields the right bytes (through a temporary array).
private struct WrittenBytes<Writer: ByteWriter>: Sequence {
    let count: Int
    let writer: Writer

    /// Empty after `_copyContents` (so it costs nothing to drop); otherwise it yields the bytes from a temporary
    /// buffer, which it frees when it reaches the end (`append(contentsOf:)` always iterates to the end).
    struct Iterator: IteratorProtocol {
        var bytes: UnsafeMutableRawBufferPointer?
        var index = 0

        mutating func next() -> UInt8? {
            guard let bytes else { return nil }
            guard index < bytes.count else {
                bytes.deallocate()
                self.bytes = nil
                return nil
            }
            index += 1
            return bytes[index - 1]
        }
    }

    func makeIterator() -> Iterator {
        guard count > 0 else { return Iterator() }
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        write(to: bytes.baseAddress.unsafelyUnwrapped, capacity: count)
        return Iterator(bytes: bytes)
    }

    var underestimatedCount: Int { count }

    func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? { nil }

    func _copyContents(initializing buffer: UnsafeMutableBufferPointer<UInt8>) -> (Iterator, Int) {
        // `append(contentsOf:)` reserved `underestimatedCount` bytes before calling this.
        guard count > 0, let start = buffer.baseAddress else { return (Iterator(), 0) }
        write(to: UnsafeMutableRawPointer(start), capacity: buffer.count)
        return (Iterator(), count)
    }

    @inline(__always)
    private func write(to start: UnsafeMutableRawPointer, capacity: Int) {
        precondition(capacity >= count, "spare capacity too small")
        var cursor = ByteCursor(start)
        writer.write(to: &cursor)
        precondition(cursor.position == start + count, "serialized size mismatch")
    }
}

extension Array where Element == UInt8 {
    /// Appends exactly `count` bytes produced by `writer`, written in place.
    @inline(__always)
    mutating func append<Writer: ByteWriter>(count: Int, _ writer: Writer) {
        guard count > 0 else { return }
        append(contentsOf: WrittenBytes(count: count, writer: writer))
    }
}
