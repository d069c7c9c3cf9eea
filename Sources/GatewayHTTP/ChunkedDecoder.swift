/// Why a chunked body was rejected. The description never echoes received bytes.
public struct ChunkedError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// Empty size, a non-hex byte (sign, leading whitespace, "0x"), or whitespace not followed by `;`.
        case invalidChunkSize
        /// More than 16 hex digits, or a size above Int64.max.
        case chunkSizeOverflow
        /// Size line (with extensions, without CRLF) longer than `maxLineBytes`.
        case lineTooLong
        /// A control byte in a chunk extension.
        case invalidExtension
        /// A size or trailer line not ended by CRLF.
        case invalidLineEnding
        /// Chunk data not followed by exactly CRLF.
        case missingCRLFAfterData
        /// Trailer section longer than `maxTrailerBytes`.
        case trailerTooLarge
        /// A trailer field that would be rejected in a header section.
        case invalidTrailer(HTTPParseError.Reason)
    }

    public var reason: Reason

    public init(_ reason: Reason) { self.reason = reason }

    public var description: String {
        switch reason {
        case .invalidChunkSize: return "invalid chunk size"
        case .chunkSizeOverflow: return "chunk size too large"
        case .lineTooLong: return "chunk size line too long"
        case .invalidExtension: return "invalid chunk extension"
        case .invalidLineEnding: return "chunk line not terminated by CRLF"
        case .missingCRLFAfterData: return "missing CRLF after chunk data"
        case .trailerTooLarge: return "chunked trailer section too large"
        case .invalidTrailer(let reason): return "invalid trailer field: \(HTTPParseError(reason).description)"
        }
    }
}

/// Incremental, strict decoder for the chunked transfer coding (RFC 9112 7.1).
///
/// Input may be split anywhere (down to one byte per call). Chunk extensions are checked and ignored; trailer
/// fields are validated like header fields and discarded. Reusable across messages via `reset()`.
public struct ChunkedDecoder: Sendable {
    private enum State: Sendable {
        case sizeStart, size, sizeWhitespace, chunkExtension, sizeLF, data, dataCR, dataLF, trailer, done
    }

    public let maxLineBytes: Int
    public let maxTrailerBytes: Int

    private var state = State.sizeStart
    /// The size being parsed, then the data bytes still expected for the current chunk.
    private var remaining: UInt64 = 0
    private var digits = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    /// The trailer line being received; trailers are rare, so buffering them keeps the byte-wise path simple.
    private var trailerLine: [UInt8] = []

    public init(maxLineBytes: Int = 4096, maxTrailerBytes: Int = 16384) {
        self.maxLineBytes = maxLineBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// True once the last chunk and the trailer section have been consumed.
    public var isDone: Bool { state == .done }

    /// Consumes `input`, calling `onData` with each run of body bytes (slices of `input`).
    /// Returns the number of bytes consumed: all of `input` unless the body ended inside it, in which case
    /// the rest belongs to the next message. Throws `ChunkedError` on malformed input, or what `onData` throws.
    public mutating func decode(
        _ input: UnsafeRawBufferPointer, onData: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var i = 0
        let end = input.count
        while i < end {
            switch state {
            case .done:
                return i
            case .data:
                let take = Int(min(UInt64(end - i), remaining))
                remaining -= UInt64(take)
                if remaining == 0 { state = .dataCR }
                i += take
                try onData(UnsafeRawBufferPointer(rebasing: input[(i - take)..<i]))
            case .trailer:
                i = try consumeTrailer(input, from: i)
            default:
                try step(input[i])
                i += 1
            }
        }
        return i
    }

    /// Ready for the next chunked body; keeps the trailer buffer's capacity.
    public mutating func reset() {
        state = .sizeStart
        remaining = 0
        digits = 0
        lineBytes = 0
        trailerBytes = 0
        trailerLine.removeAll(keepingCapacity: true)
    }

    /// One byte of the size line or of the CRLF after data.
    @inline(__always)
    private mutating func step(_ b: UInt8) throws(ChunkedError) {
        switch state {
        case .sizeStart, .size, .sizeWhitespace, .chunkExtension:
            if b != ASCII.cr { lineBytes += 1 }
            guard lineBytes <= maxLineBytes else { throw ChunkedError(.lineTooLong) }
        default:
            break
        }
        switch state {
        case .sizeStart:
            guard let v = ASCII.hexValue(b) else { throw ChunkedError(.invalidChunkSize) }
            remaining = UInt64(v)
            digits = 1
            state = .size
        case .size:
            if let v = ASCII.hexValue(b) {
                digits += 1
                remaining = remaining << 4 | UInt64(v)
                guard digits <= 16, remaining <= UInt64(Int64.max) else { throw ChunkedError(.chunkSizeOverflow) }
            } else {
                try endOfSize(b)
            }
        case .sizeWhitespace:
            try endOfSize(b)
        case .chunkExtension:
            if b == ASCII.cr {
                state = .sizeLF
            } else if b == ASCII.lf {
                throw ChunkedError(.invalidLineEnding)
            } else if !ASCII.isFieldValueByte(b) {
                throw ChunkedError(.invalidExtension)
            }
        case .sizeLF:
            guard b == ASCII.lf else { throw ChunkedError(.invalidLineEnding) }
            state = remaining == 0 ? .trailer : .data
        case .dataCR:
            guard b == ASCII.cr else { throw ChunkedError(.missingCRLFAfterData) }
            state = .dataLF
        case .dataLF:
            guard b == ASCII.lf else { throw ChunkedError(.missingCRLFAfterData) }
            state = .sizeStart
            lineBytes = 0
        case .data, .trailer, .done:
            break
        }
    }

    /// After the size digits: CRLF, or BWS then `;` starting an extension. Trailing whitespace alone is invalid.
    @inline(__always)
    private mutating func endOfSize(_ b: UInt8) throws(ChunkedError) {
        switch b {
        case ASCII.cr where state == .size: state = .sizeLF
        case ASCII.semicolon: state = .chunkExtension
        case ASCII.sp, ASCII.htab: state = .sizeWhitespace
        case ASCII.lf: throw ChunkedError(.invalidLineEnding)
        default: throw ChunkedError(.invalidChunkSize)
        }
    }

    /// Buffers trailer bytes up to the next LF, then validates the line. Returns the new input index.
    private mutating func consumeTrailer(_ input: UnsafeRawBufferPointer, from start: Int) throws(ChunkedError) -> Int {
        let lf = ASCII.findLF(input, from: start, end: input.count)
        let stop = lf.map { $0 + 1 } ?? input.count
        trailerBytes += stop - start
        guard trailerBytes <= maxTrailerBytes else { throw ChunkedError(.trailerTooLarge) }
        trailerLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<stop]))
        guard lf != nil else { return stop }

        let count = trailerLine.count
        guard count >= 2, trailerLine[count - 2] == ASCII.cr else { throw ChunkedError(.invalidLineEnding) }
        if count == 2 {
            state = .done
        } else {
            let failure: HTTPParseError? = trailerLine.withUnsafeBytes { buf in
                // The line is complete (it ends with CRLF), so FieldLine never returns nil here.
                do throws(HTTPParseError) { _ = try FieldLine(buf, 0, count) } catch { return error }
                return nil
            }
            if let failure { throw ChunkedError(.invalidTrailer(failure.reason)) }
        }
        trailerLine.removeAll(keepingCapacity: true)
        return stop
    }
}
