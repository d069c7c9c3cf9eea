import GatewayCore
import GatewayNetwork

/// Answers 403 to clients on the deny list, or missing from the allow list when there is one.
final class IPAccessFilter: Filter {
    let filterName: String
    /// Nil when the filter has no allow list (then only `deny` restricts).
    let allow: CIDRSet?
    let deny: CIDRSet

    init(filterName: String, allow: CIDRSet?, deny: CIDRSet) {
        self.filterName = filterName
        self.allow = allow
        self.deny = deny
    }

    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        let ip = exchange.clientIP
        if deny.contains(ip) { return denied(exchange, list: "deny", reason: "client IP is on the deny list") }
        if let allow, !allow.contains(ip) {
            return denied(exchange, list: "allow", reason: "client IP is not on the allow list")
        }
        return .proceed
    }

    private func denied(_ exchange: Exchange, list: String, reason: String) -> FilterAction {
        exchange.emit(SecurityEvent(
            name: "ip-denied", action: .blocked, severity: .medium,
            ruleID: "ip_access.\(list)", ruleName: "client network not allowed", ruleCategory: "access-control",
            category: ["network", "web"], filter: filterName, reason: reason, matched: exchange.clientIP.description,
            details: ["list": list, "client_ip_source": exchange.clientIPSource.rawValue]))
        return .respond(.error(403, requestID: exchange.requestID))
    }
}
