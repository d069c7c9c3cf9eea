import GatewayCore

/// The outcome of one limit for one request.
struct LimitOutcome: Sendable, Equatable {
    /// Index into the filter's limits.
    var limit: Int
    var allowed: Bool
    /// Requests left in the window after this one (0 when rejected).
    var remaining: Int
    /// Microseconds until the quota is back: the oldest counted request leaves the window, the
    /// fixed window ends, or the bucket is full again.
    var resetMicros: Int64
    /// Microseconds until a rejected request would be allowed; 0 when allowed.
    var retryMicros: Int64
}

/// The check of one bucket group as one atomic Redis round trip.
///
/// All limits of a group are judged first; only when every one allows is the request counted in
/// all of them, so a rejected request consumes no quota. The time is Redis' own (`TIME`), so
/// gateways with skewed clocks still share one window.
enum RateLimitScript {
    /// KEYS: one bucket per limit. ARGV[1]: a unique id for this request (sliding-window member);
    /// then per limit: algorithm code, requests, window in µs, burst.
    /// Returns four integers per limit: allowed (1/0), remaining, reset µs, retry µs.
    static let script = RedisScript("""
        if redis.replicate_commands then pcall(redis.replicate_commands) end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local function int(x) return string.format('%.0f', x) end
        local out, plans, all = {}, {}, true
        for i = 1, #KEYS do
          local a = 2 + (i - 1) * 4
          local algo, limit, window, burst = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
          local key = KEYS[i]
          local ok, remaining, reset, retry
          if algo == 1 then
            redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - window))
            local count = redis.call('ZCARD', key)
            ok = count < limit
            -- the entry whose departure frees a slot (count may exceed a lowered limit)
            local first = redis.call('ZRANGE', key, math.max(0, count - limit), math.max(0, count - limit), 'WITHSCORES')[2]
            local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
            if ok then
              remaining = limit - count - 1
              reset = oldest and (tonumber(oldest) + window - now) or window
              retry = 0
            else
              remaining = 0
              retry = tonumber(first) + window - now
              reset = retry
            end
          elseif algo == 2 then
            local slot = math.floor(now / window)
            local stored = redis.call('HMGET', key, 'w', 'c')
            local count = 0
            if tonumber(stored[1]) == slot then count = tonumber(stored[2]) or 0 end
            ok = count < limit
            remaining = ok and (limit - count - 1) or 0
            reset = (slot + 1) * window - now
            retry = ok and 0 or reset
            plans[i] = { slot, count + 1, reset }
          else
            local interval = window / limit
            local tat = tonumber(redis.call('GET', key)) or now
            if tat < now then tat = now end
            local newtat = tat + interval
            local allowAt = newtat - interval * burst
            ok = now >= allowAt
            if ok then
              remaining = math.floor((now - allowAt) / interval)
              reset = newtat - now
              retry = 0
            else
              remaining = 0
              reset = tat - now
              retry = allowAt - now
            end
            plans[i] = newtat
          end
          if not ok then all = false end
          out[#out + 1] = ok and 1 or 0
          out[#out + 1] = remaining
          out[#out + 1] = math.ceil(reset)
          out[#out + 1] = math.ceil(retry)
        end
        if all then
          for i = 1, #KEYS do
            local a = 2 + (i - 1) * 4
            local algo, window = tonumber(ARGV[a]), tonumber(ARGV[a + 2])
            local key = KEYS[i]
            if algo == 1 then
              redis.call('ZADD', key, int(now), int(now) .. ':' .. ARGV[1])
              redis.call('PEXPIRE', key, int(math.ceil(window / 1000) + 1))
            elseif algo == 2 then
              redis.call('HSET', key, 'w', int(plans[i][1]), 'c', plans[i][2])
              redis.call('PEXPIRE', key, int(math.ceil(plans[i][3] / 1000) + 1))
            else
              redis.call('SET', key, int(plans[i]), 'PX', int(math.ceil((plans[i] - now) / 1000) + 1))
            end
          end
        end
        return out
        """)

    /// The script's arguments: the request id, then each limit's precomputed part.
    static func arguments(requestID: String, limits: [[[UInt8]]]) -> [[UInt8]] {
        var arguments: [[UInt8]] = [Array(requestID.utf8)]
        arguments.reserveCapacity(1 + limits.count * 4)
        for limit in limits { arguments += limit }
        return arguments
    }

    /// Parses the reply for `limits` (their indexes in the filter); nil when it is not what the
    /// script returns (an error reply, a foreign script under the same SHA...).
    static func outcomes(_ reply: RedisReply, limits: [Int]) -> [LimitOutcome]? {
        guard case .array(let values) = reply, values.count == limits.count * 4 else { return nil }
        var outcomes: [LimitOutcome] = []
        for (position, limit) in limits.enumerated() {
            var numbers: [Int] = []
            for value in values[(position * 4)..<(position * 4 + 4)] {
                guard case .integer(let number) = value else { return nil }
                numbers.append(number)
            }
            outcomes.append(LimitOutcome(limit: limit, allowed: numbers[0] == 1, remaining: max(0, numbers[1]),
                                         resetMicros: Int64(max(0, numbers[2])), retryMicros: Int64(max(0, numbers[3]))))
        }
        return outcomes
    }
}
