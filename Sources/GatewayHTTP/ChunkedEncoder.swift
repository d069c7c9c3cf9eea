/// Writers for chunked transfer coding (RFC 9112 7.1): `writeChunkHeader`, the data, `chunkTrailer`, ... `lastChunk`.
public enum ChunkedEncoder {
    /// Appends `<size in hex> CRLF`.
    public static func writeChunkHeader(size: Int, into buffer: inout [UInt8]) {
        precondition(size >= 0, "negative chunk size")
        var shift = (Int.bitWidth - size.leadingZeroBitCount - 1) / 4 * 4  // 0 for size 0
        while shift >= 0 {
            buffer.append(ASCII.hexDigit(UInt8((size >> shift) & 0xF)))
            shift -= 4
        }
        buffer.append(ASCII.cr)
        buffer.append(ASCII.lf)
    }

    /// The CRLF that follows each chunk's data.
    public static let chunkTrailer: [UInt8] = [ASCII.cr, ASCII.lf]

    /// The zero-size chunk and an empty trailer section: `0 CRLF CRLF`.
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
}
