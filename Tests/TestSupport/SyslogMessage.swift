// Parsing what a syslog sink sent, for the tests that receive it.

/// An RFC 5424 message split into its parts.
public struct SyslogMessage {
    public var priority: Int
    public var version: Int
    public var timestamp: String
    public var hostname: String
    public var appName: String
    public var procID: String
    public var msgID: String
    /// The structured data, brackets included.
    public var structuredData: String
    public var message: String

    /// Parses `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG`.
    public init(_ text: String) throws {
        guard text.hasPrefix("<"), let close = text.firstIndex(of: ">"), let priority = Int(text[text.index(after: text.startIndex)..<close]) else {
            throw HarnessError("no PRI in \(text)")
        }
        self.priority = priority
        let fields = text[text.index(after: close)...].split(separator: " ", maxSplits: 6, omittingEmptySubsequences: false)
        guard fields.count == 7, let version = Int(fields[0]) else { throw HarnessError("bad header in \(text)") }
        self.version = version
        (timestamp, hostname, appName, procID, msgID) = (String(fields[1]), String(fields[2]), String(fields[3]), String(fields[4]), String(fields[5]))
        // SD: one or more [ ... ] elements, where `\]` inside a value does not end one.
        let rest = Array(fields[6].utf8)
        var index = 0
        var inValue = false
        while index < rest.count {
            let byte = rest[index]
            if inValue, byte == UInt8(ascii: "\\") { index += 2; continue }
            if byte == UInt8(ascii: "\"") { inValue.toggle() }
            if !inValue, byte == UInt8(ascii: "]"), index + 1 < rest.count, rest[index + 1] != UInt8(ascii: "[") { break }
            index += 1
        }
        guard index < rest.count, rest.first == UInt8(ascii: "[") else { throw HarnessError("bad structured data in \(text)") }
        structuredData = String(decoding: rest[...index], as: UTF8.self)
        message = String(decoding: rest[(index + 2)...], as: UTF8.self)
    }
}
