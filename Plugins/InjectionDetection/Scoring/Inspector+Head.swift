import GatewayHTTP

extension Inspector {
    /// Request-head fields: the path, the query, cookies, and every header a backend or a log
    /// viewer may interpret, except those the HTTP layer owns (framing, content negotiation,
    /// caching) or that carry credentials.
    func inspectHead(_ request: HTTPRequestHead) {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        request.headers.withFirst("Host") { value in
            var end = value.count
            if let colon = value.lastIndex(of: 0x3A), !value[colon...].contains(0x5D) { end = colon }
            host = value[..<end].map(ByteClass.lower)
        }
        request.withTarget { target in
            var q = 0
            while q < target.count && target[q] != 0x3F { q += 1 }
            inspect(UnsafeRawBufferPointer(rebasing: target[0..<q]), fieldName: empty, source: .path, encoding: .percent,
                    context: ValueContext(source: .path))
            if q + 1 < target.count { inspectPairs(UnsafeRawBufferPointer(rebasing: target[(q + 1)...]), source: .query) }
        }
        request.headers.forEach { name, value in
            switch Inspector.headerRole(name) {
            case .skip:
                return
            case .cookie:
                inspectCookies(value)
            case .contentType:
                report.source = .header
                report.fieldName = name
                if detectors.contains(.protocol) { ProtocolDetector.scanContentType(value, &report) }
            case .range:
                report.source = .header
                report.fieldName = name
                if detectors.contains(.protocol) { ProtocolDetector.scanRange(value, &report) }
            case .fileName:
                inspect(value, fieldName: name, source: .header, encoding: .percent)
                report.source = .header
                report.fieldName = name
                if detectors.contains(.code) { CodeDetector.scriptFileName(value, &report) }
            case .inspect:
                inspect(value, fieldName: name, source: .header, encoding: .percent)
            }
        }
    }

    enum HeaderRole { case skip, cookie, contentType, range, fileName, inspect }

    /// Framing, negotiation, caching and credential headers are the HTTP layer's (validated
    /// by the core's parser or never interpreted as data); everything else is inspected.
    static let skippedHeaders = KeywordTable([
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te", "upgrade",
        "expect", "accept", "accept-encoding", "accept-language", "accept-charset", "cache-control", "pragma",
        "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "authorization",
        "proxy-authorization", "x-request-id", "content-encoding", "dnt", "upgrade-insecure-requests", "priority",
        "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user", "sec-ch-ua", "sec-ch-ua-mobile",
        "sec-ch-ua-platform", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "x-csrf-token",
        "x-xsrf-token", "x-api-key", "traceparent", "tracestate", "content-md5", "digest", "signature", "stripe-signature",
        "x-square-signature", "x-hub-signature", "x-hub-signature-256",
    ])

    static func headerRole(_ name: UnsafeRawBufferPointer) -> HeaderRole {
        if skippedHeaders.contains(name, 0, name.count) { return .skip }
        if name.count == 6 && ByteClass.hasPrefix(name, at: 0, "cookie") { return .cookie }
        if name.count == 12 && ByteClass.hasPrefix(name, at: 0, "content-type") { return .contentType }
        if name.count == 5 && ByteClass.hasPrefix(name, at: 0, "range") { return .range }
        if ByteClass.find(name, "file") != nil { return .fileName }
        return .inspect
    }
}
