import GatewayNetwork
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", IPAddress.v4(0)),
        ("1.2.3.4", .v4(0x0102_0304)),
        ("255.255.255.255", .v4(.max)),
        ("10.0.0.1", .v4(0x0a00_0001)),
        ("::", .v6(0, 0)),
        ("::1", .v6(0, 1)),
        ("1::", .v6(0x0001_0000_0000_0000, 0)),
        ("2001:db8::1", .v6(0x2001_0db8_0000_0000, 1)),
        ("2001:DB8:0:0:8:800:200C:417A", .v6(0x2001_0db8_0000_0000, 0x0008_0800_200c_417a)),
        ("1:2:3:4:5:6:7:8", .v6(0x0001_0002_0003_0004, 0x0005_0006_0007_0008)),
        ("1::2:3:4:5:6:7", .v6(0x0001_0000_0002_0003, 0x0004_0005_0006_0007)),
        ("1:2:3:4:5:6:7::", .v6(0x0001_0002_0003_0004, 0x0005_0006_0007_0000)),
        ("0001:0db8::", .v6(0x0001_0db8_0000_0000, 0)),
        ("::ffff:1.2.3.4", .v6(0, 0xffff_0102_0304)),
        ("64:ff9b::192.0.2.33", .v6(0x0064_ff9b_0000_0000, 0xc000_0221)),
        ("1:2:3:4:5:6:1.2.3.4", .v6(0x0001_0002_0003_0004, 0x0005_0006_0102_0304)),
    ])
    func parses(_ text: String, _ expected: IPAddress) {
        #expect(IPAddress(text) == expected)
        let fromBytes = Array(text.utf8).withUnsafeBytes { IPAddress(bytes: $0) }
        #expect(fromBytes == expected)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "00.0.0.0",
        "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/8", "a.b.c.d",
        ":", ":::", "1::2::3", ":1::", "::1:", "1:2", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::", "fe80::1%eth0", "[::1]",
        "::ffff:1.2.3", "::ffff:256.0.0.0", "1.2.3.4::", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
    ])
    func rejects(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(arguments: [
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:DB8::A", "2001:db8::a"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("1:0:0:0:0:0:0:0", "1::"),
        // A single zero group is not compressed.
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        // The longest run wins; on a tie the first.
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::ffff:0102:0304", "::ffff:1.2.3.4"),
        ("1.2.3.4", "1.2.3.4"),
        ("0.10.100.255", "0.10.100.255"),
    ])
    func canonicalText(_ text: String, _ canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        var bytes: [UInt8] = [0x3e]
        address.write(into: &bytes)
        #expect(bytes == [0x3e] + Array(canonical.utf8))
    }

    @Test func unmapped() {
        #expect(IPAddress("::ffff:10.1.2.3")?.unmapped == IPAddress("10.1.2.3"))
        #expect(IPAddress("10.1.2.3")?.unmapped == IPAddress("10.1.2.3"))
        #expect(IPAddress("::1")?.unmapped == IPAddress("::1"))
        #expect(IPAddress("::fffe:10.1.2.3")?.unmapped == IPAddress("::fffe:a01:203"))
    }
}
