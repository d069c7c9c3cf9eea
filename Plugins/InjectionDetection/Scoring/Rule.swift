import GatewayCore

/// The families of attack the filter recognises; the names are what `exclusions` and events use.
public enum Detector: String, Sendable, CaseIterable {
    case sqli, xss, lfi, rfi, rce, code, nosql, ldap, `protocol`, encoding
}

/// How much one finding weighs towards the anomaly threshold (CRS-like: 5, 4, 3, 2).
public enum Severity: Int, Sendable, Comparable {
    case low = 2, medium = 3, high = 4, critical = 5

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }

    var eventSeverity: SecurityEvent.Severity {
        switch self {
        case .low: .low
        case .medium: .medium
        case .high: .high
        case .critical: .critical
        }
    }

    var name: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        case .critical: "critical"
        }
    }
}

/// One thing a detector can recognise: a stable id (`sqli.union`), what it means, its weight.
public struct Rule: Sendable, Equatable {
    public let id: String
    public let name: String
    public let detector: Detector
    public let severity: Severity

    init(_ id: String, _ detector: Detector, _ severity: Severity, _ name: String) {
        self.id = id
        self.detector = detector
        self.severity = severity
        self.name = name
    }

    public static func == (lhs: Rule, rhs: Rule) -> Bool { lhs.id == rhs.id }
}
