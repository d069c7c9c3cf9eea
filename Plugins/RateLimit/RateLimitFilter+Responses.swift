import GatewayCore
import GatewayHTTP

extension RateLimitFilter {
    /// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers), one item per
    /// limit that counted the request; and/or the legacy `X-RateLimit-*` trio for the most
    /// restrictive of them. Added beside any the upstream sent (the fields are lists), so two
    /// `rate_limit` filters on one route both show.
    func addHeaders(_ outcomes: [LimitOutcome], to fields: inout HTTPHeaders) {
        if self.headers == .draft || self.headers == .both {
            fields.add("RateLimit-Policy", outcomes.map { limits[$0.limit].policyItem }.joined(separator: ", "))
            fields.add("RateLimit", outcomes.map { "\"\(limits[$0.limit].name)\";r=\($0.remaining);t=\(seconds($0.resetMicros))" }
                .joined(separator: ", "))
        }
        if self.headers == .legacy || self.headers == .both,
           let tightest = outcomes.min(by: { ($0.remaining, -$0.resetMicros) < ($1.remaining, -$1.resetMicros) }) {
            fields.set("X-RateLimit-Limit", String(limits[tightest.limit].requests))
            fields.set("X-RateLimit-Remaining", String(tightest.remaining))
            fields.set("X-RateLimit-Reset", String(seconds(tightest.resetMicros)))
        }
    }

    /// 429 with Retry-After and a small JSON body naming the limit (not the key: it may be a
    /// phone number or a token).
    func tooManyRequests(_ exchange: Exchange, _ decisive: LimitOutcome) -> LocalResponse {
        let limit = limits[decisive.limit]
        var response = LocalResponse.error(429, requestID: exchange.requestID,
                                           message: "rate limit '\(limit.name)' exceeded: \(limit.requests) per \(limit.window)")
        response.headers.set("Retry-After", String(max(1, seconds(decisive.retryMicros))))
        return response
    }

    func unavailableResponse(_ exchange: Exchange) -> LocalResponse {
        var response = LocalResponse.error(503, requestID: exchange.requestID, message: "rate limiting unavailable")
        response.headers.set("Retry-After", "1")
        return response
    }

    /// Whole seconds, rounded up: a client waiting that long is never early.
    func seconds(_ micros: Int64) -> Int64 { (micros + 999_999) / 1_000_000 }

    // MARK: Events

    /// `rate-limit-exceeded`, at most once per client, limit and `event_interval`; the next one
    /// carries how many rejections were not reported (`gateway.suppressed`).
    func exceeded(_ exchange: Exchange, _ decisive: LimitOutcome) {
        let limit = limits[decisive.limit]
        let subject = "\(limit.name)|\(exchange.clientIP.unmapped)"
        guard let suppressed = throttle.admit(subject) else { return }
        exchange.emit(SecurityEvent(
            name: "rate-limit-exceeded", action: .blocked, severity: .medium,
            ruleID: "rate_limit.\(limit.name)", ruleName: "rate limit exceeded", ruleCategory: "rate-limit",
            category: ["web"], type: ["denied"], filter: filterName,
            reason: "more than \(limit.requests) requests per \(limit.window) for key \(limit.key.map(\.label).joined(separator: "+"))",
            details: ["limit": limit.name, "requests": String(limit.requests), "window": "\(limit.window)",
                      "algorithm": limit.algorithm.rawValue, "key": limit.key.map(\.label).joined(separator: "+"),
                      "retry_after": String(max(1, seconds(decisive.retryMicros))), "suppressed": String(suppressed)]))
    }

    /// `rate-limit-unavailable`: Redis could not judge a request and the failure policy applied;
    /// at most once per filter and `event_interval`.
    func unavailable(_ exchange: Exchange, reason: String) {
        guard let suppressed = throttle.admit("|redis") else { return }
        let action: SecurityEvent.Action = switch onRedisFailure {
        case .open: .flagged
        case .closed: .blocked
        case .local: .allowed
        }
        var event = SecurityEvent(
            name: "rate-limit-unavailable", action: action, severity: .high,
            ruleID: "rate_limit.redis", ruleName: "rate limit store unavailable", ruleCategory: "availability",
            category: ["web"], type: ["error"], kind: "event", filter: filterName,
            reason: "\(reason); on_redis_failure: \(onRedisFailure.rawValue)",
            details: ["on_redis_failure": onRedisFailure.rawValue, "suppressed": String(suppressed)])
        event.outcome = .failure
        exchange.emit(event)
    }
}
