import GatewayConfig

/// `type: redis_stream`: `XADD <key_prefix><stream> MAXLEN ~ <max_len> * event <json>`, a batch
/// per round trip. SOC tools read the stream with consumer groups (docs/events.md).
///
/// A lost connection is dropped and made again on the next delivery; the dispatcher spaces
/// those retries out.
final class RedisStreamSink: EventSink {
    let name: String
    let type = "redis_stream"
    private let config: RedisStreamSinkConfig
    /// The command up to the entry's fields.
    private let xadd: [[UInt8]]
    private var connection: RedisConnection?

    init(name: String, config: RedisStreamSinkConfig) {
        self.name = name
        self.config = config
        xadd = ["XADD", config.redis.keyPrefix + config.stream, "MAXLEN", "~", String(config.maxLength), "*", "event"]
            .map { Array($0.utf8) }
    }

    func deliver(_ payloads: ArraySlice<[UInt8]>) -> Delivery {
        let connection: RedisConnection
        if let existing = self.connection, !existing.isBroken {
            connection = existing
        } else {
            do {
                connection = try RedisConnection(address: config.redis.address, timeout: config.timeout,
                                                 password: config.redis.password, database: config.redis.database)
            } catch {
                self.connection = nil
                return Delivery(count: 0, failure: error.message)
            }
            self.connection = connection
        }
        let (replies, failure) = connection.pipeline(payloads.map { xadd + [$0] })
        // Replies come in order, so the first error ends what was delivered in order.
        for (index, reply) in replies.enumerated() {
            if case .error(let message) = reply { return Delivery(count: index, failure: "XADD failed: \(message)") }
        }
        if let failure { self.connection = nil; return Delivery(count: replies.count, failure: failure.message) }
        return Delivery(count: replies.count)
    }

    func close() {
        connection = nil
    }
}
