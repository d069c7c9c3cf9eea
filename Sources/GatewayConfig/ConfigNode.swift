import Foundation
import Yams

/// A value from a config file with its location, read through typed readers that report
/// problems into a `ConfigDiagnostics` and return nil:
///
/// ```swift
/// guard let m = node.mapping(d, keys: ["allow_origins", "max_age"]) else { return nil }
/// let maxAge = m["max_age"]?.duration(d) ?? .seconds(600)
/// ```
public struct ConfigNode: Sendable {
    /// Where the value starts in the file.
    public let location: ConfigLocation
    let content: Content
    /// The config file's folder, against which relative file paths are resolved.
    let directory: String

    enum Content: Sendable {
        /// `isNull` for a plain `~`, `null` or nothing at all; quoted text never is.
        case scalar(String, isNull: Bool)
        case sequence([ConfigNode])
        case mapping([ConfigMapping.Entry])
    }

    init(location: ConfigLocation, content: Content, directory: String) {
        self.location = location
        self.content = content
        self.directory = directory
    }

    /// Parses one YAML document; syntax errors are reported at their position. Relative file
    /// paths in it resolve against the folder of `path`.
    public static func parse(yaml: String, path: String, _ d: ConfigDiagnostics) -> ConfigNode? {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
        do {
            let parser = try Parser(yaml: yaml, resolver: .default, constructor: .default, encoding: .utf8)
            guard let root = try parser.nextRoot() else {
                d.error("the file is empty; expected a mapping of settings", at: ConfigLocation(file: path, line: 1, column: 1))
                return nil
            }
            if let extra = try parser.nextRoot() {
                d.error("a config file holds one YAML document; remove this second one", at: ConfigLocation(file: path, mark: extra.mark))
            }
            return ConfigNode(root, file: path, directory: directory, d)
        } catch let error as YamlError {
            let syntaxError = ConfigNode.syntaxError(error, file: path, yaml: yaml)
            d.error(syntaxError.message, at: syntaxError.location)
            return nil
        } catch {
            d.error("cannot parse YAML: \(error)", at: ConfigLocation(file: path, line: 1, column: 1))
            return nil
        }
    }

    private init(_ node: Yams.Node, file: String, directory: String, _ d: ConfigDiagnostics) {
        let content: Content
        switch node {
        case .scalar(let scalar):
            content = .scalar(scalar.string, isNull: node.null != nil)
        case .sequence(let sequence):
            content = .sequence(sequence.map { ConfigNode($0, file: file, directory: directory, d) })
        case .mapping(let mapping):
            content = .mapping(mapping.compactMap { key, value in
                let keyLocation = ConfigLocation(file: file, mark: key.mark)
                guard case .scalar(let scalar) = key else {
                    d.error("a key must be plain text, not a list or mapping", at: keyLocation)
                    return nil
                }
                return ConfigMapping.Entry(key: scalar.string, keyLocation: keyLocation,
                                           value: ConfigNode(value, file: file, directory: directory, d))
            })
        case .alias:
            // The parser substitutes aliases with their anchored nodes; only hand-built trees have them.
            content = .scalar("", isNull: true)
        }
        self.init(location: ConfigLocation(file: file, mark: node.mark), content: content, directory: directory)
    }

    /// How the value reads in "expected ..., found ..." messages.
    var found: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, isNull: true): return text.isEmpty ? "an empty value" : "null"
        case .scalar(let text, isNull: false):
            let line = text.prefix { $0 != "\n" }
            return line.count > 60 || line.count < text.count ? "'\(line.prefix(60))...'" : "'\(text)'"
        }
    }

    /// Reports `message` at this node.
    func error(_ d: ConfigDiagnostics, _ message: String) {
        d.error(message, at: location)
    }
}

// MARK: - YAML syntax errors

extension ConfigNode {
    static func syntaxError(_ error: YamlError, file: String, yaml: String) -> ConfigError {
        func at(_ mark: Mark) -> ConfigLocation { ConfigLocation(file: file, mark: mark) }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return ConfigError("invalid YAML: \(problem)\(detail)", at: at(mark))
        case .reader(let problem, let offset, _, _):
            return ConfigError("invalid YAML: \(problem)", at: location(ofCharacter: offset ?? 0, in: yaml, file: file))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            guard let repeated = repeatedKey(key, after: context.mark, in: yaml, file: file) else {
                return ConfigError("duplicate key '\(key)'", at: at(context.mark))
            }
            return ConfigError("duplicate key '\(key)'; first defined at line \(context.mark.line)", at: repeated)
        default:
            return ConfigError("invalid YAML: \(error)", at: ConfigLocation(file: file, line: 1, column: 1))
        }
    }

    /// libyaml reports a duplicate key at its first occurrence; the repeat, which is usually the
    /// line just edited, is found by looking further down the same block mapping for the key at
    /// the same column. Nil when it is not found that way (flow style, quoted keys).
    private static func repeatedKey(_ key: String, after first: Mark, in yaml: String, file: String) -> ConfigLocation? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1 else { return nil }
        for index in first.line..<lines.count {
            let line = Array(lines[index].unicodeScalars)
            guard let start = line.firstIndex(where: { $0 != " " }), line[start] != "#" else { continue }
            // Anything starting left of the mapping's column ends it.
            if start < first.column - 1 { return nil }
            let rest = String(String.UnicodeScalarView(line[(first.column - 1)...]))
            if rest.hasPrefix(key), rest.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") {
                return ConfigLocation(file: file, line: index + 1, column: first.column)
            }
        }
        return nil
    }

    /// Line and column (in Unicode scalars) of the character at `offset`.
    private static func location(ofCharacter offset: Int, in yaml: String, file: String) -> ConfigLocation {
        let end = yaml.index(yaml.startIndex, offsetBy: offset, limitedBy: yaml.endIndex) ?? yaml.endIndex
        let before = yaml[..<end]
        let lineStart = before.lastIndex(of: "\n").map(before.index(after:)) ?? before.startIndex
        return ConfigLocation(file: file, line: before.count(where: { $0 == "\n" }) + 1,
                              column: before[lineStart...].unicodeScalars.count + 1)
    }
}
