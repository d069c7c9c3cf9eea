/// Writes into bytes already appended to an array: serializing a head costs one append (about 10 ns each)
/// instead of one per name, separator and value.
struct ByteCursor {
    private var next: UnsafeMutableRawPointer

    fileprivate init(_ start: UnsafeMutableRawPointer) { next = start }

    fileprivate var position: UnsafeMutableRawPointer { next }

    @inline(__always)
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        next.copyMemory(from: source, byteCount: bytes.count)
        next += bytes.count
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        next.storeBytes(of: byte, as: UInt8.self)
        next += 1
    }

    @inline(__always)
    mutating func write(_ literal: StaticString) { write(ASCII.bytes(literal)) }

    /// Writes `value` in decimal; exactly `ByteCursor.decimalCount(value)` bytes.
    mutating func writeDecimal(_ value: Int) {
        if value < 0 { write(0x2D) }
        var v = value.magnitude
        var divisor: UInt = 1
        while v / divisor >= 10 { divisor *= 10 }
        repeat {
            write(0x30 &+ UInt8(v / divisor))
            v %= divisor
            divisor /= 10
        } while divisor > 0
    }

    static func decimalCount(_ value: Int) -> Int {
        var v = value.magnitude, n = value < 0 ? 2 : 1
        while v >= 10 { v /= 10; n += 1 }
        return n
    }
}

extension Array where Element == UInt8 {
    /// Appends exactly `count` bytes produced by `body` through a cursor.
    mutating func append(count: Int, _ body: (inout ByteCursor) -> Void) {
        guard count > 0 else { return }
        let start = self.count
        append(contentsOf: repeatElement(0, count: count))
        withUnsafeMutableBytes { buf in
            var cursor = ByteCursor(buf.baseAddress! + start)
            body(&cursor)
            precondition(cursor.position == buf.baseAddress! + start + count, "serialized size mismatch")
        }
    }
}
