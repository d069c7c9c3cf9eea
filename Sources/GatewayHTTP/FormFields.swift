/// Named values of `application/x-www-form-urlencoded` text (query strings and form bodies)
/// and of `Cookie` headers, decoded the way backends decode them.
public enum FormFields {
    /// The decoded value of the first `name=value` pair named `name` in form-encoded `text`
    /// (`&`-separated; `+` is a space; %-escapes decoded). A bare `name` gives an empty value.
    /// nil when absent or when the value has a bad %-escape.
    public static func value(named name: String, in text: some Collection<UInt8>) -> [UInt8]? {
        let wanted = Array(name.utf8)
        for pair in text.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = pair[..<(equals ?? pair.endIndex)]
            guard percentDecoded(rawName, plusIsSpace: true) == wanted else { continue }
            guard let equals else { return [] }
            return percentDecoded(pair[pair.index(after: equals)...], plusIsSpace: true)
        }
        return nil
    }

    /// The value of cookie `name` in a `Cookie` header value (`a=1; b=2`), surrounding double
    /// quotes removed; nil when absent.
    public static func cookie(named name: String, in header: some Collection<UInt8>) -> [UInt8]? {
        let wanted = Array(name.utf8)
        for pair in header.split(separator: UInt8(ascii: ";")) {
            let trimmed = pair.drop { $0 == 0x20 || $0 == 0x09 }
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")),
                  trimmed[..<equals].elementsEqual(wanted) else { continue }
            var value = Array(trimmed[trimmed.index(after: equals)...])
            while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
            if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
                value = Array(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }

    /// %-decodes `bytes`; nil on a malformed escape.
    public static func percentDecoded(_ bytes: some Collection<UInt8>, plusIsSpace: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(ASCII.hexValue), let low = iterator.next().flatMap(ASCII.hexValue) else { return nil }
                out.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                out.append(0x20)
            default:
                out.append(byte)
            }
        }
        return out
    }
}
