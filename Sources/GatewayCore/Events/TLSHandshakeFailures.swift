import GatewayNetwork

/// Failed TLS handshakes (scanners, clients without a shared protocol or cipher, expired
/// trust) are common and each is uninteresting; a burst of them is. A worker counts them and
/// raises one `tls-handshake-failures` event per interval in which any happened.
struct TLSHandshakeFailures {
    static let interval: Duration = .seconds(10)

    private(set) var count = 0
    private var firstMilliseconds: Int64 = 0
    private var lastPeer: IPAddress?
    private var reasons: [String: Int] = [:]

    /// Records one failure; true when it is the first of an interval (the caller arms the flush timer).
    mutating func record(peer: IPAddress, reason: String) -> Bool {
        count += 1
        if count == 1 { firstMilliseconds = EventRecord.now() }
        lastPeer = peer
        if reasons.count < 16 || reasons[reason] != nil { reasons[reason, default: 0] += 1 }
        return count == 1
    }

    /// The aggregated event for the interval, and a fresh count.
    mutating func flush() -> EventRecord? {
        guard count > 0 else { return nil }
        defer { self = TLSHandshakeFailures() }
        let summary = reasons.sorted { $0.value > $1.value }.map { "\($0.key) (\($0.value))" }.joined(separator: "; ")
        return EventRecord(
            event: SecurityEvent(
                name: "tls-handshake-failures", action: .blocked, severity: count >= 100 ? .medium : .low,
                ruleID: "tls.handshake", ruleName: "TLS handshakes failed", ruleCategory: "protocol",
                category: ["network"], type: ["connection", "denied"], kind: "event",
                reason: "\(count) TLS handshake(s) failed since the first one: \(summary)",
                details: ["count": String(count), "first_ms": String(firstMilliseconds),
                          "window_seconds": String(TLSHandshakeFailures.interval.components.seconds)]),
            sourceIP: lastPeer)
    }
}
