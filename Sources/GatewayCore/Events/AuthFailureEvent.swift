extension SecurityEvent {
    /// `auth-failure`: the upstream refused credentials (a status listed in the route's
    /// `auth_failure_statuses`, typically 401). The gateway let the request through, so this
    /// is a low-severity record, not a detection; `events.alerts` rules count them per client
    /// to find brute force. ECS `event.category: authentication`, `event.outcome: failure`.
    static func authFailure(status: Int, upstream: String) -> SecurityEvent {
        var event = SecurityEvent(
            name: "auth-failure", action: .allowed, severity: .low, ruleID: "auth.failure",
            ruleName: "upstream refused credentials", ruleCategory: "authentication",
            category: ["authentication", "web"], type: ["info"], kind: "event",
            reason: "upstream '\(upstream)' answered \(status) on an authentication route",
            details: ["status": String(status), "upstream": upstream])
        event.outcome = .failure
        return event
    }
}

extension DownstreamConnection {
    /// Called from `startResponse` only when the status is one of the route's
    /// `auth_failure_statuses` (never on the common path).
    @inline(never)
    func emitAuthFailure(_ exchange: Exchange, route: Route) {
        let upstreamName = snapshot.runtime.upstreams[route.upstream].name
        exchange.emit(.authFailure(status: exchange.response.status, upstream: upstreamName))
    }
}
