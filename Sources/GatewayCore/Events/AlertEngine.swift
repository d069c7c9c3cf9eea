import GatewayConfig
import GatewayNetwork

/// Evaluates the `events.alerts` threshold rules over the event stream. Used by the event
/// dispatcher thread only (no locking), never on a worker loop.
///
/// Per rule and per `group_by` key (by default the client address), the engine keeps the times
/// of the last `threshold` matching events: a **sliding window**. When `threshold` of them fall
/// within `window` (the newest minus the oldest is less than `window`), the rule fires once for
/// that key and then stays quiet for that key for `window`; events keep sliding through the
/// window meanwhile, so an attack that goes on fires again as soon as the quiet time is over,
/// i.e. once per window. Time is the events' own `@timestamp`.
///
/// Memory is bounded: at most `max_keys` keys per rule (the least recently seen one is
/// forgotten to make room, and counted in ``evictions``), each with at most `threshold`
/// timestamps; keys with no event in the last `window` are dropped by ``expire(now:)``.
package final class AlertEngine {
    private let rules: [AlertRuleState]

    package init(rules: [AlertRuleConfig]) {
        self.rules = rules.map(AlertRuleState.init)
    }

    package var isEmpty: Bool { rules.isEmpty }

    /// The alerts `record` completes, in rule order (usually none).
    package func evaluate(_ record: EventRecord) -> [FiredAlert] {
        var fired: [FiredAlert] = []
        for rule in rules {
            if let alert = rule.evaluate(record) { fired.append(alert) }
        }
        return fired
    }

    /// Forgets keys with no event after `now - window` (Unix milliseconds).
    package func expire(now: Int64) {
        for rule in rules { rule.expire(now: now) }
    }

    /// Keys tracked per rule, in rule order.
    package var trackedKeys: [Int] { rules.map(\.keyCount) }

    /// Keys forgotten to stay within `max_keys`, per rule.
    package var evictions: [Int] { rules.map(\.evictions) }

    /// Per rule, in config order.
    package var stats: [AlertRuleStats] {
        rules.map { AlertRuleStats(name: $0.config.name, fired: $0.fired, trackedKeys: $0.keyCount, evictions: $0.evictions) }
    }
}

/// What one alert rule has done since the gateway started, for `/metrics` and tests.
public struct AlertRuleStats: Sendable, Equatable {
    public var name: String
    /// Alerts raised.
    public var fired: Int
    /// Keys (e.g. client addresses) with recent events.
    public var trackedKeys: Int
    /// Keys forgotten to stay within `max_keys`: a sign the bound is too low for the traffic.
    public var evictions: Int
}

/// A rule that fired for one key: what the alert event reports.
package struct FiredAlert: Sendable {
    package let rule: AlertRuleConfig
    /// `field=value` per `group_by` field.
    package let group: [(field: AlertField, value: String)]
    /// The client address, when `group_by` has `source.ip`.
    package let sourceIP: IPAddress?
    /// Events within the window when the rule fired.
    package let count: Int
    /// The oldest and newest of them (Unix milliseconds).
    package let firstSeen: Int64
    package let lastSeen: Int64
    /// `trace.id` of the event that completed the count.
    package let lastTraceID: String?

    /// The alert as an event: `event.kind: alert`, `event.action` = the rule name, `rule.id`
    /// `alert.<name>`, details with the count, first and last time, window and threshold, and
    /// `deny_until` when the address was put on the temporary deny list.
    package func record(denyUntil: Int64?, now: Int64 = EventRecord.now()) -> EventRecord {
        let window = formatDuration(rule.window)
        let groupText = rule.groupBy.isEmpty ? "none" : rule.groupBy.map(\.rawValue).joined(separator: ",")
        var details = [
            "count": String(count),
            "threshold": String(rule.threshold),
            "window": window,
            "first_seen": EventSerializer.timestamp(firstSeen),
            "last_seen": EventSerializer.timestamp(lastSeen),
            "group_by": groupText,
        ]
        if !group.isEmpty { details["group_key"] = group.map { "\($0.field.rawValue)=\($0.value)" }.joined(separator: " ") }
        if let lastTraceID { details["last_trace_id"] = lastTraceID }
        let subject = group.isEmpty ? "all sources" : group.map { $0.field == .sourceIP ? $0.value : "\($0.field.rawValue)=\($0.value)" }
            .joined(separator: ", ")
        var reason = "\(count) matching events from \(subject) within \(window) (threshold \(rule.threshold))"
        if let denyUntil, let denyFor = rule.denyFor {
            details["deny_until"] = EventSerializer.timestamp(denyUntil)
            details["deny_for"] = formatDuration(denyFor)
            reason += "; \(sourceIP?.description ?? subject) denied for \(formatDuration(denyFor))"
        }
        let event = SecurityEvent(
            name: rule.name, action: .flagged, severity: SecurityEvent.Severity(rawValue: rule.severity.value) ?? .high,
            ruleID: "alert.\(rule.name)", ruleName: "\(rule.threshold) in \(window) per \(groupText)", ruleCategory: "threshold",
            category: ["intrusion_detection"], type: ["info"], kind: "alert", reason: reason, details: details)
        let route = group.first { $0.field == .route }?.value
        return EventRecord(event: event, timestampMilliseconds: now, sourceIP: sourceIP, route: route)
    }
}

/// `5m`, `90s`, `1500ms`: the largest unit that divides the duration.
package func formatDuration(_ duration: Duration) -> String {
    let milliseconds = durationMilliseconds(duration)
    for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
    where milliseconds >= size && milliseconds % size == 0 {
        return "\(milliseconds / size)\(unit)"
    }
    return "\(milliseconds)ms"
}

func durationMilliseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
}

// MARK: - One rule

/// A `match` value list: exact texts, or prefixes when written with a trailing `*`.
private struct Patterns {
    private let exact: Set<String>
    private let prefixes: [String]
    let isEmpty: Bool

    init(_ values: [String]) {
        exact = Set(values.filter { !$0.hasSuffix("*") })
        prefixes = values.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
        isEmpty = values.isEmpty
    }

    /// Empty patterns match anything, even a missing value.
    func matches(_ value: String?) -> Bool {
        if isEmpty { return true }
        guard let value else { return false }
        return exact.contains(value) || prefixes.contains { value.hasPrefix($0) }
    }
}

private final class AlertRuleState {
    let config: AlertRuleConfig
    let windowMilliseconds: Int64
    private let event: Patterns
    private let action: Patterns
    private let rule: Patterns
    private let route: Patterns
    private let filter: Patterns
    private let kind: Patterns
    private let minSeverity: Int
    private var keys = KeyTable()
    private(set) var evictions = 0
    private(set) var fired = 0

    init(_ config: AlertRuleConfig) {
        self.config = config
        windowMilliseconds = max(1, durationMilliseconds(config.window))
        event = Patterns(config.match.event)
        action = Patterns(config.match.action)
        rule = Patterns(config.match.rule)
        route = Patterns(config.match.route)
        filter = Patterns(config.match.filter)
        kind = Patterns(config.match.kind)
        minSeverity = config.match.minSeverity?.value ?? 0
    }

    var keyCount: Int { keys.count }

    func matches(_ record: EventRecord) -> Bool {
        let e = record.event
        return e.severity.rawValue >= minSeverity && event.matches(e.name) && action.matches(e.action.rawValue)
            && rule.matches(e.ruleID) && route.matches(record.route) && filter.matches(e.filter) && kind.matches(e.kind)
    }

    /// The group values of `record`, nil when it lacks one (it then does not count).
    func group(of record: EventRecord) -> [(field: AlertField, value: String)]? {
        var group: [(field: AlertField, value: String)] = []
        group.reserveCapacity(config.groupBy.count)
        for field in config.groupBy {
            let value: String? = switch field {
            case .sourceIP: record.sourceIP?.unmapped.description
            case .route: record.route
            case .ruleID: record.event.ruleID
            case .eventAction: record.event.name
            case .filter: record.event.filter
            case .path: record.path.map(EventSerializer.pathOnly)
            }
            guard let value else { return nil }
            group.append((field, value))
        }
        return group
    }

    func evaluate(_ record: EventRecord) -> FiredAlert? {
        guard matches(record), let group = group(of: record) else { return nil }
        let key = group.count == 1 ? group[0].value : group.map(\.value).joined(separator: "\u{1f}")
        let (slot, evicted) = keys.slot(for: key, maxKeys: config.maxKeys) {
            KeyState(group: group, sourceIP: config.groupBy.contains(.sourceIP) ? record.sourceIP?.unmapped : nil)
        }
        if evicted { evictions += 1 }
        return keys.update(slot) { state in
            // Events from several workers may arrive slightly out of order: time never goes back per key.
            let time = max(record.timestampMilliseconds, state.lastSeen)
            state.lastSeen = time
            state.times.dropOlder(than: time - windowMilliseconds)
            state.times.push(time, capacity: config.threshold)
            guard state.times.count >= config.threshold, time >= state.quietUntil else { return nil }
            state.quietUntil = time + windowMilliseconds
            fired += 1
            return FiredAlert(rule: config, group: state.group, sourceIP: state.sourceIP, count: state.times.count,
                              firstSeen: state.times.oldest, lastSeen: time, lastTraceID: record.requestID)
        }
    }

    func expire(now: Int64) {
        keys.removeLeastRecent { $0.lastSeen + windowMilliseconds <= now }
    }
}

/// One key's state: its recent event times and when it may fire again.
private struct KeyState {
    let group: [(field: AlertField, value: String)]
    let sourceIP: IPAddress?
    var times = TimeRing()
    var lastSeen: Int64 = .min
    /// The rule fired for this key: quiet until then.
    var quietUntil: Int64 = .min
}

/// The times of a key's most recent events, oldest first, at most `capacity` (the threshold);
/// storage grows by doubling, so a key that sees one event costs a few words.
private struct TimeRing {
    private var storage: [Int64] = []
    private var start = 0
    private(set) var count = 0

    var oldest: Int64 { storage[start] }

    mutating func dropOlder(than limit: Int64) {
        // Drops times <= limit: an event exactly `window` older than the newest is out.
        while count > 0, storage[start] <= limit {
            start = (start + 1) % storage.count
            count -= 1
        }
        if count == 0 { start = 0 }
    }

    mutating func push(_ time: Int64, capacity: Int) {
        if count == storage.count {
            if storage.count < capacity {
                let grown = min(capacity, max(4, storage.count * 2))
                var linear: [Int64] = []
                linear.reserveCapacity(grown)
                for index in 0..<count { linear.append(storage[(start + index) % storage.count]) }
                linear.append(contentsOf: repeatElement(0, count: grown - count))
                storage = linear
                start = 0
            } else {
                // Full at the threshold: the oldest time makes room.
                start = (start + 1) % storage.count
                count -= 1
            }
        }
        storage[(start + count) % storage.count] = time
        count += 1
    }
}

/// Keys with their states in least-recently-seen order (a doubly linked list over slot
/// indexes), so that both eviction and expiry take the least recent key in O(1).
private struct KeyTable {
    private struct Node {
        var key: String
        var state: KeyState?
        var newer = -1
        var older = -1
    }

    private var index: [String: Int] = [:]
    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    /// Most and least recently seen.
    private var newest = -1
    private var oldest = -1

    var count: Int { index.count }

    /// The slot of `key`, made most recent; created with `make` (evicting the least recent
    /// key when `maxKeys` are tracked). `evicted` tells whether a key was forgotten.
    mutating func slot(for key: String, maxKeys: Int, make: () -> KeyState) -> (slot: Int, evicted: Bool) {
        if let slot = index[key] {
            unlink(slot)
            link(slot)
            return (slot, false)
        }
        var evicted = false
        if index.count >= maxKeys, oldest >= 0 {
            remove(oldest)
            evicted = true
        }
        let node = Node(key: key, state: make())
        let slot: Int
        if let free = freeSlots.popLast() {
            nodes[free] = node
            slot = free
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        index[key] = slot
        link(slot)
        return (slot, evicted)
    }

    mutating func update<R>(_ slot: Int, _ body: (inout KeyState) -> R) -> R {
        body(&nodes[slot].state!)
    }

    /// Removes least recent keys while `isStale` holds for them.
    mutating func removeLeastRecent(while isStale: (KeyState) -> Bool) {
        while oldest >= 0, let state = nodes[oldest].state, isStale(state) {
            remove(oldest)
        }
    }

    private mutating func remove(_ slot: Int) {
        unlink(slot)
        index[nodes[slot].key] = nil
        nodes[slot].state = nil
        nodes[slot].key = ""
        freeSlots.append(slot)
    }

    /// Makes `slot` the newest.
    private mutating func link(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = -1
        if newest >= 0 { nodes[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (nodes[slot].newer, nodes[slot].older)
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[slot].newer = -1
        nodes[slot].older = -1
    }
}
