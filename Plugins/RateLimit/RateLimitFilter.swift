import GatewayCore
import GatewayHTTP

/// The `rate_limit` filter: counts each request in the buckets of the limits that apply to it,
/// in Redis (one pipelined round trip per request) or in process, and answers 429 when any
/// limit is exhausted. See ``RateLimitPlugin`` for the settings.
final class RateLimitFilter: Filter {
    enum RedisFailure: String, Sendable {
        /// Allow the request, tag it `rate-limit:unchecked`, raise an event.
        case open
        /// Answer 503.
        case closed
        /// Judge it with the in-process limiter (per instance).
        case local
    }

    enum HeaderStyle: String, Sendable {
        case draft, legacy, both, none
    }

    let filterName: String
    let limits: [RateLimit]
    let onRedisFailure: RedisFailure
    let headers: HeaderStyle
    let maxBody: Int
    /// False without a top-level `redis:`: everything is judged in process.
    let usesRedis: Bool
    let local = LocalRateLimiter()
    let throttle: EventThrottle
    /// Redis keys are `<key_prefix>rl:{<tag>}:<filter>:<limit>`: the parts around the tag.
    private let keyHead: [UInt8]
    private let keyTails: [[UInt8]]
    private let scriptArguments: [[[UInt8]]]

    init(filterName: String, limits: [RateLimit], onRedisFailure: RedisFailure, headers: HeaderStyle, maxBody: Int,
         keyPrefix: String, usesRedis: Bool, eventInterval: Duration) {
        self.filterName = filterName
        self.limits = limits
        self.onRedisFailure = onRedisFailure
        self.headers = headers
        self.maxBody = maxBody
        self.usesRedis = usesRedis
        throttle = EventThrottle(interval: eventInterval)
        keyHead = Array("\(keyPrefix)rl:{".utf8)
        keyTails = limits.map { Array("}:\(filterName):\($0.name)".utf8) }
        scriptArguments = limits.map(\.scriptArguments)
    }

    /// What the filter keeps on the exchange between phases.
    struct State: Sendable {
        var applicable: [Int]
        var outcomes: [LimitOutcome] = []
        var checked = false
    }

    private var storageKey: ObjectIdentifier { ObjectIdentifier(self) }

    func onRequestHead(_ exchange: Exchange) -> FilterAction {
        let applicable = limits.indices.filter { limits[$0].scope.matches(exchange.request) }
        guard !applicable.isEmpty else { return .proceed }
        exchange.storage[storageKey] = State(applicable: applicable)
        // Body keys need the body: judge the whole request once it is read (one round trip).
        if exchange.request.framing != .none, applicable.contains(where: { limits[$0].needsBody }) {
            exchange.inspectRequestBody(upTo: maxBody)
            return .proceed
        }
        return check(exchange, applicable)
    }

    func onRequestBody(_ exchange: Exchange) -> FilterAction {
        guard let state = exchange.storage[storageKey] as? State, !state.checked else { return .proceed }
        return check(exchange, state.applicable)
    }

    func onResponseHead(_ exchange: Exchange) {
        guard headers != .none, let state = exchange.storage[storageKey] as? State, !state.outcomes.isEmpty else { return }
        addHeaders(state.outcomes, to: &exchange.response.headers)
    }

    // MARK: Checking

    /// One bucket group: limits whose keys share a value, checked atomically together.
    struct Group {
        var tag: String
        var members: [(index: Int, limit: RateLimit, key: [UInt8])] = []
    }

    /// Counts the request in every applicable limit's bucket and decides.
    private func check(_ exchange: Exchange, _ applicable: [Int]) -> FilterAction {
        let groups = self.groups(exchange, applicable)
        guard !groups.isEmpty else { return finish(exchange, outcomes: [], failure: nil) }
        guard usesRedis, let redis = exchange.redis else {
            return finish(exchange, outcomes: groups.flatMap { local.check($0.members) }, failure: nil)
        }
        let pending = PendingCheck(groups: groups.count)
        for group in groups {
            let keys = group.members.map(\.key)
            let arguments = RateLimitScript.arguments(requestID: exchange.requestID, limits: group.members.map { scriptArguments[$0.index] })
            redis.evaluate(RateLimitScript.script, keys: keys, arguments: arguments) { [self] result in
                switch result {
                case .success(let reply):
                    if let outcomes = RateLimitScript.outcomes(reply, limits: group.members.map(\.index)) {
                        pending.outcomes += outcomes
                    } else {
                        pending.fail(group, reason: reply.errorText.map { "Redis answered an error: \($0)" } ?? "unexpected Redis reply")
                    }
                case .failure(.timeout): pending.fail(group, reason: "Redis did not answer in time")
                case .failure(.unavailable): pending.fail(group, reason: "Redis unavailable")
                }
                pending.remaining -= 1
                if pending.remaining == 0, pending.suspended {
                    exchange.resume(self.decide(exchange, pending))
                }
            }
        }
        if pending.remaining == 0 { return decide(exchange, pending) }  // every call refused at once
        pending.suspended = true
        return .suspend
    }

    /// Applies the failure policy to the groups Redis could not judge, then decides.
    private func decide(_ exchange: Exchange, _ pending: PendingCheck) -> FilterAction {
        guard !pending.failed.isEmpty else { return finish(exchange, outcomes: pending.outcomes, failure: nil) }
        switch onRedisFailure {
        case .local:
            let outcomes = pending.outcomes + pending.failed.flatMap { local.check($0.members) }
            return finish(exchange, outcomes: outcomes, failure: pending.reason)
        case .open:
            exchange.tags.append("rate-limit:unchecked")
            return finish(exchange, outcomes: pending.outcomes, failure: pending.reason)
        case .closed:
            unavailable(exchange, reason: pending.reason)
            return .respond(unavailableResponse(exchange))
        }
    }

    private func finish(_ exchange: Exchange, outcomes: [LimitOutcome], failure: String?) -> FilterAction {
        if var state = exchange.storage[storageKey] as? State {
            state.outcomes = outcomes
            state.checked = true
            exchange.storage[storageKey] = state
        }
        if let failure { unavailable(exchange, reason: failure) }
        let rejected = outcomes.filter { !$0.allowed }
        guard let decisive = rejected.max(by: { $0.retryMicros < $1.retryMicros }) else { return .proceed }
        exceeded(exchange, decisive)
        return .respond(tooManyRequests(exchange, decisive))
    }

    /// The buckets of this request, grouped by key value. Limits with a missing key part and
    /// `on_missing_key: skip` are left out.
    private func groups(_ exchange: Exchange, _ applicable: [Int]) -> [Group] {
        var groups: [Group] = []
        for index in applicable {
            let limit = limits[index]
            guard let tag = bucketTag(limit, exchange) else { continue }
            let key = keyHead + tag.utf8 + keyTails[index]
            if let position = groups.firstIndex(where: { $0.tag == tag }) {
                groups[position].members.append((index, limit, key))
            } else {
                groups.append(Group(tag: tag, members: [(index, limit, key)]))
            }
        }
        return groups
    }

    /// The hash tag naming a limit's bucket for this request: the client IP as text for IP keys
    /// (readable for operators), else a SHA-256 of the key parts, so no header, cookie or body
    /// value (a phone number, a token) is stored in Redis as is.
    private func bucketTag(_ limit: RateLimit, _ exchange: Exchange) -> String? {
        var composed: [UInt8] = []
        for part in limit.key {
            guard let value = part.value(in: exchange), !value.isEmpty else {
                switch limit.onMissingKey {
                case .skip: return nil
                case .clientIP: return exchange.clientIP.unmapped.description
                }
            }
            if case .clientIP = part, limit.key.count == 1 { return String(decoding: value, as: UTF8.self) }
            if !composed.isEmpty { composed.append(0x1F) }
            composed.append(contentsOf: part.label.utf8)
            composed.append(UInt8(ascii: "="))
            composed.append(contentsOf: value)
        }
        return String(Digest.sha256Hex(composed).prefix(32))
    }
}

/// The replies of one request's bucket groups, gathered until all are in.
private final class PendingCheck: @unchecked Sendable {
    var remaining: Int
    var outcomes: [LimitOutcome] = []
    var failed: [RateLimitFilter.Group] = []
    var reason = ""
    /// True once the filter returned `.suspend`: the last reply resumes the exchange.
    var suspended = false

    init(groups: Int) { remaining = groups }

    func fail(_ group: RateLimitFilter.Group, reason: String) {
        failed.append(group)
        self.reason = reason
    }
}

extension RedisReply {
    var errorText: String? {
        if case .error(let message) = self { message } else { nil }
    }
}
