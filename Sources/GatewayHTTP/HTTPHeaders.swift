/// Ordered header list backed by one byte buffer plus a field table; lookups are ASCII case-insensitive and
/// do not allocate.
///
/// The parser copies the received field section into the buffer with one copy and records offsets, so a parsed
/// head owns its bytes without a `String` per field. Removing a field only marks it; `removeAll()` (called when the
/// head is reset for the next request) drops everything but keeps both allocations.
public struct HTTPHeaders: Sendable {
    /// Offsets into `storage`. A removed field has `nameLength == 0` (names are never empty).
    struct Field: Sendable {
        var nameStart: Int32
        var nameLength: Int32
        var valueStart: Int32
        var valueLength: Int32
    }

    var storage: [UInt8] = []
    var fields: [Field] = []

    /// Number of live fields.
    public internal(set) var count = 0

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
        guard let index = withUTF8Bytes(name, { firstIndex(of: $0) }) else { return nil }
        return try storage.withUnsafeBytes { try body(slice($0, fields[index].valueStart, fields[index].valueLength)) }
    }

    /// True when a field with that name lists `token` in its comma-separated value (case-insensitive),
    /// e.g. `hasToken("upgrade", in: "Connection")`.
    public func hasToken(_ token: String, in name: String) -> Bool {
        var found = false
        withUTF8Bytes(name) { wanted in
            withUTF8Bytes(token) { token in
                forEachMatch(wanted) { buf, _, f in
                    let start = Int(f.valueStart)
                    ASCII.forEachListElement(buf, start, start + Int(f.valueLength)) { s, e in
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
            for f in fields where f.nameLength > 0 {
                try body(slice(buf, f.nameStart, f.nameLength), slice(buf, f.valueStart, f.valueLength))
            }
        }
    }

    /// Appends `Name: value\r\n` for every live field.
    public func write(into buffer: inout [UInt8]) {
        buffer.append(count: serializedCount) { write(to: &$0) }
    }

    // MARK: Internals shared with the editing extension, the heads and the parsers

    /// Bytes `write(into:)` produces.
    var serializedCount: Int {
        var total = 0
        for f in fields where f.nameLength > 0 { total += Int(f.nameLength) + Int(f.valueLength) + 4 }
        return total
    }

    func write(to cursor: inout ByteCursor) {
        storage.withUnsafeBytes { buf in
            for f in fields where f.nameLength > 0 {
                cursor.write(slice(buf, f.nameStart, f.nameLength))
                cursor.write(": ")
                cursor.write(slice(buf, f.valueStart, f.valueLength))
                cursor.write("\r\n")
            }
        }
    }

    @inline(__always)
    func slice(_ buf: UnsafeRawBufferPointer, _ start: Int32, _ length: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buf[Int(start)..<Int(start + length)])
    }

    @inline(__always)
    func nameEquals(_ buf: UnsafeRawBufferPointer, _ f: Field, _ wanted: UnsafeRawBufferPointer) -> Bool {
        Int(f.nameLength) == wanted.count
            && ASCII.equalsIgnoringCase(buf.baseAddress! + Int(f.nameStart), wanted.baseAddress!, count: wanted.count)
    }

    func firstIndex(of wanted: UnsafeRawBufferPointer) -> Int? {
        guard !wanted.isEmpty else { return nil }
        return storage.withUnsafeBytes { buf in
            fields.indices.first { fields[$0].nameLength > 0 && nameEquals(buf, fields[$0], wanted) }
        }
    }

    /// Calls `body` with the storage bytes, index and field of every live field named `wanted`.
    func forEachMatch(_ wanted: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int, Field) -> Void) {
        guard !wanted.isEmpty else { return }
        storage.withUnsafeBytes { buf in
            for i in fields.indices where fields[i].nameLength > 0 && nameEquals(buf, fields[i], wanted) {
                body(buf, i, fields[i])
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
                let f = headers.fields[index]
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
