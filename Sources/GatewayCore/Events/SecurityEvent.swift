/// Something a SOC analyst should see: a request blocked or flagged by a filter, a protocol
/// violation, an upstream failure, a config reload. Serialized as one ECS-shaped JSON object.
///
/// Filters fill in what they decided and why; ``Exchange/emit(_:)`` adds the request context
/// (time, event id, trace id, source IP, method, path, user agent, route).
public struct SecurityEvent: Sendable {
    /// `gateway.action`: what the gateway did with the request.
    public enum Action: String, Sendable {
        case blocked, flagged, allowed
    }

    /// `event.severity`, on the scale Elastic detection rules use.
    public enum Severity: Int, Sendable, Comparable {
        case low = 21, medium = 47, high = 73, critical = 99
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// `event.action`: a stable machine name, e.g. `cors-preflight-denied`, `ip-denied`.
    public var name: String
    public var action: Action
    public var severity: Severity
    /// `event.category` (ECS allowed values, e.g. `network`, `web`, `intrusion_detection`).
    public var category: [String]
    /// `event.type` (ECS allowed values, e.g. `denied`, `access`, `info`).
    public var type: [String]
    /// `event.kind`: `alert` for detections, `event` for audit and operational records.
    public var kind: String
    /// `rule.id`, `rule.name`, `rule.category`.
    public var ruleID: String
    public var ruleName: String
    public var ruleCategory: String?
    /// `gateway.filter`: the `filters:` entry that decided.
    public var filter: String?
    /// `event.reason`: one human sentence. Never put secrets, cookies or bodies here.
    public var reason: String?
    /// `gateway.matched`: the fragment that triggered the rule, capped and escaped on output.
    public var matched: String?
    /// Extra `gateway.*` fields, e.g. `["origin": "https://evil.example"]`.
    public var details: [String: String]
    /// `event.outcome` when it is not what ``action`` and ``type`` imply (`failure` for a
    /// blocked request or an error, else `success`): e.g. `failure` for a refused login the
    /// gateway let through.
    public var outcome: Outcome?

    /// `event.outcome`.
    public enum Outcome: String, Sendable {
        case success, failure
    }

    public init(name: String, action: Action, severity: Severity, ruleID: String, ruleName: String,
                ruleCategory: String? = nil, category: [String] = ["web"], type: [String] = ["denied"],
                kind: String = "alert", filter: String? = nil, reason: String? = nil, matched: String? = nil,
                details: [String: String] = [:]) {
        self.name = name
        self.action = action
        self.severity = severity
        self.category = category
        self.type = type
        self.kind = kind
        self.ruleID = ruleID
        self.ruleName = ruleName
        self.ruleCategory = ruleCategory
        self.filter = filter
        self.reason = reason
        self.matched = matched
        self.details = details
    }
}
