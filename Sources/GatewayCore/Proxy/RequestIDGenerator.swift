import CGatewayOpenSSL

/// Request ids: 15 characters of the URL-safe base-64 alphabet (90 random bits). Fifteen bytes
/// is the longest String that Swift stores inline, so making one allocates nothing.
final class RequestIDGenerator {
    private var state: (UInt64, UInt64)
    private static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_".utf8)

    init() {
        var seed: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &seed) { _ = RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32($0.count)) }
        state = (seed.0 | 1, seed.1 | 1)
    }

    /// xorshift128+: fast and well distributed; ids need uniqueness, not secrecy.
    private func next() -> UInt64 {
        var s1 = state.0
        let s0 = state.1
        state.0 = s0
        s1 ^= s1 << 23
        state.1 = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26)
        return state.1 &+ s0
    }

    func make() -> String {
        var high = next(), low = next()
        return String(unsafeUninitializedCapacity: 15) { buffer in
            RequestIDGenerator.alphabet.withUnsafeBufferPointer { alphabet in
                // 6 bits a character: 10 from one word, 5 from the other.
                for index in 0..<10 {
                    buffer[index] = alphabet[Int(high & 63)]
                    high >>= 6
                }
                for index in 10..<15 {
                    buffer[index] = alphabet[Int(low & 63)]
                    low >>= 6
                }
            }
            return 15
        }
    }

    /// A client's X-Request-ID is kept when it is 1-128 bytes of [A-Za-z0-9._:-]; anything else
    /// could smuggle markup or separators into logs and events.
    static func isAcceptable(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard (1...128).contains(bytes.count) else { return false }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: ":"):
                continue
            default:
                return false
            }
        }
        return true
    }
}
