/// An IP network: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`).
///
/// IPv4 networks also match IPv4-mapped IPv6 clients (`::ffff:10.1.2.3` is in `10.0.0.0/8`),
/// since dual-stack sockets report IPv4 peers that way.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The network address, host bits zero.
    public let address: IPAddress
    /// 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// The network containing `address`, host bits cleared; nil if `prefixLength` is out of range.
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bitWidth).contains(prefixLength) else { return nil }
        let network = address.mappedBits & CIDR.mask(address, prefixLength)
        switch address {
        case .v4: self.address = .v4(UInt32(truncatingIfNeeded: network.low))
        case .v6: self.address = .v6(network.high, network.low)
        }
        self.prefixLength = prefixLength
    }

    /// Parses `10.0.0.0/8` or `2001:db8::/32`; a bare address is a host route (/32, /128).
    /// Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
    public init?(_ text: String) {
        guard let cidr = try? CIDR(parsing: text) else { return nil }
        self = cidr
    }

    /// Like `init(_:)`, but says what is wrong with `text`.
    public init(parsing text: String) throws(AddressError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else {
            throw AddressError("invalid network '\(text)': '\(parts[0])' is not an IP address; expected a network such as 10.0.0.0/8 or 2001:db8::/32")
        }
        guard parts.count == 2 else {
            self.init(address: address, prefixLength: address.bitWidth)!
            return
        }
        let prefix = parts[1]
        guard prefix.count <= 3, prefix.allSatisfy(\.isASCIIDigit), prefix == "0" || !prefix.hasPrefix("0"),
              let length = Int(prefix), let cidr = CIDR(address: address, prefixLength: length)
        else {
            throw AddressError("invalid network '\(text)': the prefix length must be a number from 0 to \(address.bitWidth)")
        }
        self = cidr
    }

    /// Whether `ip` is in this network.
    public func contains(_ ip: IPAddress) -> Bool {
        range.contains(ip.mappedBits)
    }

    /// The addresses of this network in the IPv4-mapped 128-bit space.
    var range: ClosedRange<U128> {
        let mask = CIDR.mask(address, prefixLength)
        let first = address.mappedBits & mask
        return first...(first | ~mask)
    }

    public var description: String { "\(address)/\(prefixLength)" }

    /// IPv4 prefixes sit below the 96 bits of the `::ffff:0:0/96` mapping prefix.
    private static func mask(_ address: IPAddress, _ prefixLength: Int) -> U128 {
        if case .v4 = address { return U128.mask(prefixLength: 96 + prefixLength) }
        return U128.mask(prefixLength: prefixLength)
    }
}
