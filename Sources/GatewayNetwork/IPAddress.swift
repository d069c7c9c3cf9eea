/// An IPv4 or IPv6 address.
///
/// Parsing is strict, because addresses come from config files and from `X-Forwarded-For`
/// headers an attacker controls: no octal-looking leading zeros (`01.2.3.4`), no zone ids
/// (`fe80::1%eth0`), no surrounding whitespace.
public enum IPAddress: Hashable, Sendable {
    /// An IPv4 address in host byte order (`1.2.3.4` is `0x01020304`).
    case v4(UInt32)
    /// An IPv6 address as its high and low 64 bits, in host byte order.
    case v6(UInt64, UInt64)

    /// Parses `1.2.3.4`, `::1`, `2001:db8::1` or `::ffff:1.2.3.4`; nil for anything else.
    public init?(_ text: String) {
        var text = text
        guard let address = text.withUTF8({ IPAddress(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = address
    }

    /// Parses ASCII bytes like `init(_:)` does, without creating a `String` (for header values).
    public init?(bytes: UnsafeRawBufferPointer) {
        if bytes.contains(UInt8(ascii: ":")) {
            guard let bits = IPAddress.parseV6(bytes) else { return nil }
            self = .v6(bits.high, bits.low)
        } else {
            guard let address = IPAddress.parseV4(bytes) else { return nil }
            self = .v4(address)
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:1.2.3.4` becomes `1.2.3.4`),
    /// which is how dual-stack sockets report IPv4 peers; any other address unchanged.
    public var unmapped: IPAddress {
        if case .v6(0, let low) = self, low >> 32 == 0xffff {
            return .v4(UInt32(truncatingIfNeeded: low))
        }
        return self
    }

    /// In 127.0.0.0/8 or `::1`: traffic that never leaves the host.
    public var isLoopback: Bool {
        switch self {
        case .v4(let address): address >> 24 == 127
        case .v6(let high, let low): high == 0 && low == 1
        }
    }

    /// 32 or 128.
    var bitWidth: Int {
        if case .v4 = self { return 32 }
        return 128
    }

    /// The address in one 128-bit space where IPv4 addresses are their IPv4-mapped IPv6 form,
    /// so `1.2.3.4` and `::ffff:1.2.3.4` compare equal and one range table covers both families.
    var mappedBits: U128 {
        switch self {
        case .v4(let address): U128(high: 0, low: 0xffff_0000_0000 | UInt64(address))
        case .v6(let high, let low): U128(high: high, low: low)
        }
    }
}

// MARK: - Parsing

extension IPAddress {
    /// Four decimal octets 0-255 without leading zeros.
    static func parseV4(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        var address: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                address = address << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else {
                let digit = byte &- UInt8(ascii: "0")
                // A second digit after a leading 0 would be read as octal by some parsers.
                guard digit < 10, digits == 0 || octet != 0 else { return nil }
                octet = octet * 10 + UInt32(digit)
                digits += 1
                guard octet <= 255 else { return nil }
            }
        }
        guard digits > 0, dots == 3 else { return nil }
        return address << 8 | octet
    }

    /// RFC 4291 text: eight groups of 1-4 hex digits, at most one `::` standing for one or more
    /// zero groups, optionally ending in a dotted quad that counts as two groups.
    static func parseV6(_ bytes: UnsafeRawBufferPointer) -> U128? {
        let colon = UInt8(ascii: ":")
        let end = bytes.count
        // Groups before and after the `::`, each accumulated from the right.
        var head = U128.zero, tail = U128.zero
        var headGroups = 0, tailGroups = 0
        var compressed = false
        var index = 0
        if end >= 2, bytes[0] == colon, bytes[1] == colon {
            compressed = true
            index = 2
            if index == end { return .zero }
        }
        while true {
            var tokenEnd = index
            while tokenEnd < end, bytes[tokenEnd] != colon { tokenEnd += 1 }
            let token = UnsafeRawBufferPointer(rebasing: bytes[index..<tokenEnd])
            let value: UInt64
            let bits: Int
            if token.contains(UInt8(ascii: ".")) {
                guard tokenEnd == end, let address = parseV4(token) else { return nil }
                (value, bits) = (UInt64(address), 32)
            } else {
                guard let group = parseHexGroup(token) else { return nil }
                (value, bits) = (UInt64(group), 16)
            }
            if compressed {
                tail = tail.appending(value, bits: bits)
                tailGroups += bits / 16
            } else {
                head = head.appending(value, bits: bits)
                headGroups += bits / 16
            }
            guard headGroups + tailGroups <= 8 else { return nil }
            if tokenEnd == end { break }
            index = tokenEnd + 1
            if index < end, bytes[index] == colon {
                guard !compressed else { return nil }
                compressed = true
                index += 1
                if index == end { break }
            } else if index == end {
                return nil  // a single trailing colon
            }
        }
        // `::` must stand for at least one group; without it all eight must be present.
        guard compressed ? headGroups + tailGroups <= 7 : headGroups == 8 else { return nil }
        return head.shiftedLeft(by: 16 * (8 - headGroups)) | tail
    }

    private static func parseHexGroup(_ bytes: UnsafeRawBufferPointer) -> UInt16? {
        guard (1...4).contains(bytes.count) else { return nil }
        var group: UInt16 = 0
        for byte in bytes {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            group = group << 4 | UInt16(digit)
        }
        return group
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
