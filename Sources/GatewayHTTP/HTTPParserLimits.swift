/// Bounds applied while parsing a head; exceeding them answers 414 or 431.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Bytes from the first byte of the message up to and including the blank line.
    public var maxHeadBytes = 16384
    public var maxHeaderCount = 100
    public var maxURIBytes = 8192

    public init() {}

    public init(maxHeadBytes: Int = 16384, maxHeaderCount: Int = 100, maxURIBytes: Int = 8192) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxURIBytes = maxURIBytes
    }
}
