import Foundation
import GatewayNetwork

// Typed readers: each returns the value, or reports what was expected and what was found at
// this node and returns nil.

extension ConfigNode {
    /// Any plain or quoted text (numbers and booleans as written); not null or a collection.
    public func string(_ d: ConfigDiagnostics) -> String? {
        scalar(d, expected: "a string")
    }

    /// A decimal integer (`_` separators allowed, as in `10_000`), optionally within `range`.
    public func int(_ d: ConfigDiagnostics, range: ClosedRange<Int>? = nil) -> Int? {
        guard let text = scalar(d, expected: "an integer") else { return nil }
        guard let value = Int(text.replacing("_", with: "")) else {
            error(d, "expected an integer, found \(found)")
            return nil
        }
        return checked(value, in: range, d, expected: "an integer", shownAs: String.init)
    }

    /// `true` or `false`.
    public func bool(_ d: ConfigDiagnostics) -> Bool? {
        switch scalar(d, expected: "true or false") {
        case nil: return nil
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            error(d, "expected true or false, found \(found)")
            return nil
        }
    }

    /// One of `choices`, exactly; the error lists them.
    public func oneOf(_ d: ConfigDiagnostics, _ choices: [String]) -> String? {
        guard let text = scalar(d, expected: Spelling.alternatives(choices)) else { return nil }
        guard choices.contains(text) else {
            error(d, "expected \(Spelling.alternatives(choices)), found \(found)")
            return nil
        }
        return text
    }

    /// A literal `ip:port` (`127.0.0.1:8080`, `[::1]:8080`), as listeners bind.
    public func socketAddress(_ d: ConfigDiagnostics) -> SocketAddress? {
        guard let text = scalar(d, expected: "an address such as 127.0.0.1:8080") else { return nil }
        return reporting(d) { () throws(AddressError) in try SocketAddress(parsing: text) }
    }

    /// `host:port` where host may be a name, resolved now with the system resolver (blocking):
    /// every address it has.
    public func resolvedAddresses(_ d: ConfigDiagnostics) -> [SocketAddress]? {
        guard let text = scalar(d, expected: "an address such as 127.0.0.1:8080 or backend.internal:8080") else { return nil }
        return reporting(d) { () throws(AddressError) in try SocketAddress.resolve(text) }
    }

    /// A network such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a host route.
    public func cidr(_ d: ConfigDiagnostics) -> CIDR? {
        guard let text = scalar(d, expected: "a network such as 10.0.0.0/8") else { return nil }
        return reporting(d) { () throws(AddressError) in try CIDR(parsing: text) }
    }

    /// The items of a list (block `- a` or flow `[a, b]`).
    public func list(_ d: ConfigDiagnostics) -> [ConfigNode]? {
        guard case .sequence(let items) = content else {
            error(d, "expected a list, found \(found)")
            return nil
        }
        return items
    }

    /// The items of a list, each read with `read`; nil if any item is invalid (all are checked).
    public func list<Element>(_ d: ConfigDiagnostics, _ read: (ConfigNode) -> Element?) -> [Element]? {
        guard let items = list(d) else { return nil }
        let values = items.map(read)
        return values.contains { $0 == nil } ? nil : values.compactMap { $0 }
    }

    /// A list of strings.
    public func stringList(_ d: ConfigDiagnostics) -> [String]? {
        list(d) { $0.string(d) }
    }

    /// A file path, absolute or relative to the config file's folder, returned absolute. With
    /// `mustExist`, it must name a readable regular file.
    public func filePath(_ d: ConfigDiagnostics, mustExist: Bool = true) -> String? {
        guard let text = scalar(d, expected: "a file path") else { return nil }
        guard !text.isEmpty else {
            error(d, "expected a file path, found an empty string")
            return nil
        }
        let url = text.hasPrefix("/") ? URL(fileURLWithPath: text) : URL(fileURLWithPath: text, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
        let path = url.standardizedFileURL.path
        if mustExist, let problem = fileProblem(atPath: path) {
            error(d, "file '\(text)' \(problem)" + (path == text ? "" : " (resolved to \(path))"))
            return nil
        }
        return path
    }

    // MARK: Helpers

    /// The text of a non-null scalar, else an "expected ..." error.
    func scalar(_ d: ConfigDiagnostics, expected: String) -> String? {
        guard case .scalar(let text, isNull: false) = content else {
            error(d, "expected \(expected), found \(found)")
            return nil
        }
        return text
    }

    /// `value` if inside `range`; otherwise an error showing the bounds with `shownAs`.
    func checked(_ value: Int, in range: ClosedRange<Int>?, _ d: ConfigDiagnostics, expected: String,
                 shownAs show: (Int) -> String) -> Int? {
        guard let range, !range.contains(value) else { return value }
        let bounds = switch (range.lowerBound, range.upperBound) {
        case (.min, let upper): "<= \(show(upper))"
        case (let lower, .max): ">= \(show(lower))"
        case (let lower, let upper): "from \(show(lower)) to \(show(upper))"
        }
        error(d, "expected \(expected) \(bounds), found \(found)")
        return nil
    }

    private func reporting<T>(_ d: ConfigDiagnostics, _ parse: () throws(AddressError) -> T) -> T? {
        do {
            return try parse()
        } catch {
            self.error(d, error.message)
            return nil
        }
    }
}

/// Why `path` cannot be read as a file, as a phrase ("does not exist"), or nil if it can.
func fileProblem(atPath path: String) -> String? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "does not exist" }
    if isDirectory.boolValue { return "is a directory" }
    return FileManager.default.isReadableFile(atPath: path) ? nil : "is not readable (permission denied)"
}
