import GatewayConfig
import GatewayNetwork

/// Shares the temporary deny list between gateway instances through one Redis sorted set,
/// `<key_prefix><deny_list.key>` (default `gateway:deny`): members `<ip>|<alert>`, scored by
/// the deny's end in Unix milliseconds. Used by the event dispatcher thread only.
///
/// Every `sync_interval` one pipelined round trip pushes what this instance's alerts added
/// (`ZADD GT`: a later end wins), removes ended entries (`ZREMRANGEBYSCORE -inf now`) and reads
/// the rest (`ZRANGEBYSCORE (now +inf`), which then becomes the local list: entries other
/// instances added appear, and an entry an operator removed (`ZREM`) is lifted everywhere.
/// While Redis is unreachable the local list keeps working on its own (new entries are pushed
/// once it is back), and attempts are spaced ``retryDelay`` apart.
final class DenyListSync {
    private let redis: RedisConfig
    private let key: String
    private let list: TemporaryDenyList
    private let maxEntries: Int
    private let log: @Sendable (String) -> Void
    private var connection: RedisConnection?
    /// Members this instance added that Redis has not confirmed yet, with their end.
    private var pending: [String: Int64] = [:]
    /// Why the last attempt failed; nil while in sync.
    private(set) var failure: String?
    private var retryAt: UInt64 = 0

    /// Connect and per-round-trip budget: the dispatcher thread also serves the sinks.
    static let timeout: Duration = .milliseconds(500)
    static let retryDelay: UInt64 = 5_000_000_000
    /// Members per ZADD.
    static let batch = 1000

    init(config: DenyListConfig, redis: RedisConfig, list: TemporaryDenyList, log: @escaping @Sendable (String) -> Void) {
        self.redis = redis
        key = redis.keyPrefix + config.key
        self.list = list
        maxEntries = config.maxEntries
        self.log = log
    }

    /// Queues a deny this instance added for the next round trip.
    func added(_ ip: IPAddress, until expiresAt: Int64, alert: String) {
        let member = "\(ip.unmapped)|\(alert)"
        pending[member] = max(pending[member] ?? .min, expiresAt)
        if pending.count > maxEntries, let first = pending.min(by: { $0.value < $1.value }) {
            pending[first.key] = nil
        }
    }

    var hasPending: Bool { !pending.isEmpty }

    /// One round trip (push, prune, pull), unless a failure is being waited out. `now` is Unix
    /// milliseconds.
    func sync(now: Int64) {
        guard monotonicNanoseconds() >= retryAt else { return }
        guard let connection = connected() else { return }
        let pushed = pending
        var commands: [[[UInt8]]] = []
        let members = Array(pushed)
        for start in stride(from: 0, to: members.count, by: DenyListSync.batch) {
            var command = ["ZADD", key, "GT"]
            for (member, score) in members[start..<min(members.count, start + DenyListSync.batch)] {
                command += [String(score), member]
            }
            commands.append(command.map { Array($0.utf8) })
        }
        commands.append(["ZREMRANGEBYSCORE", key, "-inf", String(now)].map { Array($0.utf8) })
        commands.append(["ZRANGEBYSCORE", key, "(\(now)", "+inf", "WITHSCORES", "LIMIT", "0", String(maxEntries)].map { Array($0.utf8) })
        let (replies, broken) = connection.pipeline(commands)
        if let broken {
            self.connection = nil
            failed(broken.message)
            return
        }
        for reply in replies {
            if case .error(let message) = reply {
                failed("\(key): \(message)")
                return
            }
        }
        for (member, score) in pushed where pending[member] == score { pending[member] = nil }
        guard case .array(let flat)? = replies.last else {
            failed("\(key): unexpected ZRANGEBYSCORE reply")
            return
        }
        list.replace(with: DenyListSync.entries(flat))
        if let failure {
            log("deny list: Redis \(redis.address) reachable again (was: \(failure)); the list is shared again")
            self.failure = nil
        }
    }

    /// Parses `member score member score ...`; members that are not `<ip>|<alert>` are skipped.
    static func entries(_ flat: [RedisReply]) -> [IPAddress: TemporaryDenyList.Entry] {
        var entries: [IPAddress: TemporaryDenyList.Entry] = [:]
        var index = 0
        while index + 1 < flat.count {
            defer { index += 2 }
            guard let member = flat[index].text, let scoreText = flat[index + 1].text, let score = Double(scoreText),
                  let bar = member.lastIndex(of: "|"), let ip = IPAddress(String(member[..<bar]))
            else { continue }
            let entry = TemporaryDenyList.Entry(expiresAt: Int64(score), alert: String(member[member.index(after: bar)...]))
            if let existing = entries[ip.unmapped], existing.expiresAt >= entry.expiresAt { continue }
            entries[ip.unmapped] = entry
        }
        return entries
    }

    private func connected() -> RedisConnection? {
        if let connection, !connection.isBroken { return connection }
        do {
            let fresh = try RedisConnection(address: redis.address, timeout: DenyListSync.timeout,
                                            password: redis.password, database: redis.database)
            connection = fresh
            return fresh
        } catch {
            connection = nil
            failed(error.message)
            return nil
        }
    }

    private func failed(_ reason: String) {
        retryAt = monotonicNanoseconds() + DenyListSync.retryDelay
        if failure == nil {
            log("deny list: cannot share through Redis (\(reason)); the local list keeps working, retrying every 5s")
        }
        failure = reason
    }
}
