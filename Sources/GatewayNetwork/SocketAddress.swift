/// An IP address and TCP port: `127.0.0.1:8080` or `[::1]:8080`.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses `127.0.0.1:8080` or `[::1]:8080` (literal addresses only; port 1-65535).
    public init?(_ text: String) {
        guard let address = try? SocketAddress(parsing: text) else { return nil }
        self = address
    }

    /// Like `init(_:)`, but says what is wrong with `text`.
    public init(parsing text: String) throws(AddressError) {
        let (host, port, bracketed) = try SocketAddress.split(text)
        guard let ip = try SocketAddress.literalIP(host, bracketed: bracketed, in: text) else {
            throw AddressError("invalid address '\(text)': '\(host)' is not an IP address (host names are not allowed here)")
        }
        self.init(ip: ip, port: port)
    }

    public var description: String {
        if case .v6 = ip { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    /// Splits `host:port` or `[v6]:port`, checking the port.
    static func split(_ text: String) throws(AddressError) -> (host: Substring, port: UInt16, bracketed: Bool) {
        let host: Substring
        let portText: Substring
        let bracketed = text.hasPrefix("[")
        if bracketed {
            guard let close = text.firstIndex(of: "]") else {
                throw AddressError("invalid address '\(text)': missing ']' after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw AddressError("invalid address '\(text)': missing port; expected [address]:port such as [::1]:8080")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw AddressError("invalid address '\(text)': missing port; expected host:port such as 127.0.0.1:8080")
            }
            host = text[..<colon]
            guard !host.contains(":") else {
                throw AddressError("invalid address '\(text)': write IPv6 addresses in brackets, such as [::1]:8080")
            }
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else {
            throw AddressError("invalid address '\(text)': missing host before the port")
        }
        guard portText.count <= 5, portText.allSatisfy(\.isASCIIDigit), !portText.hasPrefix("0"),
              let port = UInt16(portText), port > 0
        else {
            throw AddressError("invalid address '\(text)': the port must be a number from 1 to 65535, found '\(portText)'")
        }
        return (host, port, bracketed)
    }

    /// The host as a literal address: IPv6 inside brackets, IPv4 without; nil for a host name.
    static func literalIP(_ host: Substring, bracketed: Bool, in text: String) throws(AddressError) -> IPAddress? {
        let ip = IPAddress(String(host))
        if bracketed {
            guard let ip, case .v6 = ip else {
                throw AddressError("invalid address '\(text)': '\(host)' is not an IPv6 address")
            }
        }
        return ip
    }
}
