/// The two HTTP/1 versions the gateway speaks; anything else is rejected by the parsers.
public enum HTTPVersion: Sendable, Hashable {
    case http10, http11

    /// "HTTP/1.1" and "HTTP/1.0" as laid out in memory.
    private static var http11Word: UInt64 { UInt64(littleEndian: 0x312E_312F_5054_5448) }
    private static var http10Word: UInt64 { UInt64(littleEndian: 0x302E_312F_5054_5448) }

    var literal: StaticString {
        switch self {
        case .http10: return "HTTP/1.0"
        case .http11: return "HTTP/1.1"
        }
    }

    /// Parses the 8-byte `HTTP-version` at `buf[start..<end]` (RFC 9112 2.3).
    /// `HTTP/d.d` other than 1.0/1.1 is well-formed but unsupported (505); anything else is malformed.
    static func parse(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws(HTTPParseError) -> HTTPVersion {
        if end - start == 8, let p = buf.baseAddress {  // fast path for the two supported spellings
            let word = p.loadUnaligned(fromByteOffset: start, as: UInt64.self)
            if word == HTTPVersion.http11Word { return .http11 }
            if word == HTTPVersion.http10Word { return .http10 }
        }
        guard end - start == 8,
              buf[start] == 0x48, buf[start + 1] == 0x54, buf[start + 2] == 0x54, buf[start + 3] == 0x50,
              buf[start + 4] == ASCII.slash, ASCII.isDigit(buf[start + 5]), buf[start + 6] == ASCII.dot,
              ASCII.isDigit(buf[start + 7])
        else {
            let hasCR = buf[start..<end].contains(ASCII.cr)
            throw HTTPParseError(hasCR ? .bareCR : .invalidVersion)
        }
        guard buf[start + 5] == 0x31 else { throw HTTPParseError(.unsupportedVersion) }
        switch buf[start + 7] {
        case 0x31: return .http11
        case 0x30: return .http10
        default: throw HTTPParseError(.unsupportedVersion)
        }
    }
}
