extension HTTPHeaders {
    /// Appends a field. Returns false, adding nothing, if `name` is not a token or `value` contains
    /// CR, LF, NUL or another control byte other than HTAB (which would allow header injection).
    @discardableResult
    public mutating func add(_ name: String, _ value: String) -> Bool {
        edit(name, value, replacing: false)
    }

    /// Byte-level `add(_:_:)`.
    @discardableResult
    public mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard HTTPHeaders.isValid(name: name, value: value) else { return false }
        appendValidated(name: name, value: value)
        return true
    }

    /// Replaces every field of that name by one with `value`, at the position of the first one (appended if absent).
    /// Returns false, changing nothing, under the same conditions as `add`.
    @discardableResult
    public mutating func set(_ name: String, _ value: String) -> Bool {
        edit(name, value, replacing: true)
    }

    /// The string forms of `add` and `set`, inlined into each (one frame instead of a thunk per string).
    @inline(__always)
    private mutating func edit(_ name: String, _ value: String, replacing: Bool) -> Bool {
        withUTF8Bytes(name) { name in
            withUTF8Bytes(value) { value in
                replacing ? set(name: name, value: value) : add(name: name, value: value)
            }
        }
    }

    /// Byte-level `set(_:_:)`.
    @discardableResult
    public mutating func set(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard HTTPHeaders.isValid(name: name, value: value) else { return false }
        guard mayContain(name) else {
            appendValidated(name: name, value: value)
            return true
        }
        // Read-only pass: the first field of that name, and whether another one follows.
        let (first, more) = storage.withUnsafeBytes { buf in
            fields.withUnsafeBufferPointer { fields -> (Int, Bool) in
                guard let i = HTTPHeaders.firstIndex(of: name, fields, buf) else { return (-1, false) }
                return (i, HTTPHeaders.firstIndex(of: name, fields, buf, from: i + 1) != nil)
            }
        }
        guard first >= 0 else {
            appendValidated(name: name, value: value)
            return true
        }
        // The field keeps its name as received; the line is rewritten at the end of the storage.
        let old = fields.withUnsafeBufferPointer { $0[first] }
        let nameLength = Int(old.nameLength)
        precondition(storage.count + nameLength + value.count + 4 <= Int(Int32.max), "header storage exceeds 2 GiB")
        let lineStart = storage.appendLine(nameAt: Int(old.nameStart), nameCount: nameLength, value: value)
        let line = Field(nameStart: Int32(truncatingIfNeeded: lineStart), nameLength: old.nameLength,
                         valueStart: Int32(truncatingIfNeeded: lineStart + nameLength + 2),
                         valueLength: Int32(truncatingIfNeeded: value.count))
        count -= HTTPHeaders.replace(first, with: line, removingLater: more ? name : nil, &fields, storage)
        return true
    }

    /// Removes every field of that name; returns how many were removed.
    @discardableResult
    public mutating func remove(_ name: String) -> Int {
        withUTF8Bytes(name) { remove(name: $0) }
    }

    /// Removes the hop-by-hop fields a proxy must not forward (RFC 9110 7.6.1): Connection, Keep-Alive,
    /// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authorization, Proxy-Authenticate,
    /// and every field named in a Connection value — except Host and Content-Length, which a client could
    /// otherwise strip to desynchronise routing or body framing between the gateway and the upstream.
    public mutating func removeHopByHop() {
        // Most messages have none: the name signature rules them out without a scan, and otherwise a read-only
        // pass comes first, so nothing is written (or copied) unless a field goes.
        guard nameSignature & HTTPHeaders.hopByHopSignature != 0 else { return }
        let any = storage.withUnsafeBytes { buf in
            fields.withUnsafeBufferPointer { fields in
                fields.contains { $0.nameLength > 0 && HTTPHeaders.isHopByHop(buf, $0) }
            }
        }
        guard any else { return }
        count -= HTTPHeaders.removeHopByHop(&fields, storage)
    }

    /// Drops every field, keeping the allocated capacity for the next message.
    public mutating func removeAll() {
        storage.removeAll()
        fields.removeAll()
        count = 0
        nameSignature = 0
    }

    /// The `nameSignature` bits of the names `isHopByHop` matches (a test checks it).
    static let hopByHopSignature: UInt64 = 0x2081_0014_0100_020A

    // MARK: Internals

    /// True when `name` is a non-empty token and `value` has no control byte other than HTAB (and no DEL).
    static func isValid(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard let n = name.baseAddress, name.count > 0, ASCII.isToken(n, count: name.count) else { return false }
        guard let v = value.baseAddress else { return true }
        let end = value.count
        if ASCII.allFieldValueBytes(v, count: end) { return true }
        var i = 0  // there is a control byte: valid only if every one is HTAB
        while true {
            i = ASCII.skipFieldValueBytes(v, from: i, end: end)
            guard i < end else { return true }
            guard v.load(fromByteOffset: i, as: UInt8.self) == ASCII.htab else { return false }
            i &+= 1
        }
    }

    /// Appends an already validated field. The storage gets the whole `name: value CRLF` line (one append), so
    /// serializing copies it along with its neighbours.
    private mutating func appendValidated(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let lineStart = storage.count
        let lineLength = name.count + value.count + 4
        precondition(lineStart + lineLength <= Int(Int32.max), "header storage exceeds 2 GiB")
        storage.append(count: lineLength, FieldLineWriter(name: name, value: value))
        fields.append(Field(nameStart: Int32(truncatingIfNeeded: lineStart),
                            nameLength: Int32(truncatingIfNeeded: name.count),
                            valueStart: Int32(truncatingIfNeeded: lineStart + name.count + 2),
                            valueLength: Int32(truncatingIfNeeded: value.count)))
        count += 1
        nameSignature |= HTTPHeaders.signatureBit(name)
    }

    /// Replaces field `index` and marks removed the later fields named `removingLater`; returns how many were
    /// removed.
    private static func replace(
        _ index: Int, with field: Field, removingLater name: UnsafeRawBufferPointer?,
        _ fields: inout FlatBuffer<Field>, _ storage: FlatBuffer<UInt8>
    ) -> Int {
        storage.withUnsafeBytes { buf in
            fields.withUnsafeMutableBufferPointer { fields in
                fields[index] = field
                guard let name else { return 0 }
                return markRemoved(named: name, UnsafeMutableBufferPointer(rebasing: fields[(index + 1)...]), buf)
            }
        }
    }

    /// Removes every live field named `name`; returns how many were removed.
    @discardableResult
    private mutating func remove(name: UnsafeRawBufferPointer) -> Int {
        guard firstIndex(of: name) != nil else { return 0 }
        let removed = HTTPHeaders.markRemoved(named: name, &fields, storage)
        count -= removed
        return removed
    }

    private static func markRemoved(named name: UnsafeRawBufferPointer, _ fields: inout FlatBuffer<Field>,
                                    _ storage: FlatBuffer<UInt8>) -> Int {
        storage.withUnsafeBytes { buf in
            fields.withUnsafeMutableBufferPointer { markRemoved(named: name, $0, buf) }
        }
    }

    @inline(__always)
    private static func markRemoved(
        named name: UnsafeRawBufferPointer, _ fields: UnsafeMutableBufferPointer<Field>, _ buf: UnsafeRawBufferPointer
    ) -> Int {
        var removed = 0
        for i in fields.indices where nameEquals(buf, fields[i], name) {
            fields[i].nameLength = 0
            removed += 1
        }
        return removed
    }

    /// The hop-by-hop pass on fields known to contain at least one candidate; returns how many were removed.
    private static func removeHopByHop(_ fields: inout FlatBuffer<Field>, _ storage: FlatBuffer<UInt8>) -> Int {
        storage.withUnsafeBytes { buf in
            fields.withUnsafeMutableBufferPointer { fields in
                let p = buf.baseAddress.unsafelyUnwrapped  // there is a live field, so a name in the storage
                var removed = 0
                for c in fields.indices
                where fields[c].nameLength == 10 && isNamed(p, fields[c], "connection") {
                    let value = Int(fields[c].valueStart)
                    ASCII.forEachListElement(p, value, value + Int(fields[c].valueLength)) { s, e in
                        // "connection" itself is kept until the second pass so later Connection fields are still read.
                        let token = p + s, n = e - s
                        if !ASCII.equals(token, count: n, lowercased: "host")
                            && !ASCII.equals(token, count: n, lowercased: "content-length")
                            && !ASCII.equals(token, count: n, lowercased: "connection") {
                            removed += markRemoved(named: UnsafeRawBufferPointer(start: token, count: n), fields, buf)
                        }
                        return true
                    }
                }
                for i in fields.indices where fields[i].nameLength > 0 && isHopByHop(buf, fields[i]) {
                    fields[i].nameLength = 0
                    removed += 1
                }
                return removed
            }
        }
    }

    @inline(__always)
    private static func nameEquals(
        _ buf: UnsafeRawBufferPointer, _ f: Field, _ wanted: UnsafeRawBufferPointer
    ) -> Bool {
        Int(f.nameLength) == wanted.count && wanted.count > 0
            && ASCII.equalsIgnoringCase(buf.baseAddress.unsafelyUnwrapped + Int(f.nameStart),
                                        wanted.baseAddress.unsafelyUnwrapped, count: wanted.count)
    }

    @inline(__always)
    private static func isHopByHop(_ buf: UnsafeRawBufferPointer, _ f: Field) -> Bool {
        let n = Int(f.nameLength)
        // Lengths 2, 7, 10, 16, 17, 18 and 19 as a bit set.
        guard n < 64 && (0x000F_0484 as UInt64) >> UInt64(n) & 1 != 0 else { return false }
        let p = buf.baseAddress.unsafelyUnwrapped + Int(f.nameStart)
        switch n {
        case 2: return ASCII.equals(p, count: 2, lowercased: "te")
        case 7:
            return ASCII.equals(p, count: 7, lowercased: "upgrade") || ASCII.equals(p, count: 7, lowercased: "trailer")
        case 10:
            return ASCII.equals(p, count: 10, lowercased: "connection")
                || ASCII.equals(p, count: 10, lowercased: "keep-alive")
        case 16: return ASCII.equals(p, count: 16, lowercased: "proxy-connection")
        case 17: return ASCII.equals(p, count: 17, lowercased: "transfer-encoding")
        case 18: return ASCII.equals(p, count: 18, lowercased: "proxy-authenticate")
        default: return ASCII.equals(p, count: 19, lowercased: "proxy-authorization")
        }
    }

    @inline(__always)
    private static func isNamed(_ p: UnsafeRawPointer, _ f: Field, _ lowercased: StaticString) -> Bool {
        ASCII.equals(p + Int(f.nameStart), count: Int(f.nameLength), lowercased: lowercased)
    }

    /// Copies bytes into the storage and returns their offset.
    @discardableResult
    mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) -> Int {
        precondition(storage.count + bytes.count <= Int(Int32.max), "header storage exceeds 2 GiB")
        return storage.append(bytes)
    }

    /// Appends fields whose names and values are (or are about to be) in the storage; `total` of all the fields
    /// appended so far are counted as live (the parser adds them in batches and counts them once at the end).
    mutating func appendFields(_ new: UnsafeBufferPointer<Field>, total: Int, signature: UInt64) {
        fields.append(contentsOf: new)
        count += total
        nameSignature |= signature
    }
}

extension HTTPHeaders {
    /// Sets every field of `block`, replacing fields of the same names: what `set` does field by
    /// field, in one pass and one copy, without validating again (`block` was validated when it
    /// was built). For filters that apply a header block prepared at config time to every response.
    public mutating func set(contentsOf block: HTTPHeaders) {
        guard block.count > 0 else { return }
        if nameSignature & block.nameSignature != 0 {
            block.storage.withUnsafeBytes { blockBytes in
                block.fields.withUnsafeBufferPointer { blockFields in
                    for field in blockFields where field.nameLength > 0 {
                        let name = block.slice(blockBytes, field.nameStart, field.nameLength)
                        if mayContain(name) { remove(name: name) }
                    }
                }
            }
        }
        let base = Int32(truncatingIfNeeded: block.storage.withUnsafeBytes { appendBytes($0) })
        block.fields.withUnsafeBufferPointer { blockFields in
            let live = blockFields.lazy.filter { $0.nameLength > 0 }
            _ = fields.append(count: block.count) { out in
                for (index, field) in live.enumerated() {
                    out[index] = Field(nameStart: field.nameStart &+ base, nameLength: field.nameLength,
                                       valueStart: field.valueStart &+ base, valueLength: field.valueLength)
                }
            }
        }
        count += block.count
        nameSignature |= block.nameSignature
    }
}
