/// Ordered header list backed by one byte buffer plus a field table; lookups are ASCII case-insensitive and
/// do not allocate.
///
/// The parser copies the received field section into the buffer with one copy and records offsets, so a parsed
/// head owns its bytes without a `String` per field; `add` and `set` append whole `name: value CRLF` lines, so
/// serializing copies runs of unchanged lines as blocks. Removing a field only marks it; `removeAll()` (called when
/// the head is reset for the next request) drops everything but keeps both allocations.
public struct HTTPHeaders: Sendable {
    /// Offsets into `storage`. A removed field has `nameLength == 0` (names are never empty).
    struct Field: FlatElement {
        var nameStart: Int32
        var nameLength: Int32
        var valueStart: Int32
        var valueLength: Int32

        static var zero: Field { Field(nameStart: 0, nameLength: 0, valueStart: 0, valueLength: 0) }
    }

    var storage = FlatBuffer<UInt8>()
    var fields = FlatBuffer<Field>()

    /// Number of live fields.
    public internal(set) var count = 0

    /// One bit per name hash (see `signatureBit`) of every field added since the last `removeAll()`, so most
    /// lookups of an absent name skip the scan. Removed fields leave their bit set (a false positive only costs
    /// the scan).
    var nameSignature: UInt64 = 0

    public init() {}

    public func contains(_ name: String) -> Bool {
        withUTF8Bytes(name) { firstIndex(of: $0) } != nil
    }

    /// Value of the first field with that name (allocating convenience).
    public func first(_ name: String) -> String? {
        withFirst(name) { String(decoding: $0, as: UTF8.self) }
    }

    /// Values of every field with that name, in order.
    public func all(_ name: String) -> [String] {
        var values: [String] = []
        withUTF8Bytes(name) { wanted in
            forEachMatch(wanted) { buf, _, f in
                values.append(String(decoding: slice(buf, f.valueStart, f.valueLength), as: UTF8.self))
            }
        }
        return values
    }

    /// Calls `body` with the value bytes of the first field with that name; nil if there is none. Does not allocate.
    public func withFirst<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let f = withUTF8Bytes(name, { firstField(named: $0) }) else { return nil }
        return try storage.withUnsafeBytes { try body(slice($0, f.valueStart, f.valueLength)) }
    }

    /// True when a field with that name lists `token` in its comma-separated value (case-insensitive),
    /// e.g. `hasToken("upgrade", in: "Connection")`.
    public func hasToken(_ token: String, in name: String) -> Bool {
        var found = false
        withUTF8Bytes(name) { wanted in
            withUTF8Bytes(token) { token in
                forEachMatch(wanted) { buf, _, f in
                    let start = Int(f.valueStart), p = buf.baseAddress.unsafelyUnwrapped
                    ASCII.forEachListElement(p, start, start + Int(f.valueLength)) { s, e in
                        found = found || (e - s == token.count
                            && ASCII.equalsIgnoringCase(buf.baseAddress! + s, token.baseAddress!, count: token.count))
                        return !found
                    }
                }
            }
        }
        return found
    }

    /// Calls `body` with each live field's name and value bytes, in order.
    public func forEach(
        _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        try storage.withUnsafeBytes { buf in
            try fields.withUnsafeBufferPointer { fields in
                for f in fields where f.nameLength > 0 {
                    try body(slice(buf, f.nameStart, f.nameLength), slice(buf, f.valueStart, f.valueLength))
                }
            }
        }
    }

    /// Appends `Name: value\r\n` for every live field.
    public func write(into buffer: inout [UInt8]) {
        withWriter { writer in buffer.append(count: writer.serializedCount, writer) }
    }

    // MARK: Internals shared with the editing extension, the heads and the parsers

    /// Serializes the live fields of borrowed storage.
    struct Writer: ByteWriter {
        let bytes: UnsafeRawBufferPointer
        let fields: UnsafeBufferPointer<Field>

        /// Bytes `write(to:)` produces.
        var serializedCount: Int {
            var total = 0
            for f in fields where f.nameLength > 0 { total &+= Int(f.nameLength) &+ Int(f.valueLength) &+ 4 }
            return total
        }

        /// Fields parsed unchanged with canonical spacing are already `Name: value\r\n` in the storage; runs of
        /// them are copied as one block, everything else piece by piece.
        @inline(__always)
        func write(to cursor: inout ByteCursor) {
            guard let base = bytes.baseAddress else { return }
            let limit = bytes.count
            var runStart = 0, runEnd = 0
            for f in fields where f.nameLength > 0 {
                let nameStart = Int(f.nameStart), nameEnd = nameStart &+ Int(f.nameLength)
                let valueStart = Int(f.valueStart), valueEnd = valueStart &+ Int(f.valueLength)
                if valueStart == nameEnd &+ 2 && valueEnd &+ 2 <= limit
                    && base.loadUnaligned(fromByteOffset: nameEnd, as: UInt16.self) == Writer.colonSpace
                    && base.loadUnaligned(fromByteOffset: valueEnd, as: UInt16.self) == Writer.crlf {
                    if nameStart != runEnd {
                        cursor.write(base + runStart, count: runEnd &- runStart)
                        runStart = nameStart
                    }
                    runEnd = valueEnd &+ 2
                    continue
                }
                cursor.write(base + runStart, count: runEnd &- runStart)
                runStart = 0
                runEnd = 0
                cursor.write(base + nameStart, count: Int(f.nameLength))
                cursor.writePair(Writer.colonSpace)
                cursor.write(base + valueStart, count: Int(f.valueLength))
                cursor.writePair(Writer.crlf)
            }
            cursor.write(base + runStart, count: runEnd &- runStart)
        }

        /// ": " and CRLF as they are laid out in memory.
        static var colonSpace: UInt16 { UInt16(littleEndian: 0x203A) }
        static var crlf: UInt16 { UInt16(littleEndian: 0x0A0D) }
    }

    /// Calls `body` with a writer for the live fields.
    @inline(__always)
    func withWriter<R>(_ body: (Writer) -> R) -> R {
        storage.withUnsafeBytes { bytes in
            fields.withUnsafeBufferPointer { fields in body(Writer(bytes: bytes, fields: fields)) }
        }
    }

    @inline(__always)
    func slice(_ buf: UnsafeRawBufferPointer, _ start: Int32, _ length: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buf[Int(start)..<Int(start + length)])
    }

    /// The `nameSignature` bit of a name of `length` bytes starting with `first` (ASCII case-folded).
    /// The multiplier keeps the hop-by-hop names apart from each other and from 60 common header names.
    @inline(__always)
    static func signatureBit(length: Int, first: UInt8) -> UInt64 {
        let key = UInt64(truncatingIfNeeded: length) & 0xFF | UInt64(first | 0x20) &<< 8
        return 1 &<< ((key &* 0x851A_BD47_2C86_1353) &>> 58)
    }

    @inline(__always)
    static func signatureBit(_ name: UnsafeRawBufferPointer) -> UInt64 {
        guard let p = name.baseAddress, name.count > 0 else { return 0 }
        return signatureBit(length: name.count, first: p.load(as: UInt8.self))
    }

    /// False when no field named `name` can be present.
    @inline(__always)
    func mayContain(_ name: UnsafeRawBufferPointer) -> Bool {
        nameSignature & HTTPHeaders.signatureBit(name) != 0
    }

    /// Index of the first live field named `wanted` (ASCII case-insensitive).
    func firstIndex(of wanted: UnsafeRawBufferPointer) -> Int? {
        guard mayContain(wanted) else { return nil }
        return storage.withUnsafeBytes { buf in
            fields.withUnsafeBufferPointer { fields in HTTPHeaders.firstIndex(of: wanted, fields, buf) }
        }
    }

    /// The first live field named `wanted`.
    func firstField(named wanted: UnsafeRawBufferPointer) -> Field? {
        guard mayContain(wanted) else { return nil }
        return storage.withUnsafeBytes { buf in
            fields.withUnsafeBufferPointer { fields in
                HTTPHeaders.firstIndex(of: wanted, fields, buf).map { fields[$0] }
            }
        }
    }

    @inline(__always)
    static func firstIndex(
        of wanted: UnsafeRawBufferPointer, _ fields: UnsafeBufferPointer<Field>, _ buf: UnsafeRawBufferPointer
    ) -> Int? {
        firstIndex(of: wanted, fields, buf, from: 0)
    }

    /// Index of the first live field at or after `from` named `wanted`.
    @inline(__always)
    static func firstIndex(
        of wanted: UnsafeRawBufferPointer, _ fields: UnsafeBufferPointer<Field>, _ buf: UnsafeRawBufferPointer,
        from: Int
    ) -> Int? {
        guard let w = wanted.baseAddress, wanted.count > 0, from < fields.count else { return nil }
        let n = wanted.count
        // A live field has a non-empty name, so the storage is not empty when one matches in length.
        var i = from
        while i < fields.count {
            let f = fields[i]
            if Int(f.nameLength) == n
                && ASCII.equalsIgnoringCase(buf.baseAddress.unsafelyUnwrapped + Int(f.nameStart), w, count: n) {
                return i
            }
            i &+= 1
        }
        return nil
    }

    /// Calls `body` with the storage bytes, index and field of every live field named `wanted`.
    func forEachMatch(_ wanted: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int, Field) -> Void) {
        guard mayContain(wanted) else { return }
        storage.withUnsafeBytes { buf in
            fields.withUnsafeBufferPointer { fields in
                var next = 0
                while let i = HTTPHeaders.firstIndex(of: wanted, fields, buf, from: next) {
                    body(buf, i, fields[i])
                    next = i + 1
                }
            }
        }
    }
}

extension HTTPHeaders: Sequence {
    /// Iterates live fields as `(name, value)` strings (allocating; for tests and filters, not the hot path).
    public struct Iterator: IteratorProtocol {
        let headers: HTTPHeaders
        var index = 0

        public mutating func next() -> (name: String, value: String)? {
            while index < headers.fields.count {
                let f = headers.fields.withUnsafeBufferPointer { $0[index] }
                index += 1
                guard f.nameLength > 0 else { continue }
                return headers.storage.withUnsafeBytes { buf in
                    (String(decoding: headers.slice(buf, f.nameStart, f.nameLength), as: UTF8.self),
                     String(decoding: headers.slice(buf, f.valueStart, f.valueLength), as: UTF8.self))
                }
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(headers: self) }

    public var underestimatedCount: Int { count }
}
