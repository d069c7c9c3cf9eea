import GatewayNetwork
import Testing

@Suite struct CIDRTests {
    @Test func parsesAndMasksHostBits() throws {
        let network = try #require(CIDR("10.1.2.3/8"))
        #expect(network.address == IPAddress("10.0.0.0"))
        #expect(network.prefixLength == 8)
        #expect(network.description == "10.0.0.0/8")
        #expect(CIDR("2001:db8:ffff::1/32")?.description == "2001:db8::/32")
        #expect(CIDR("192.168.1.7")?.description == "192.168.1.7/32")
        #expect(CIDR("::1")?.description == "::1/128")
        #expect(CIDR("0.0.0.0/0")?.description == "0.0.0.0/0")
        #expect(CIDR("1.2.3.4/31")?.description == "1.2.3.4/31")
    }

    @Test(arguments: ["", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/08",
                      "10.0.0.0/8/8", "10.0.0/8", "10.0.0.0/ 8", "host/8"])
    func rejects(_ text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test func explainsRejections() {
        #expect(throws: AddressError("invalid network '10.0.0.0/33': the prefix length must be a number from 0 to 32")) {
            try CIDR(parsing: "10.0.0.0/33")
        }
        #expect(throws: AddressError("invalid network 'x/8': 'x' is not an IP address; expected a network such as 10.0.0.0/8 or 2001:db8::/32")) {
            try CIDR(parsing: "x/8")
        }
    }

    @Test func containsAtBoundaries() throws {
        let v4 = try #require(CIDR("192.168.4.0/22"))
        #expect(!v4.contains(IPAddress("192.168.3.255")!))
        #expect(v4.contains(IPAddress("192.168.4.0")!))
        #expect(v4.contains(IPAddress("192.168.7.255")!))
        #expect(!v4.contains(IPAddress("192.168.8.0")!))

        let v6 = try #require(CIDR("2001:db8::/64"))
        #expect(v6.contains(IPAddress("2001:db8::")!))
        #expect(v6.contains(IPAddress("2001:db8::ffff:ffff:ffff:ffff")!))
        #expect(!v6.contains(IPAddress("2001:db8:0:1::")!))
        #expect(!v6.contains(IPAddress("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")!))

        #expect(CIDR("0.0.0.0/0")!.contains(IPAddress("255.255.255.255")!))
        #expect(!CIDR("0.0.0.0/0")!.contains(IPAddress("::1")!))
        #expect(CIDR("::/0")!.contains(IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!))
        #expect(CIDR("1.2.3.4")!.contains(IPAddress("1.2.3.4")!))
        #expect(!CIDR("1.2.3.4")!.contains(IPAddress("1.2.3.5")!))
    }

    @Test func ipv4NetworksMatchMappedClients() throws {
        let network = try #require(CIDR("10.0.0.0/8"))
        #expect(network.contains(IPAddress("::ffff:10.200.0.1")!))
        #expect(!network.contains(IPAddress("::ffff:11.0.0.1")!))
        // Only the ::ffff:0:0/96 mapping counts, not other embeddings of the same bits.
        #expect(!network.contains(IPAddress("::10.200.0.1")!))
        let mapped = try #require(CIDR("::ffff:10.0.0.0/104"))
        #expect(mapped.contains(IPAddress("10.1.1.1")!))
        #expect(!mapped.contains(IPAddress("11.1.1.1")!))
    }
}

@Suite struct CIDRSetTests {
    /// SplitMix64: a small seeded generator so failures reproduce.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test func emptySetContainsNothing() {
        let set = CIDRSet([])
        #expect(set.isEmpty)
        #expect(!set.contains(IPAddress("1.2.3.4")!))
        #expect(!CIDRSet([CIDR("10.0.0.0/8")!]).isEmpty)
    }

    @Test func mergesOverlappingAndAdjacentNetworks() {
        let set = CIDRSet(["10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "192.168.0.0/24", "2001:db8::/32"].map { CIDR($0)! })
        #expect(set.contains(IPAddress("10.255.255.255")!))
        #expect(set.contains(IPAddress("10.0.0.0")!))
        #expect(!set.contains(IPAddress("11.0.0.0")!))
        #expect(!set.contains(IPAddress("192.168.1.0")!))
        #expect(set.contains(IPAddress("2001:db8::1")!))
        #expect(!set.contains(IPAddress("2001:db9::1")!))
        // ::/0 spans the IPv4-mapped space too, as dual-stack sockets see it.
        #expect(CIDRSet([CIDR("::/0")!]).contains(IPAddress("8.8.8.8")!))
        #expect(CIDRSet([CIDR("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120")!, CIDR("ffff::/16")!])
            .contains(IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!))
    }

    @Test func agreesWithLinearScanOnRandomNetworks() {
        var random = SeededGenerator(state: 0x5eed)
        // Few leading-bit patterns so networks overlap and nest, and probes often land inside.
        func randomIP() -> IPAddress {
            if Bool.random(using: &random) {
                return .v4(UInt32(truncatingIfNeeded: random.next()) & 0x0f0f_ffff | 0x0a00_0000)
            }
            return .v6(0x2001_0db8_0000_0000 | random.next() & 0x0000_0000_00ff_ffff, random.next())
        }
        var cidrs: [CIDR] = []
        for _ in 0..<5000 {
            let ip = randomIP()
            let prefix: Int = switch ip {
            case .v4: Int.random(in: 16...32, using: &random)
            case .v6: Int.random(in: 56...128, using: &random)
            }
            cidrs.append(CIDR(address: ip, prefixLength: prefix)!)
        }
        let set = CIDRSet(cidrs)
        var hits = 0
        for _ in 0..<5000 {
            var probe = randomIP()
            if Int.random(in: 0..<4, using: &random) == 0, case .v4(let v4) = probe {
                probe = .v6(0, 0xffff_0000_0000 | UInt64(v4))
            }
            let expected = cidrs.contains { $0.contains(probe) }
            #expect(set.contains(probe) == expected, "\(probe)")
            if expected { hits += 1 }
        }
        // The probes exercise both answers.
        #expect(hits > 500 && hits < 4500)
    }
}
