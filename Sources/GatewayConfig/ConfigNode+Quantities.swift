extension ConfigNode {
    /// A positive duration with a unit: `50ms`, `10s`, `15m`, `1h`, `1d`.
    public func duration(_ d: ConfigDiagnostics) -> Duration? {
        let expected = "a duration such as '30s' or '500ms'"
        guard let text = scalar(d, expected: expected) else { return nil }
        guard let (amount, unit) = ConfigNode.splitQuantity(text) else {
            error(d, "expected \(expected), found \(found)")
            return nil
        }
        guard !unit.isEmpty else {
            error(d, "duration '\(text)' needs a unit: ms, s, m, h or d")
            return nil
        }
        guard let milliseconds = ConfigNode.durationUnits[unit] else {
            error(d, "unknown duration unit '\(unit)' in '\(text)'; use ms, s, m, h or d")
            return nil
        }
        guard amount > 0 else {
            error(d, "a duration must be greater than 0, found \(found)")
            return nil
        }
        let (total, overflow) = amount.multipliedReportingOverflow(by: milliseconds)
        guard !overflow else {
            error(d, "duration '\(text)' is too large")
            return nil
        }
        return .milliseconds(total)
    }

    private static let durationUnits = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]

    /// A size in bytes: a bare integer, or an integer with a unit, `B`, decimal `KB` `MB` `GB`
    /// or binary `KiB` `MiB` `GiB` (units are case-insensitive), optionally within `range`.
    public func byteSize(_ d: ConfigDiagnostics, range: ClosedRange<Int>? = nil) -> Int? {
        let expected = "a size such as 512, '16KiB' or '10MB'"
        guard let text = scalar(d, expected: expected) else { return nil }
        guard let (amount, unit) = ConfigNode.splitQuantity(text) else {
            error(d, "expected \(expected), found \(found)")
            return nil
        }
        guard let multiplier = ConfigNode.byteUnits[unit.lowercased()] else {
            error(d, "unknown size unit '\(unit)' in '\(text)'; use B, KB, MB, GB, KiB, MiB or GiB")
            return nil
        }
        let (bytes, overflow) = amount.multipliedReportingOverflow(by: multiplier)
        guard !overflow else {
            error(d, "size '\(text)' is too large")
            return nil
        }
        return checked(bytes, in: range, d, expected: "a size", shownAs: ConfigNode.formatByteSize)
    }

    private static let byteUnits = [
        "": 1, "b": 1, "kb": 1000, "mb": 1_000_000, "gb": 1_000_000_000,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
    ]

    /// `16KiB` for exact binary multiples, plain bytes otherwise.
    static func formatByteSize(_ bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes != 0 && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)"
    }

    /// `16KiB` -> (16, "KiB"); `512` -> (512, ""); a space may separate them. Nil unless the
    /// text is digits followed by letters.
    private static func splitQuantity(_ text: String) -> (amount: Int, unit: String)? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text[digits.endIndex...].drop { $0 == " " }
        guard !digits.isEmpty, unit.allSatisfy({ $0.isASCII && $0.isLetter }), let amount = Int(digits) else { return nil }
        return (amount, String(unit))
    }
}
