/// An `events.alerts` entry: a threshold rule over the security-event stream.
///
/// ```yaml
/// events:
///   alerts:
///     - name: brute-force-login
///       match: { event: auth-failure, route: auth }
///       threshold: 10
///       window: 5m
///       deny_for: 15m
/// ```
///
/// Per `group_by` key (by default the client address), the rule counts matching events over a
/// sliding window; when `threshold` of them fall within `window`, it raises one alert event and
/// stays quiet for that key for `window`.
public struct AlertRuleConfig: Sendable {
    /// `name`: 1-32 letters, digits, `-` and `_`; unique. The alert's `event.action`, and
    /// `rule.id` is `alert.<name>`.
    public var name: String
    /// `match`: which events count.
    public var match: AlertMatch
    /// `threshold`: events within `window` that fire the alert (count >= threshold).
    public var threshold: Int
    /// `window`: the sliding window, and how long a key stays quiet after it fired.
    public var window: Duration
    /// `group_by`: the fields whose values make one counter (default `[source.ip]`); empty:
    /// one counter for all matching events.
    public var groupBy: [AlertField] = [.sourceIP]
    /// `severity`: the alert's `event.severity` (default high).
    public var severity: AlertSeverity = .high
    /// `deny_for`: put the client address on the temporary deny list for this long when the
    /// rule fires. Needs `source.ip` in `group_by`.
    public var denyFor: Duration?
    /// `max_keys`: how many keys the rule tracks at most; beyond, the least recently seen key
    /// is forgotten.
    public var maxKeys = AlertRuleConfig.defaultMaxKeys
    /// The rule's mapping.
    public var location: ConfigLocation

    public static let defaultMaxKeys = 10_000
    /// `max_keys × threshold`, the timestamps a rule may hold (8 bytes each), is capped.
    public static let maxTrackedEvents = 10_000_000

    public init(name: String, match: AlertMatch = AlertMatch(), threshold: Int, window: Duration,
                location: ConfigLocation = ConfigLocation(file: "", line: 0, column: 0)) {
        self.name = name
        self.match = match
        self.threshold = threshold
        self.window = window
        self.location = location
    }
}

/// An alert rule's `match`: every given condition must hold; a list means any of its values.
/// Text values match exactly, or as a prefix when they end in `*` (`rule: protocol.*`).
public struct AlertMatch: Sendable {
    /// `event`: `event.action` (`auth-failure`, `ip-denied`, ...).
    public var event: [String] = []
    /// `action`: `gateway.action` (`blocked`, `flagged`, `allowed`).
    public var action: [String] = []
    /// `rule`: `rule.id` (`ip_access.deny`, `protocol.*`).
    public var rule: [String] = []
    /// `route`: `gateway.route`, route names.
    public var route: [String] = []
    /// `filter`: `gateway.filter`, `filters:` entry names.
    public var filter: [String] = []
    /// `kind`: `event.kind` (`alert`, `event`).
    public var kind: [String] = []
    /// `min_severity`: only events at least this severe.
    public var minSeverity: AlertSeverity?

    public init(event: [String] = [], action: [String] = [], rule: [String] = [], route: [String] = [],
                filter: [String] = [], kind: [String] = [], minSeverity: AlertSeverity? = nil) {
        self.event = event
        self.action = action
        self.rule = rule
        self.route = route
        self.filter = filter
        self.kind = kind
        self.minSeverity = minSeverity
    }
}

/// The fields an alert rule can group by, named as in the event JSON.
public enum AlertField: String, Sendable, CaseIterable {
    case sourceIP = "source.ip"
    case route = "gateway.route"
    case ruleID = "rule.id"
    case eventAction = "event.action"
    case filter = "gateway.filter"
    case path = "url.path"
}

/// `event.severity` by name.
public enum AlertSeverity: String, Sendable, CaseIterable, Comparable {
    case low, medium, high, critical

    /// The ECS number: 21, 47, 73, 99.
    public var value: Int {
        switch self {
        case .low: 21
        case .medium: 47
        case .high: 73
        case .critical: 99
        }
    }

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool { lhs.value < rhs.value }
}

/// `events.deny_list`: the temporary deny list alerts with `deny_for` fill, which `ip_access`
/// honours. Shared through Redis when the config has a `redis:` section.
public struct DenyListConfig: Sendable {
    /// `key`: the Redis sorted set (after `redis.key_prefix`), members `<ip>|<alert>` scored by
    /// expiry (Unix milliseconds).
    public var key = "gateway:deny"
    /// `sync_interval`: how often the event thread pushes new entries, pulls those of other
    /// instances and prunes expired ones.
    public var syncInterval: Duration = .seconds(1)
    /// `max_entries`: the local list's bound; beyond it the entry expiring first is dropped.
    public var maxEntries = 100_000
    /// The top-level `redis:` server, nil when there is none or `share: false`: the list is
    /// then this process's only.
    public var redis: RedisConfig?
    /// The `deny_list` mapping, when present.
    public var location: ConfigLocation?

    public init() {}
}

// MARK: - Reading

extension ConfigurationDecoder {
    /// `events.alerts`.
    mutating func alerts(_ node: ConfigNode) -> [AlertRuleConfig] {
        guard let items = node.list(d) else { return [] }
        var names: [String: ConfigLocation] = [:]
        return items.compactMap { alert($0, names: &names) }
    }

    private mutating func alert(_ node: ConfigNode, names: inout [String: ConfigLocation]) -> AlertRuleConfig? {
        let keys = ["name", "match", "threshold", "window", "group_by", "severity", "deny_for", "max_keys"]
        guard let m = node.mapping(d, keys: keys, required: ["name", "match", "threshold", "window"], in: "alert") else { return nil }
        let errorsBefore = d.errors.count
        let name = m["name"].flatMap(alertName)
        if let name, let nameNode = m["name"] {
            if let first = names[name] {
                nameNode.error(d, "duplicate alert name '\(name)'; first used at line \(first.line)")
            } else {
                names[name] = nameNode.location
            }
        }
        let match = m["match"].flatMap { alertMatch($0) }
        let threshold = m["threshold"]?.int(d, range: 1...100_000)
        let window = m["window"]?.duration(d)
        let groupBy = m["group_by"].flatMap(groupBy)
        let severity = m["severity"]?.oneOf(d, AlertSeverity.allCases.map(\.rawValue)).flatMap(AlertSeverity.init)
        let denyFor = m["deny_for"]?.duration(d)
        let maxKeys = m["max_keys"]?.int(d, range: 1...1_000_000)
        if let denyNode = m["deny_for"], let groupBy, !groupBy.contains(.sourceIP) {
            denyNode.error(d, "deny_for puts the client address on the deny list: group_by must include source.ip")
        }
        if let threshold, let thresholdNode = m["threshold"] {
            let keys = maxKeys ?? AlertRuleConfig.defaultMaxKeys
            if keys * threshold > AlertRuleConfig.maxTrackedEvents {
                thresholdNode.error(d, "max_keys (\(keys)) x threshold (\(threshold)) must be at most \(AlertRuleConfig.maxTrackedEvents), "
                    + "the timestamps a rule may keep; lower max_keys")
            }
        }
        guard d.errors.count == errorsBefore, let name, let match, let threshold, let window else { return nil }
        var rule = AlertRuleConfig(name: name, match: match, threshold: threshold, window: window, location: m.location)
        if let groupBy { rule.groupBy = groupBy }
        if let severity { rule.severity = severity }
        rule.denyFor = denyFor
        if let maxKeys { rule.maxKeys = maxKeys }
        return rule
    }

    /// Letters, digits, `-` and `_`, at most 32: it is the alert's `event.action` and syslog MSGID.
    private func alertName(_ node: ConfigNode) -> String? {
        guard let name = node.string(d) else { return nil }
        guard (1...32).contains(name.utf8.count),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            node.error(d, "invalid alert name \(node.found); use 1 to 32 letters, digits, '-' and '_'")
            return nil
        }
        return name
    }

    private mutating func alertMatch(_ node: ConfigNode) -> AlertMatch? {
        let keys = ["event", "action", "rule", "route", "filter", "kind", "min_severity"]
        guard let m = node.mapping(d, keys: keys, in: "alert match") else { return nil }
        let errorsBefore = d.errors.count
        var match = AlertMatch()
        match.event = matchValues(m, "event") ?? []
        match.action = matchValues(m, "action", choices: ["blocked", "flagged", "allowed"]) ?? []
        match.rule = matchValues(m, "rule") ?? []
        match.filter = matchValues(m, "filter") ?? []
        match.kind = matchValues(m, "kind", choices: ["alert", "event"]) ?? []
        if let routes = matchValues(m, "route", wildcards: false) {
            // Checked like a route's upstream once every route is known: unknown names with a suggestion.
            for (route, location) in routes { referenceRoute(route, at: location) }
            match.route = routes.map(\.text)
        }
        match.minSeverity = m["min_severity"]?.oneOf(d, AlertSeverity.allCases.map(\.rawValue)).flatMap(AlertSeverity.init)
        return d.errors.count == errorsBefore ? match : nil
    }

    /// A `match` value: one text or a list of them (any of), each non-empty; with `choices`,
    /// each one of those.
    private func matchValues(_ m: ConfigMapping, _ key: String, choices: [String]? = nil) -> [String]? {
        matchValues(m, key, choices: choices, wildcards: true)?.map(\.text)
    }

    private func matchValues(_ m: ConfigMapping, _ key: String, choices: [String]? = nil,
                             wildcards: Bool) -> [(text: String, location: ConfigLocation)]? {
        guard let value = m[key] else { return nil }
        let items: [ConfigNode]
        if case .sequence(let list) = value.content {
            guard !list.isEmpty else {
                value.error(d, "expected at least one value for '\(key)'")
                return nil
            }
            items = list
        } else {
            items = [value]
        }
        var values: [(text: String, location: ConfigLocation)] = []
        for item in items {
            let text = if let choices { item.oneOf(d, choices) } else { item.string(d) }
            guard let text else { continue }
            if text.isEmpty || text == "*" || (!wildcards && text.hasSuffix("*")) {
                item.error(d, "expected \(wildcards ? "a value, or a prefix ending in '*'," : "a name") to match in '\(key)', found \(item.found)")
                continue
            }
            values.append((text, item.location))
        }
        return values.count == items.count ? values : nil
    }

    /// One field or a list of them; `[]` groups everything together.
    private func groupBy(_ node: ConfigNode) -> [AlertField]? {
        let choices = AlertField.allCases.map(\.rawValue)
        let items: [ConfigNode] = if case .sequence(let list) = node.content { list } else { [node] }
        let fields = items.map { $0.oneOf(d, choices).flatMap(AlertField.init) }
        guard !fields.contains(where: { $0 == nil }) else { return nil }
        var unique: [AlertField] = []
        for field in fields.compactMap({ $0 }) where !unique.contains(field) { unique.append(field) }
        return unique
    }

    /// `events.deny_list`.
    func denyList(_ node: ConfigNode?, redis: RedisConfig?) -> DenyListConfig {
        var list = DenyListConfig()
        list.redis = redis
        guard let node, let m = node.mapping(d, keys: ["key", "sync_interval", "max_entries", "share"], in: "deny_list") else {
            return list
        }
        list.location = m.location
        if let key = m["key"]?.string(d) {
            if key.isEmpty { m["key"]?.error(d, "expected a Redis key, found an empty string") } else { list.key = key }
        }
        if let interval = m["sync_interval"]?.duration(d) {
            if interval < .milliseconds(100) {
                m["sync_interval"]?.error(d, "sync_interval must be at least 100ms, found \(m["sync_interval"]!.found)")
            } else {
                list.syncInterval = interval
            }
        }
        if let maxEntries = m["max_entries"]?.int(d, range: 1...10_000_000) { list.maxEntries = maxEntries }
        if let share = m["share"]?.bool(d), !share { list.redis = nil }
        return list
    }
}
