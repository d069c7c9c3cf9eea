/// Reads one scalar out of a JSON document by a dotted path (`patient.phone`, `items.0.id`)
/// in a single forward pass, without building a tree.
///
/// A path component that is all digits indexes an array; any other names an object member
/// (the first one of that name, as most backends' parsers keep). A string comes back unescaped
/// (UTF-8), a number or `true`/`false` as written; `null`, objects, arrays, a missing member and
/// malformed JSON give nil.
public struct JSONFieldReader: Sendable {
    public let path: [String]
    private let components: [Component]

    private enum Component: Sendable {
        case member([UInt8])
        case index(Int)
    }

    /// Nesting deeper than this is treated as malformed: the scan stays bounded.
    static let maxDepth = 64

    public init(path: String) {
        self.path = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        components = self.path.map { part in
            if !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let index = Int(part) { .index(index) } else { .member(Array(part.utf8)) }
        }
    }

    public func value(in document: [UInt8]) -> [UInt8]? {
        document.withUnsafeBufferPointer { buffer in
            var scanner = Scanner(bytes: buffer)
            return scanner.find(components[...], depth: 0)
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        mutating func find(_ path: ArraySlice<Component>, depth: Int) -> [UInt8]? {
            skipSpace()
            guard let component = path.first else { return scalar() }
            guard depth < JSONFieldReader.maxDepth, position < bytes.count else { return nil }
            switch (component, bytes[position]) {
            case (.member(let name), UInt8(ascii: "{")):
                position += 1
                skipSpace()
                if peek(UInt8(ascii: "}")) { return nil }
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard consume(UInt8(ascii: ":")) else { return nil }
                    if key == name { return find(path.dropFirst(), depth: depth + 1) }
                    guard skipValue(depth: depth + 1) else { return nil }
                    skipSpace()
                    guard consume(UInt8(ascii: ",")) else { return nil }
                }
            case (.index(let wanted), UInt8(ascii: "[")):
                position += 1
                skipSpace()
                if peek(UInt8(ascii: "]")) { return nil }
                var index = 0
                while true {
                    if index == wanted { return find(path.dropFirst(), depth: depth + 1) }
                    guard skipValue(depth: depth + 1) else { return nil }
                    skipSpace()
                    guard consume(UInt8(ascii: ",")) else { return nil }
                    index += 1
                }
            default:
                return nil
            }
        }

        /// A string, number or boolean at the current position.
        mutating func scalar() -> [UInt8]? {
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "t"), UInt8(ascii: "f"):
                let start = position
                while position < bytes.count, isLiteralByte(bytes[position]) { position += 1 }
                let literal = Array(bytes[start..<position])
                if literal.first == UInt8(ascii: "t") { return literal == Array("true".utf8) ? literal : nil }
                if literal.first == UInt8(ascii: "f") { return literal == Array("false".utf8) ? literal : nil }
                return literal
            default: return nil
            }
        }

        mutating func skipValue(depth: Int) -> Bool {
            skipSpace()
            guard depth < JSONFieldReader.maxDepth, position < bytes.count else { return false }
            switch bytes[position] {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = bytes[position] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                let isObject = close == UInt8(ascii: "}")
                position += 1
                skipSpace()
                if consume(close) { return true }
                while true {
                    if isObject {
                        skipSpace()
                        guard string() != nil else { return false }
                        skipSpace()
                        guard consume(UInt8(ascii: ":")) else { return false }
                    }
                    guard skipValue(depth: depth + 1) else { return false }
                    skipSpace()
                    if consume(close) { return true }
                    guard consume(UInt8(ascii: ",")) else { return false }
                }
            default:
                let start = position
                while position < bytes.count, isLiteralByte(bytes[position]) { position += 1 }
                return position > start
            }
        }

        /// A string literal, unescaped; nil when malformed.
        mutating func string() -> [UInt8]? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return out
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { return nil }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar), consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")),
                           let low = hex4(), (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        out.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
                    default: out.append(escape)  // \" \\ \/
                    }
                case 0..<0x20:
                    return nil
                default:
                    out.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = ASCII.hexValue(bytes[position]) else { return nil }
                position += 1
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        func isLiteralByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "E"): true
            default: false
            }
        }

        mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        func peek(_ byte: UInt8) -> Bool { position < bytes.count && bytes[position] == byte }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard peek(byte) else { return false }
            position += 1
            return true
        }
    }
}
