import Glibc
import GatewayNetwork
import Testing

@Suite struct SocketAddressTests {
    @Test func parsesAndFormats() throws {
        let v4 = try #require(SocketAddress("127.0.0.1:8080"))
        #expect(v4 == SocketAddress(ip: .v4(0x7f00_0001), port: 8080))
        #expect(v4.description == "127.0.0.1:8080")
        let v6 = try #require(SocketAddress("[2001:DB8::1]:443"))
        #expect(v6 == SocketAddress(ip: IPAddress("2001:db8::1")!, port: 443))
        #expect(v6.description == "[2001:db8::1]:443")
        #expect(SocketAddress("0.0.0.0:65535")?.port == 65535)
        #expect(SocketAddress("[::]:1")?.description == "[::]:1")
    }

    @Test(arguments: [
        "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:080", "127.0.0.1:+80",
        "127.0.0.1:80x", ":80", "::1:80", "[::1]", "[::1]80", "[::1:80", "[1.2.3.4]:80", "localhost:80",
        "256.0.0.1:80", "[fe80::1%eth0]:80", "127.0.0.1:8080 ",
    ])
    func rejects(_ text: String) {
        #expect(SocketAddress(text) == nil)
    }

    @Test func explainsRejections() {
        #expect(throws: AddressError("invalid address '127.0.0.1': missing port; expected host:port such as 127.0.0.1:8080")) {
            try SocketAddress(parsing: "127.0.0.1")
        }
        #expect(throws: AddressError("invalid address '127.0.0.1:0': the port must be a number from 1 to 65535, found '0'")) {
            try SocketAddress(parsing: "127.0.0.1:0")
        }
        #expect(throws: AddressError("invalid address '::1:80': write IPv6 addresses in brackets, such as [::1]:8080")) {
            try SocketAddress(parsing: "::1:80")
        }
        #expect(throws: AddressError("invalid address 'localhost:80': 'localhost' is not an IP address (host names are not allowed here)")) {
            try SocketAddress(parsing: "localhost:80")
        }
    }

    @Test(arguments: ["10.1.2.3:8080", "[2001:db8::7]:443", "[::ffff:1.2.3.4]:1"])
    func roundTripsThroughSockaddr(_ text: String) throws {
        let address = try #require(SocketAddress(text))
        let copy = address.withSockAddr { pointer, length -> SocketAddress? in
            let expectedLength = if case .v4 = address.ip { MemoryLayout<sockaddr_in>.size } else { MemoryLayout<sockaddr_in6>.size }
            #expect(Int(length) == expectedLength)
            return SocketAddress(sockaddr: pointer)
        }
        #expect(copy == address)
        #expect(address.withSockAddr { pointer, _ in IPAddress(sockaddr: pointer) } == address.ip)
    }

    @Test func readsKernelAddresses() throws {
        // Bind to an ephemeral loopback port and read it back with getsockname.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        let bound = SocketAddress(ip: IPAddress("127.0.0.1")!, port: 1).withSockAddr { pointer, length in
            var sin = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            sin.sin_port = 0
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
        }
        #expect(bound == 0)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let local = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> SocketAddress? in
                guard getsockname(fd, pointer, &length) == 0 else { return nil }
                return SocketAddress(sockaddr: pointer)
            }
        }
        let address = try #require(local)
        #expect(address.ip == IPAddress("127.0.0.1"))
        #expect(address.port != 0)
    }

    @Test func resolvesNamesAndLiterals() throws {
        let localhost = try SocketAddress.resolve("localhost:80")
        #expect(!localhost.isEmpty)
        #expect(localhost.allSatisfy { $0.port == 80 })
        #expect(localhost.contains { $0.ip == IPAddress("127.0.0.1") || $0.ip == IPAddress("::1") })
        #expect(Set(localhost).count == localhost.count)

        #expect(try SocketAddress.resolve("10.0.0.1:8080") == [SocketAddress("10.0.0.1:8080")!])
        #expect(try SocketAddress.resolve("[::1]:8080") == [SocketAddress("[::1]:8080")!])
    }

    @Test func resolveRejectsBadInput() {
        #expect(throws: AddressError("invalid address 'localhost': missing port; expected host:port such as 127.0.0.1:8080")) {
            try SocketAddress.resolve("localhost")
        }
        // glibc would take these as inet_aton numbers (octal, short forms).
        #expect(throws: AddressError("invalid address '010.0.0.1:80': '010.0.0.1' is not a valid IPv4 address")) {
            try SocketAddress.resolve("010.0.0.1:80")
        }
        #expect(throws: AddressError.self) { try SocketAddress.resolve("127.1:80") }
        #expect(throws: AddressError.self) { try SocketAddress.resolve("no-such-host.invalid:80") }
        #expect(throws: AddressError.self) { try SocketAddress.resolve("[localhost]:80") }
    }
}
