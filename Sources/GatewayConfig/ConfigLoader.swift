import Foundation

/// Loads and validates gateway config files.
///
/// Every problem found is reported, in file order, as `file:line:column: message`.
public enum ConfigLoader {
    /// Reads and validates the file at `path`.
    public static func load(path: String) -> Result<GatewayConfiguration, ConfigDiagnostics> {
        result { load(path: path, diagnostics: $0) }
    }

    /// Validates `yaml` as if read from `path` (which names it in errors and anchors relative paths).
    public static func parse(yaml: String, path: String) -> Result<GatewayConfiguration, ConfigDiagnostics> {
        result { parse(yaml: yaml, path: path, diagnostics: $0) }
    }

    /// Reads and validates the file at `path` into `diagnostics`. The configuration is returned
    /// even when problems were found (without the invalid entries), so callers can go on to check
    /// plugin settings and report everything at once; it is only usable if there are no errors.
    /// Nil when the file cannot be read or parsed at all.
    public static func load(path: String, diagnostics d: ConfigDiagnostics) -> GatewayConfiguration? {
        let start = ConfigLocation(file: path, line: 1, column: 1)
        if let problem = fileProblem(atPath: path) {
            d.error("config file \(problem)", at: start)
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            d.error("cannot read the config file", at: start)
            return nil
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            d.error("the file is not valid UTF-8", at: invalidUTF8Location(in: data, file: path))
            return nil
        }
        return parse(yaml: yaml, path: path, diagnostics: d)
    }

    /// `parse(yaml:path:)` into `diagnostics`, with the same partial result as `load(path:diagnostics:)`.
    public static func parse(yaml: String, path: String, diagnostics d: ConfigDiagnostics) -> GatewayConfiguration? {
        guard let root = ConfigNode.parse(yaml: yaml, path: path, d) else { return nil }
        var decoder = ConfigurationDecoder(d)
        return decoder.configuration(root, sourceHash: fnv1a64(yaml.utf8))
    }

    private static func result(_ load: (ConfigDiagnostics) -> GatewayConfiguration?) -> Result<GatewayConfiguration, ConfigDiagnostics> {
        let d = ConfigDiagnostics()
        guard let configuration = load(d), !d.hasErrors else { return .failure(d) }
        return .success(configuration)
    }

    /// FNV-1a, 64 bits, as 16 hex digits: stable across runs and platforms, unlike `Hasher`.
    private static func fnv1a64(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Where the first byte that is not UTF-8 is, counting columns in Unicode scalars like libyaml.
    private static func invalidUTF8Location(in data: Data, file: String) -> ConfigLocation {
        var location = ConfigLocation(file: file, line: 1, column: 1)
        var bytes = data.makeIterator()
        var decoder = UTF8()
        while case .scalarValue(let scalar) = decoder.decode(&bytes) {
            if scalar == "\n" {
                location.line += 1
                location.column = 1
            } else {
                location.column += 1
            }
        }
        return location
    }
}
