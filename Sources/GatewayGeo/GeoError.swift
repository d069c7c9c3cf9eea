/// A geo database that could not be opened, or a lookup it could not answer.
public struct GeoError: Error, Sendable, CustomStringConvertible {
    /// One sentence naming the file and libmaxminddb's reason.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
