/// Why an address, network or `host:port` text was rejected, worded for a config error message.
public struct AddressError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
