import Glibc

extension SocketAddress {
    /// Resolves `host:port`, where host is a literal address (`[::1]` for IPv6) or a name looked
    /// up with `getaddrinfo`: every distinct address, in the resolver's preference order.
    ///
    /// Blocks; meant for config loading only.
    public static func resolve(_ text: String) throws(AddressError) -> [SocketAddress] {
        let (host, port, bracketed) = try split(text)
        if let ip = try literalIP(host, bracketed: bracketed, in: text) {
            return [SocketAddress(ip: ip, port: port)]
        }
        // glibc would read `010.1` or `0x7f.1` as inet_aton numbers; anything numeric-looking
        // the strict parser refused is a typo, not a name.
        var numeric = in_addr()
        guard inet_aton(String(host), &numeric) == 0 else {
            throw AddressError("invalid address '\(text)': '\(host)' is not a valid IPv4 address")
        }

        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(String(host), nil, &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw AddressError("cannot resolve '\(host)' in '\(text)': \(reason)")
        }
        defer { freeaddrinfo(list) }

        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry {
            if let sockaddr = info.pointee.ai_addr, let ip = IPAddress(sockaddr: sockaddr) {
                let address = SocketAddress(ip: ip, port: port)
                if !addresses.contains(address) { addresses.append(address) }
            }
            entry = info.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            throw AddressError("cannot resolve '\(host)' in '\(text)': no IPv4 or IPv6 address")
        }
        return addresses
    }
}
