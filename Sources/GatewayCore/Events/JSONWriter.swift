import GatewayHTTP

/// Writes one JSON object byte by byte, members in call order.
///
/// The output is ASCII only: every non-ASCII character becomes a `\u` escape (a surrogate pair
/// above U+FFFF) and invalid UTF-8 becomes `\ufffd`. Whatever a client sent, a line is then
/// safe for every sink, terminal and syslog receiver, and shows no bidi or look-alike tricks.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next member needs a comma before it.
    private var needsComma = false

    init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The finished object.
    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `"key":{...}` with the members `body` writes.
    mutating func object(_ key: String, _ body: (inout JSONWriter) -> Void) {
        member(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// A string member, nothing when `value` is nil; at most `limit` bytes of it, cut at a
    /// character boundary. Returns whether it was cut.
    @discardableResult
    mutating func string(_ key: String, _ value: String?, limit: Int = .max) -> Bool {
        guard var value else { return false }
        member(key)
        return value.withUTF8 { JSONWriter.appendQuoted($0, limit: limit, to: &bytes) }
    }

    /// A string member from raw bytes, which need not be UTF-8.
    @discardableResult
    mutating func string(_ key: String, bytes value: [UInt8], limit: Int = .max) -> Bool {
        member(key)
        return value.withUnsafeBufferPointer { JSONWriter.appendQuoted($0, limit: limit, to: &bytes) }
    }

    /// A string member whose text `write` appends; it must need no escaping (an IP address).
    mutating func string(_ key: String, writing write: (inout [UInt8]) -> Void) {
        member(key)
        bytes.append(UInt8(ascii: "\""))
        write(&bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// An array of strings, each cut to `limit` bytes.
    mutating func strings(_ key: String, _ values: some Sequence<String>, limit: Int = .max) {
        member(key)
        bytes.append(UInt8(ascii: "["))
        for (index, var value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            value.withUTF8 { _ = JSONWriter.appendQuoted($0, limit: limit, to: &bytes) }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func number(_ key: String, _ value: Int) {
        member(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Nothing for nil, infinities and NaN, which JSON cannot express.
    mutating func number(_ key: String, _ value: Double?) {
        guard let value, value.isFinite else { return }
        member(key)
        bytes.append(contentsOf: value.description.utf8)
    }

    mutating func bool(_ key: String, _ value: Bool) {
        member(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    private mutating func member(_ key: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        var key = key
        key.withUTF8 { _ = JSONWriter.appendQuoted($0, limit: .max, to: &bytes) }
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Escaping

    /// Appends `input` as a quoted JSON string, at most `limit` input bytes of it (cut before the
    /// first character that would cross the limit). Returns whether it was cut.
    static func appendQuoted(_ input: UnsafeBufferPointer<UInt8>, limit: Int, to out: inout [UInt8]) -> Bool {
        out.append(UInt8(ascii: "\""))
        var index = 0
        var truncated = false
        while index < input.count {
            let (decoded, length) = UTF8Sequence.decode(UnsafeRawBufferPointer(input), at: index, end: input.count)
            let scalar = decoded ?? 0xFFFD
            if index + length > limit {
                truncated = true
                break
            }
            appendEscaped(scalar, to: &out)
            index += length
        }
        out.append(UInt8(ascii: "\""))
        return truncated
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendEscaped(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0x22: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case 0x5C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x20..<0x7F: out.append(UInt8(scalar))
        case 0x10000...:
            let offset = scalar - 0x10000
            appendUnicodeEscape(0xD800 + offset >> 10, to: &out)
            appendUnicodeEscape(0xDC00 + offset & 0x3FF, to: &out)
        default:  // other controls, DEL and the rest of the BMP
            appendUnicodeEscape(scalar, to: &out)
        }
    }

    private static func appendUnicodeEscape(_ unit: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int(unit >> UInt32(shift) & 0xF)])
        }
    }

    /// `gateway.matched` text: printable ASCII as is, every other byte and `\` as `\xNN`, so the
    /// exact bytes that matched can be read back; at most `limit` output bytes, never cutting an
    /// escape. Returns the text and whether it was cut.
    static func fragment(_ input: UnsafeBufferPointer<UInt8>, limit: Int) -> (text: [UInt8], truncated: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, input.count * 4))
        for byte in input {
            let printable = (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\\")
            if out.count + (printable ? 1 : 4) > limit { return (out, true) }
            if printable {
                out.append(byte)
            } else {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x")])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return (out, false)
    }
}
