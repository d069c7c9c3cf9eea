import Glibc

extension AdminServer {
    /// Asks every worker for its counters on its own loop, sums them on the admin loop and
    /// renders the Prometheus text. A worker that does not answer within half a second (it
    /// drained and stopped) counts with its last sample.
    func collectMetrics(_ completion: @escaping ([UInt8]) -> Void) {
        let workers = server.workers
        let gathering = MetricsGathering(count: workers.count)
        gathering.finish = { [self] in
            guard !gathering.finished else { return }
            gathering.finished = true
            gathering.timer?.cancel()
            gathering.timer = nil
            var total = MetricsSample()
            for (index, sample) in gathering.samples.enumerated() {
                if let sample { lastSamples[index] = sample }
                if let sample = sample ?? lastSamples[index] { total.add(sample) }
            }
            gathering.finish = nil
            completion(renderMetrics(total))
        }
        gathering.timer = LoopTimer(loop: loop) { gathering.finish?() }
        gathering.timer?.schedule(after: .milliseconds(500))
        let loop = self.loop
        for worker in workers {
            worker.loop.execute {
                let sample = worker.metricsSample()
                loop.execute {
                    gathering.samples[worker.index] = sample
                    gathering.received += 1
                    if gathering.received == gathering.samples.count { gathering.finish?() }
                }
            }
        }
        if workers.isEmpty { gathering.finish?() }
    }

    private func renderMetrics(_ sample: MetricsSample) -> [UInt8] {
        var text = PrometheusText()
        let (runtime, state) = server.state.withLock { ($0.runtime, $0) }

        text.family("gateway_requests_total", "counter", "Requests answered, by route, status class and filter verdict.")
        for route in sample.requests.keys.sorted() {
            guard let counts = sample.requests[route] else { continue }
            for (classIndex, statusClass) in WorkerMetrics.statusClasses.enumerated() {
                for verdict in RequestVerdict.allCases {
                    let count = counts[classIndex * RequestVerdict.allCases.count + verdict.rawValue]
                    // Combinations never seen stay out: the label space is routes x 6 x 3.
                    if count > 0 {
                        text.sample("gateway_requests_total", ["route": route, "status_class": statusClass, "verdict": verdict.label], count)
                    }
                }
            }
        }

        text.family("gateway_request_duration_seconds", "histogram", "Time from a complete request head to the end of the response.")
        var cumulative = 0
        for (index, bound) in WorkerMetrics.latencyBoundsMicros.enumerated() {
            cumulative += sample.latencyBuckets[index]
            text.sample("gateway_request_duration_seconds_bucket", ["le": PrometheusText.seconds(micros: bound)], cumulative)
        }
        cumulative += sample.latencyBuckets.last ?? 0
        text.sample("gateway_request_duration_seconds_bucket", ["le": "+Inf"], cumulative)
        text.sample("gateway_request_duration_seconds_sum", [:], PrometheusText.seconds(micros: sample.latencySumMicros))
        text.sample("gateway_request_duration_seconds_count", [:], cumulative)

        let upstreamNames = sample.upstreams.keys.sorted()
        for (index, (name, help)) in [("gateway_upstream_connect_errors_total", "Upstream connects that failed (refused, reset, unreachable)."),
                                      ("gateway_upstream_timeouts_total", "Upstream connect or response timeouts."),
                                      ("gateway_upstream_retries_total", "Requests retried on another upstream connection or target.")].enumerated() {
            text.family(name, "counter", help)
            for upstream in upstreamNames { text.sample(name, ["upstream": upstream], sample.upstreams[upstream]?[index] ?? 0) }
        }

        text.family("gateway_upstream_target_up", "gauge",
                    "1 while an upstream target is up in at least one worker (passive and active health), 0 while every worker has it out.")
        for upstream in runtime.upstreamHealth.snapshot() {
            for target in upstream.targets {
                text.sample("gateway_upstream_target_up", ["upstream": upstream.name, "target": target.address], target.isUp ? 1 : 0)
            }
        }

        text.family("gateway_downstream_connections", "gauge", "Open client connections.")
        text.sample("gateway_downstream_connections", [:], sample.downstreamConnections)
        text.family("gateway_upstream_connections", "gauge", "Open upstream connections, in use or idle in the pools.")
        text.sample("gateway_upstream_connections", [:], sample.upstreamConnections)
        text.family("gateway_tls_handshakes_total", "counter", "TLS handshakes completed by clients.")
        text.sample("gateway_tls_handshakes_total", [:], sample.tlsHandshakes)
        text.family("gateway_tls_handshake_failures_total", "counter", "TLS handshakes that failed.")
        text.sample("gateway_tls_handshake_failures_total", [:], sample.tlsHandshakeFailures)
        text.family("gateway_upstream_tls_handshakes_total", "counter", "TLS handshakes with upstreams, by whether a session was resumed.")
        text.sample("gateway_upstream_tls_handshakes_total", ["resumed": "true"], sample.upstreamTLSResumed)
        text.sample("gateway_upstream_tls_handshakes_total", ["resumed": "false"], sample.upstreamTLSHandshakes - sample.upstreamTLSResumed)

        if let redis = sample.redis {
            text.family("gateway_redis_calls_total", "counter", "Calls to Redis on the request path (rate limits), by result.")
            text.sample("gateway_redis_calls_total", ["result": "reply"], redis.replies)
            text.sample("gateway_redis_calls_total", ["result": "timeout"], redis.timeouts)
            text.sample("gateway_redis_calls_total", ["result": "unavailable"], redis.unavailable)
            text.family("gateway_redis_connects_total", "counter", "Connections the workers opened to Redis.")
            text.sample("gateway_redis_connects_total", [:], redis.connects)
            text.family("gateway_redis_breaker_openings_total", "counter", "Times a worker's Redis circuit breaker opened.")
            text.sample("gateway_redis_breaker_openings_total", [:], redis.breakerOpenings)
            text.family("gateway_redis_breakers_open", "gauge", "Workers whose Redis circuit breaker is open now.")
            text.sample("gateway_redis_breakers_open", [:], sample.redisBreakersOpen)
        }

        text.family("gateway_config_reloads_total", "counter", "Config reloads, by result.")
        text.sample("gateway_config_reloads_total", ["result": "ok"], state.reloadsOK)
        text.sample("gateway_config_reloads_total", ["result": "failed"], state.reloadsFailed)
        text.family("gateway_config_info", "gauge", "The loaded config: its hash (FNV-1a 64 of the file) as a label.")
        text.sample("gateway_config_info", ["hash": runtime.configuration.sourceHash], 1)
        text.family("gateway_config_loaded_timestamp_seconds", "gauge", "When the running config was loaded.")
        text.sample("gateway_config_loaded_timestamp_seconds", [:], Int(state.loadedAt))
        text.family("gateway_draining", "gauge", "1 while the gateway drains before exiting.")
        text.sample("gateway_draining", [:], state.draining ? 1 : 0)

        if let geo = runtime.geo {
            text.family("gateway_geo_database_build_timestamp_seconds", "gauge",
                        "When the loaded geo databases were built (their build_epoch): shows a reload picked up an update.")
            for (key, database) in [("database", geo.database), ("asn_database", geo.asnDatabase)] {
                guard let database else { continue }
                text.sample("gateway_geo_database_build_timestamp_seconds", ["database": key, "type": database.databaseType],
                            String(database.buildEpoch))
            }
            text.family("gateway_geo_lookup_failures_total", "counter",
                        "Geo lookups that failed (a corrupt database region; geo.on_error applied), since the config was loaded.")
            text.sample("gateway_geo_lookup_failures_total", [:], geo.failures)
        }

        if let accessLog = server.accessLog {
            let counts = accessLog.counts
            text.family("gateway_access_log_lines_total", "counter", "Access log lines, by result.")
            text.sample("gateway_access_log_lines_total", ["result": "written"], counts.written)
            text.sample("gateway_access_log_lines_total", ["result": "dropped"], counts.dropped)
        }

        if let dispatcher = server.events as? EventDispatcher {
            let sinks = dispatcher.stats
            let sinkFamilies: [(String, String, String, KeyPath<EventSinkStats, Int>)] = [
                ("gateway_events_delivered_total", "counter", "Security events a sink accepted.", \.delivered),
                ("gateway_events_dropped_total", "counter", "Security events a sink will never get.", \.dropped),
                ("gateway_events_queued", "gauge", "Security events waiting in memory for a sink.", \.queued),
                ("gateway_events_spooled", "gauge", "Security events waiting in a sink's spool on disk.", \.spooled),
            ]
            for (name, type, help, field) in sinkFamilies {
                text.family(name, type, help)
                for sink in sinks { text.sample(name, ["sink": sink.name, "type": sink.type], sink[keyPath: field]) }
            }
            text.family("gateway_events_sink_up", "gauge", "1 while a sink delivers, 0 while it is down.")
            for sink in sinks { text.sample("gateway_events_sink_up", ["sink": sink.name, "type": sink.type], sink.failure == nil ? 1 : 0) }
            let alerts = dispatcher.alertStats
            let alertFamilies: [(String, String, String, KeyPath<AlertRuleStats, Int>)] = [
                ("gateway_alerts_fired_total", "counter", "Alerts an alert rule raised.", \.fired),
                ("gateway_alert_tracked_keys", "gauge", "Keys (clients) an alert rule is counting.", \.trackedKeys),
                ("gateway_alert_evictions_total", "counter", "Keys an alert rule forgot to stay within max_keys.", \.evictions),
            ]
            for (name, type, help, field) in alertFamilies {
                text.family(name, type, help)
                for alert in alerts { text.sample(name, ["rule": alert.name], alert[keyPath: field]) }
            }
        }
        return text.bytes
    }
}

/// The workers' answers to one scrape. Admin-loop confined (Sendable only to ride along a
/// worker's closure and back).
private final class MetricsGathering: @unchecked Sendable {
    var samples: [MetricsSample?]
    var received = 0
    var finished = false
    var timer: LoopTimer?
    /// Sums and answers; nil once done (which also breaks the cycle through the timer).
    var finish: (() -> Void)?

    init(count: Int) {
        samples = Array(repeating: nil, count: count)
    }
}

/// Prometheus text exposition format 0.0.4.
struct PrometheusText {
    private(set) var bytes: [UInt8] = []

    mutating func family(_ name: String, _ type: String, _ help: String) {
        bytes.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n".utf8)
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Int) {
        sample(name, labels, String(value))
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: String) {
        bytes.append(contentsOf: name.utf8)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            for (index, label) in labels.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: label.key.utf8)
                bytes.append(contentsOf: "=\"".utf8)
                for byte in label.value.utf8 {
                    switch byte {
                    case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                    case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                    case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
                    default: bytes.append(byte)
                    }
                }
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: value.utf8)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `1500000` -> `1.5`.
    static func seconds(micros: Int64) -> String {
        let (whole, fraction) = micros.quotientAndRemainder(dividingBy: 1_000_000)
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
