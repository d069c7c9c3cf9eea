extension IPAddress: CustomStringConvertible {
    /// Dotted quad for IPv4; RFC 5952 canonical text for IPv6 (lowercase, no leading zeros,
    /// the longest run of two or more zero groups as `::`, IPv4-mapped as `::ffff:1.2.3.4`).
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(45)
        write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the `description` text's bytes, without allocating a `String` (for log lines
    /// and forwarded headers).
    public func write(into buffer: inout [UInt8]) {
        switch self {
        case .v4(let address):
            IPAddress.writeV4(address, into: &buffer)
        case .v6(let high, let low):
            if high == 0, low >> 32 == 0xffff {
                buffer.append(contentsOf: "::ffff:".utf8)
                IPAddress.writeV4(UInt32(truncatingIfNeeded: low), into: &buffer)
            } else {
                IPAddress.writeV6(high, low, into: &buffer)
            }
        }
    }

    private static func writeV4(_ address: UInt32, into buffer: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) {
            if shift != 24 { buffer.append(UInt8(ascii: ".")) }
            let octet = UInt8(truncatingIfNeeded: address >> UInt32(shift))
            if octet >= 100 { buffer.append(UInt8(ascii: "0") + octet / 100) }
            if octet >= 10 { buffer.append(UInt8(ascii: "0") + octet / 10 % 10) }
            buffer.append(UInt8(ascii: "0") + octet % 10)
        }
    }

    private static func writeV6(_ high: UInt64, _ low: UInt64, into buffer: inout [UInt8]) {
        func group(_ index: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (index < 4 ? high : low) >> UInt64(48 - 16 * (index % 4)))
        }
        // The longest run of zero groups, leftmost on ties; a single zero group stays "0".
        var bestStart = -1, bestLength = 1
        var runStart = 0
        for index in 0..<8 {
            if group(index) != 0 {
                runStart = index + 1
            } else if index - runStart + 1 > bestLength {
                (bestStart, bestLength) = (runStart, index - runStart + 1)
            }
        }
        var index = 0
        var needsColon = false
        while index < 8 {
            if index == bestStart {
                buffer.append(contentsOf: "::".utf8)
                index += bestLength
                needsColon = false
                continue
            }
            if needsColon { buffer.append(UInt8(ascii: ":")) }
            writeHex(group(index), into: &buffer)
            needsColon = true
            index += 1
        }
    }

    private static func writeHex(_ value: UInt16, into buffer: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let nibble = Int(value >> UInt16(shift) & 0xf)
            guard started || nibble != 0 || shift == 0 else { continue }
            started = true
            buffer.append(digits.utf8Start[nibble])
        }
    }
}
