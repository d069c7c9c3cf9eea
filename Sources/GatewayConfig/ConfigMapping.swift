/// A YAML mapping read from a config file: its entries in file order, looked up by key.
public struct ConfigMapping: Sendable {
    /// One `key: value` pair.
    public struct Entry: Sendable {
        public let key: String
        public let keyLocation: ConfigLocation
        public let value: ConfigNode
    }

    /// Where the mapping starts (its first key, for a block mapping).
    public let location: ConfigLocation
    /// Entries in file order.
    public let entries: [Entry]
    private let directory: String

    /// Keys in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The value for `key`, or nil when the key is absent.
    public subscript(key: String) -> ConfigNode? {
        entries.first { $0.key == key }?.value
    }

    /// This mapping without `keys`, as a node: for handing settings on to another reader that
    /// should not see keys already consumed (a filter's `plugin:`).
    public func node(excluding keys: Set<String>) -> ConfigNode {
        ConfigNode(location: location, content: .mapping(entries.filter { !keys.contains($0.key) }), directory: directory)
    }

    init?(_ node: ConfigNode) {
        guard case .mapping(let entries) = node.content else { return nil }
        self.location = node.location
        self.entries = entries
        self.directory = node.directory
    }
}

extension ConfigNode {
    /// This value as a mapping with any keys (a table of named entries).
    public func mapping(_ d: ConfigDiagnostics) -> ConfigMapping? {
        guard let mapping = ConfigMapping(self) else {
            error(d, "expected a mapping, found \(found)")
            return nil
        }
        return mapping
    }

    /// This value as a mapping of settings: keys outside `keys` are reported with the nearest
    /// valid key suggested, missing `required` keys at the mapping (unless already suggested). `context` names the
    /// mapping in those messages ("unknown key 'adress' in listener").
    ///
    /// Returns the mapping despite unknown or missing keys, so the values that are there are
    /// still checked; nil only when this is not a mapping.
    public func mapping(_ d: ConfigDiagnostics, keys: [String], required: [String] = [], in context: String? = nil) -> ConfigMapping? {
        guard let mapping = mapping(d) else { return nil }
        let inContext = context.map { " in \($0)" } ?? ""
        var suggested: Set<String> = []
        for entry in mapping.entries where !keys.contains(entry.key) {
            let nearest = Spelling.nearest(to: entry.key, in: keys)
            if let nearest { suggested.insert(nearest) }
            let hint = if let nearest {
                "; did you mean '\(nearest)'?"
            } else if keys.isEmpty {
                " (no settings are allowed here)"
            } else {
                " (valid keys: \(keys.joined(separator: ", ")))"
            }
            d.error("unknown key '\(entry.key)'\(inContext)\(hint)", at: entry.keyLocation)
        }
        // A misspelled required key is reported once, as the misspelling.
        for key in required where mapping[key] == nil && !suggested.contains(key) {
            d.error("missing required key '\(key)'\(inContext)", at: mapping.location)
        }
        return mapping
    }
}
