// SHA-256 (FIPS 180-4) and the deterministic byte pattern shared with upstream.py.
// No crypto library is available to the test target, and the upstream reports the SHA-256
// of every body it receives, so the harness computes its own to compare.

#if canImport(Glibc)
import Glibc
#endif

struct SHA256 {
    private var h: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    init() {}

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        var d = SHA256()
        d.update(bytes)
        return d.finalizeHex()
    }

    mutating func update(_ bytes: some Collection<UInt8>) {
        length &+= UInt64(bytes.count)
        pending.append(contentsOf: bytes)
        if pending.count >= 64 {
            let whole = pending.count / 64 * 64
            pending.withUnsafeBufferPointer { p in
                var w = [UInt32](repeating: 0, count: 64)
                var off = 0
                while off < whole {
                    compress(p, off, &w)
                    off += 64
                }
            }
            pending.removeFirst(whole)
        }
    }

    private mutating func compress(_ p: UnsafeBufferPointer<UInt8>, _ off: Int, _ w: inout [UInt32]) {
        for i in 0..<16 {
            let j = off + i * 4
            w[i] = UInt32(p[j]) << 24 | UInt32(p[j + 1]) << 16 | UInt32(p[j + 2]) << 8 | UInt32(p[j + 3])
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
        for i in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ SHA256.k[i] &+ w[i]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
        h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }

    private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    mutating func finalizeHex() -> String {
        let bitLength = length &* 8
        var tailBytes: [UInt8] = [0x80]
        while (pending.count + tailBytes.count) % 64 != 56 { tailBytes.append(0) }
        for i in (0..<8).reversed() { tailBytes.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        let savedLength = length
        update(tailBytes)
        length = savedLength
        var out = [UInt8]()
        for word in h {
            out += [UInt8(word >> 24), UInt8((word >> 16) & 0xff), UInt8((word >> 8) & 0xff), UInt8(word & 0xff)]
        }
        return hexString(out)
    }
}

/// The test pattern: byte i = i % 251 (the same as upstream.py's `/bytes` and `/upload`).
enum TestPattern {
    static let period = 251
    private static let blockLength = 65536
    /// pattern bytes 0 ..< blockLength + period
    static let block: [UInt8] = (0..<(65536 + 251)).map { UInt8($0 % 251) }

    /// `count` pattern bytes starting at absolute `offset`.
    static func bytes(offset: Int = 0, count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        var off = offset
        var left = count
        while left > 0 {
            let k = min(left, blockLength)
            let p = off % period
            out.append(contentsOf: block[p..<(p + k)])
            off += k
            left -= k
        }
        return out
    }

    /// Sends `count` pattern bytes on `connection` without holding them all in memory.
    static func send(count: Int, on connection: RawConnection, timeout: Double = 120) throws {
        let deadline = Deadline(timeout)
        var off = 0
        try block.withUnsafeBytes { raw in
            while off < count {
                let k = min(blockLength, count - off)
                let p = off % period
                try connection.send(raw: UnsafeRawBufferPointer(rebasing: raw[p..<(p + k)]),
                                    timeout: max(0.001, deadline.remaining))
                off += k
            }
        }
    }
}

/// Checks a streamed body against the pattern, piece by piece (memcmp, no copies).
struct PatternVerifier {
    private(set) var offset = 0
    private(set) var firstMismatch: Int?

    var ok: Bool { firstMismatch == nil }

    mutating func feed(_ piece: ArraySlice<UInt8>) {
        guard firstMismatch == nil else { offset += piece.count; return }
        piece.withUnsafeBytes { got in
            TestPattern.block.withUnsafeBytes { exp in
                var done = 0
                while done < got.count {
                    let p = (offset + done) % TestPattern.period
                    let k = min(got.count - done, exp.count - p)
                    if memcmp(got.baseAddress! + done, exp.baseAddress! + p, k) != 0 {
                        for i in 0..<k where got[done + i] != exp[p + i] {
                            firstMismatch = offset + done + i
                            break
                        }
                        break
                    }
                    done += k
                }
            }
        }
        offset += piece.count
    }
}
