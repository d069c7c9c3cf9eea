import Foundation
import GatewayConfig
import GatewayCore

/// `report_path`: where browsers POST Content-Security-Policy violation reports.
struct CSPReportEndpoint: Sendable {
    /// The normalised request path that is answered here, ASCII bytes.
    let path: [UInt8]
    /// The largest Content-Length accepted.
    let maxBytes: Int

    /// `report-uri` reports and Reporting API batches.
    static let mediaTypes = ["application/csp-report", "application/reports+json"]

    /// Reads `report_path` and `report_max_bytes` (default 16KiB); nil when invalid (reported).
    init?(path node: ConfigNode, maxBytes: ConfigNode?, _ d: ConfigDiagnostics) {
        guard let path = node.string(d) else { return nil }
        // Requests are matched on their normalised path: only a path normalisation leaves unchanged can match.
        let plain = path.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~/".contains($0)) }
        let dotSegment = path.split(separator: "/").contains { $0 == "." || $0 == ".." }
        guard path.hasPrefix("/"), plain, !dotSegment else {
            d.error("report_path must be a plain path such as /csp-report (letters, digits, '-._~/', no '.' or '..' segments)",
                    at: node.location)
            return nil
        }
        guard let limit = maxBytes.map({ $0.byteSize(d, range: 1...(1 << 20)) }) ?? 16 << 10 else { return nil }
        self.path = Array(path.utf8)
        self.maxBytes = limit
    }
}

extension SecurityHeadersFilter {
    /// Answers a request for the report path at the gateway: 204 for an acceptable report, an
    /// error otherwise; reports never go upstream.
    ///
    /// Filters do not see request bodies yet, so the `csp-violation` event carries what the
    /// head tells (referrer, origin, size), not the blocked URI or the violated directive.
    func answerReport(_ exchange: Exchange, _ report: CSPReportEndpoint) -> FilterAction {
        let request = exchange.request
        guard request.method == .post else {
            var response = LocalResponse.error(405, requestID: exchange.requestID)
            response.headers.add("Allow", "POST")
            return .respond(response)
        }
        // Reports are rare, so reading the media type as a String costs nothing that matters.
        let mediaType = request.headers.first("Content-Type")?
            .prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard CSPReportEndpoint.mediaTypes.contains(mediaType) else {
            return .respond(.error(415, requestID: exchange.requestID))
        }
        let length: Int64
        switch request.framing {
        case .contentLength(let n): length = n
        case .chunked: return .respond(.error(411, requestID: exchange.requestID))
        case .none, .untilClose: return .respond(.error(400, requestID: exchange.requestID, message: "empty report"))
        }
        guard length <= Int64(report.maxBytes) else { return .respond(.error(413, requestID: exchange.requestID)) }

        var details = ["content_type": mediaType, "content_length": String(length)]
        for (header, key) in [("Referer", "referrer"), ("Origin", "origin")] {
            if let value = request.headers.first(header) { details[key] = value }
        }
        exchange.emit(SecurityEvent(
            name: "csp-violation", action: .flagged, severity: .low,
            ruleID: "security_headers.csp_report", ruleName: "Content-Security-Policy violation reported",
            ruleCategory: "csp", type: ["info"], filter: filterName,
            reason: "a browser reported a Content-Security-Policy violation (report body not inspected)",
            details: details))
        return .respond(LocalResponse(status: 204))
    }
}
