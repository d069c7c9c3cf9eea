extension HTTPHeaders {
    /// Appends a field. Returns false, adding nothing, if `name` is not a token or `value` contains
    /// CR, LF, NUL or another control byte other than HTAB (which would allow header injection).
    @discardableResult
    public mutating func add(_ name: String, _ value: String) -> Bool {
        withUTF8Bytes(name) { name in withUTF8Bytes(value) { value in add(name: name, value: value) } }
    }

    /// Byte-level `add(_:_:)`.
    @discardableResult
    public mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard HTTPHeaders.isValid(name: name, value: value) else { return false }
        let nameStart = append(name)
        let valueStart = append(value)
        appendField(nameStart: nameStart, nameLength: name.count, valueStart: valueStart, valueLength: value.count)
        return true
    }

    /// Replaces every field of that name by one with `value`, at the position of the first one (appended if absent).
    /// Returns false, changing nothing, under the same conditions as `add`.
    @discardableResult
    public mutating func set(_ name: String, _ value: String) -> Bool {
        withUTF8Bytes(name) { name in withUTF8Bytes(value) { value in set(name: name, value: value) } }
    }

    /// Byte-level `set(_:_:)`.
    @discardableResult
    public mutating func set(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard HTTPHeaders.isValid(name: name, value: value) else { return false }
        guard let first = firstIndex(of: name) else { return add(name: name, value: value) }
        remove(name: name, after: first)
        fields[first].valueStart = Int32(append(value))
        fields[first].valueLength = Int32(value.count)
        return true
    }

    /// Removes every field of that name; returns how many were removed.
    @discardableResult
    public mutating func remove(_ name: String) -> Int {
        withUTF8Bytes(name) { remove(name: $0, after: -1) }
    }

    /// Removes the hop-by-hop fields a proxy must not forward (RFC 9110 7.6.1): Connection, Keep-Alive,
    /// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authorization, Proxy-Authenticate,
    /// and every field named in a Connection value — except Host and Content-Length, which a client could
    /// otherwise strip to desynchronise routing or body framing between the gateway and the upstream.
    public mutating func removeHopByHop() {
        let storage = self.storage  // a second reference, so `fields` can change while the bytes are read
        storage.withUnsafeBytes { buf in
            for c in fields.indices where fields[c].nameLength > 0 && isNamed(buf, fields[c], "connection") {
                let value = Int(fields[c].valueStart)
                ASCII.forEachListElement(buf, value, value + Int(fields[c].valueLength)) { s, e in
                    // "connection" itself is kept until the second pass so later Connection fields are still read.
                    if !ASCII.equals(buf, s, e, lowercased: "host")
                        && !ASCII.equals(buf, s, e, lowercased: "content-length")
                        && !ASCII.equals(buf, s, e, lowercased: "connection") {
                        remove(name: UnsafeRawBufferPointer(rebasing: buf[s..<e]), after: -1)
                    }
                    return true
                }
            }
            for i in fields.indices where fields[i].nameLength > 0 && HTTPHeaders.isHopByHop(buf, fields[i]) {
                fields[i].nameLength = 0
                count -= 1
            }
        }
    }

    /// Drops every field, keeping the allocated capacity for the next message.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        count = 0
    }

    // MARK: Internals

    static func isValid(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard !name.isEmpty && name.allSatisfy(ASCII.isTchar) else { return false }
        var i = 0
        while true {
            i = ASCII.skipFieldValueBytes(value, from: i, end: value.count)
            guard i < value.count else { return true }
            guard value[i] == ASCII.htab else { return false }
            i += 1
        }
    }

    private static func isHopByHop(_ buf: UnsafeRawBufferPointer, _ f: Field) -> Bool {
        let s = Int(f.nameStart), e = s + Int(f.nameLength)
        switch f.nameLength {
        case 2: return ASCII.equals(buf, s, e, lowercased: "te")
        case 7: return ASCII.equals(buf, s, e, lowercased: "upgrade") || ASCII.equals(buf, s, e, lowercased: "trailer")
        case 10:
            return ASCII.equals(buf, s, e, lowercased: "connection") || ASCII.equals(buf, s, e, lowercased: "keep-alive")
        case 16: return ASCII.equals(buf, s, e, lowercased: "proxy-connection")
        case 17: return ASCII.equals(buf, s, e, lowercased: "transfer-encoding")
        case 18: return ASCII.equals(buf, s, e, lowercased: "proxy-authenticate")
        case 19: return ASCII.equals(buf, s, e, lowercased: "proxy-authorization")
        default: return false
        }
    }

    private func isNamed(_ buf: UnsafeRawBufferPointer, _ f: Field, _ lowercased: StaticString) -> Bool {
        let s = Int(f.nameStart)
        return ASCII.equals(buf, s, s + Int(f.nameLength), lowercased: lowercased)
    }

    /// Marks removed every live field named `name` whose index is greater than `after`.
    @discardableResult
    private mutating func remove(name: UnsafeRawBufferPointer, after: Int) -> Int {
        guard !name.isEmpty else { return 0 }
        var removed = 0
        let storage = self.storage
        storage.withUnsafeBytes { buf in
            for i in fields.indices where i > after && fields[i].nameLength > 0 && nameEquals(buf, fields[i], name) {
                fields[i].nameLength = 0
                removed += 1
            }
        }
        count -= removed
        return removed
    }

    /// Copies bytes into the storage and returns their offset.
    @discardableResult
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let start = storage.count
        precondition(start + bytes.count <= Int(Int32.max), "header storage exceeds 2 GiB")
        storage.append(contentsOf: bytes)
        return start
    }

    /// Records a field whose name and value are already in the storage.
    mutating func appendField(nameStart: Int, nameLength: Int, valueStart: Int, valueLength: Int) {
        fields.append(Field(nameStart: Int32(nameStart), nameLength: Int32(nameLength),
                            valueStart: Int32(valueStart), valueLength: Int32(valueLength)))
        count += 1
    }
}
