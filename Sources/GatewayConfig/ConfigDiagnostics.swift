import Foundation
import Yams

/// A position in a config file: 1-based line and column (columns count Unicode scalars).
public struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    init(file: String, mark: Mark?) {
        self.init(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// `file:line:column`, the form editors and terminals turn into links.
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem in a config file.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: ConfigLocation
    public var message: String

    public init(_ message: String, at location: ConfigLocation) {
        self.message = message
        self.location = location
    }

    /// `file:line:column: message`.
    public var description: String { "\(location): \(message)" }
}

/// Collects every config problem found in one pass, from the loader, the engine and plugins.
///
/// Readers report here and return nil, so one bad value never hides the next: validation keeps
/// going and the admin sees all problems at once. Thread-safe.
public final class ConfigDiagnostics: Error, @unchecked Sendable, CustomStringConvertible {
    private let lock = NSLock()
    private var recorded: [ConfigError] = []

    public init() {}

    /// Records a problem at `location`.
    public func error(_ message: String, at location: ConfigLocation) {
        lock.withLock { recorded.append(ConfigError(message, at: location)) }
    }

    /// The problems in file order (by line and column; files in order of first report), whatever
    /// order the checks ran in.
    public var errors: [ConfigError] {
        let recorded = lock.withLock { self.recorded }
        var fileRanks: [String: Int] = [:]
        for error in recorded where fileRanks[error.location.file] == nil {
            fileRanks[error.location.file] = fileRanks.count
        }
        return recorded.enumerated().sorted { a, b in
            let (x, y) = (a.element.location, b.element.location)
            return (fileRanks[x.file]!, x.line, x.column, a.offset) < (fileRanks[y.file]!, y.line, y.column, b.offset)
        }.map(\.element)
    }

    public var hasErrors: Bool { lock.withLock { !recorded.isEmpty } }

    private var recordedNotes: [ConfigError] = []

    /// Records something the admin should know about a valid config (e.g. a fallback that is
    /// in effect); printed by `gateway check` and at start-up, never fatal.
    public func note(_ message: String, at location: ConfigLocation) {
        lock.withLock { recordedNotes.append(ConfigError(message, at: location)) }
    }

    public var notes: [ConfigError] { lock.withLock { recordedNotes } }

    /// One `file:line:column: message` line per problem, in file order.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
