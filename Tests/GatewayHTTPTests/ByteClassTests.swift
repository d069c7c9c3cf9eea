import Testing
@testable import GatewayHTTP

@Suite("Byte classes")
struct ByteClassTests {
    @Test func tokenCharacterMasksMatchTheGrammar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for b in 0...255 {
            #expect(ASCII.isTchar(UInt8(b)) == tchar.contains(UInt8(b)), "byte \(b)")
        }
    }

    @Test func regNameMaskMatchesRFC3986() {
        let regName = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=".utf8)
        for b in 0...255 {
            #expect(URIHost.isRegNameByte(UInt8(b)) == regName.contains(UInt8(b)), "byte \(b)")
        }
    }

    @Test func swarScannersFindTheFirstStopByteAtEveryOffset() {
        // Exercise the 8-byte path and the tail with every byte value at every position of a 20-byte run.
        for stop in 0...255 {
            let b = UInt8(stop)
            let isValueStop = b < 0x20 || b == 0x7F
            let isTargetStop = !(0x21...0x7E).contains(b) || b == 0x23
            for position in 0..<20 {
                var bytes = [UInt8](repeating: 0x61, count: 20)
                bytes[position] = b
                bytes.withUnsafeBytes { buf in
                    #expect(ASCII.skipFieldValueBytes(buf, from: 0, end: 20) == (isValueStop ? position : 20))
                    #expect(ASCII.skipTargetBytes(buf, from: 0, end: 20) == (isTargetStop ? position : 20))
                    let inWindow = (1..<17).contains(position)
                    #expect(ASCII.skipFieldValueBytes(buf, from: 1, end: 17) == (isValueStop && inWindow ? position : 17))
                }
            }
        }
    }
}
