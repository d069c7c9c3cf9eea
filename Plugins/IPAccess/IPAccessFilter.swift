import GatewayCore
import GatewayNetwork

/// Answers 403 to clients on the deny list or the temporary deny list, or missing from the
/// allow list when there is one.
final class IPAccessFilter: Filter {
    let filterName: String
    /// Nil when the filter has no allow list (then only `deny` restricts).
    let allow: CIDRSet?
    let deny: CIDRSet
    /// The list alerts with `deny_for` fill, nil with `temporary_deny: false`.
    let temporaryDeny: TemporaryDenyList?

    init(filterName: String, allow: CIDRSet?, deny: CIDRSet, temporaryDeny: TemporaryDenyList? = nil) {
        self.filterName = filterName
        self.allow = allow
        self.deny = deny
        self.temporaryDeny = temporaryDeny
    }

    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        let ip = exchange.clientIP
        if deny.contains(ip) { return denied(exchange, list: "deny", reason: "client IP is on the deny list") }
        if let entry = temporaryDeny?.lookup(ip) {
            return denied(exchange, list: "temporary", reason: "temporary deny list (alert \(entry.alert))",
                          details: ["alert": entry.alert, "deny_until": EventSerializer.timestamp(entry.expiresAt)])
        }
        if let allow, !allow.contains(ip) {
            return denied(exchange, list: "allow", reason: "client IP is not on the allow list")
        }
        return .proceed
    }

    private func denied(_ exchange: Exchange, list: String, reason: String, details: [String: String] = [:]) -> FilterAction {
        exchange.emit(SecurityEvent(
            name: "ip-denied", action: .blocked, severity: .medium,
            ruleID: "ip_access.\(list)", ruleName: "client network not allowed", ruleCategory: "access-control",
            category: ["network", "web"], filter: filterName, reason: reason, matched: exchange.clientIP.description,
            details: details.merging(["list": list, "client_ip_source": exchange.clientIPSource.rawValue]) { $1 }))
        return .respond(.error(403, requestID: exchange.requestID))
    }
}
