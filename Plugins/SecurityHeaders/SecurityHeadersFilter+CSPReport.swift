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
    /// Checks a request for the report path at the gateway and asks for its body; reports never
    /// go upstream: ``reportBody(_:_:)`` answers once the body is read.
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
        switch request.framing {
        case .contentLength(let length) where length > Int64(report.maxBytes):
            return .respond(.error(413, requestID: exchange.requestID))
        case .none, .untilClose:
            return .respond(.error(400, requestID: exchange.requestID, message: "empty report"))
        default:
            break
        }
        exchange.storage[ObjectIdentifier(self)] = PendingReport(mediaType: mediaType)
        exchange.inspectRequestBody(upTo: report.maxBytes + 1)
        return .proceed
    }

    /// Turns the report into `csp-violation` events (one per violation in a Reporting API batch)
    /// and answers 204.
    func reportBody(_ exchange: Exchange, _ report: CSPReportEndpoint) -> FilterAction {
        guard let pending = exchange.storage[ObjectIdentifier(self)] as? PendingReport else { return .proceed }
        guard exchange.isRequestBodyComplete, exchange.requestBody.count <= report.maxBytes else {
            return .respond(.error(413, requestID: exchange.requestID, closeConnection: true))
        }
        let violations = CSPViolation.parse(exchange.requestBody, mediaType: pending.mediaType)
        guard !violations.isEmpty else {
            return .respond(.error(400, requestID: exchange.requestID, message: "not a CSP violation report"))
        }
        for violation in violations.prefix(CSPViolation.maxPerReport) {
            var details = violation.details
            if let origin = exchange.request.headers.first("Origin") { details["origin"] = origin }
            exchange.emit(SecurityEvent(
                name: "csp-violation", action: .flagged, severity: .low,
                ruleID: "security_headers.csp_report", ruleName: "Content-Security-Policy violation reported",
                ruleCategory: "csp", type: ["info"], filter: filterName,
                reason: "a browser reported a Content-Security-Policy violation of \(violation.directive ?? "an unnamed directive")",
                matched: violation.blocked, details: details))
        }
        return .respond(LocalResponse(status: 204))
    }

    private struct PendingReport: Sendable {
        let mediaType: String
    }
}

/// One violation from a report body: `application/csp-report` (`{"csp-report": {...}}`, CSP
/// level 2 names) or `application/reports+json` (an array of `{"type": "csp-violation",
/// "body": {...}}`, Reporting API names).
struct CSPViolation {
    /// What an analyst needs; URLs lose their query strings (they may carry tokens or PHI).
    var directive: String?
    var blocked: String?
    var details: [String: String]

    static let maxPerReport = 20

    static func parse(_ body: [UInt8], mediaType: String) -> [CSPViolation] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) else { return [] }
        if mediaType == "application/csp-report" {
            guard let report = (json as? [String: Any])?["csp-report"] as? [String: Any] else { return [] }
            return [CSPViolation(report, document: "document-uri", blocked: "blocked-uri",
                                 directive: ["effective-directive", "violated-directive"], source: "source-file", line: "line-number")]
        }
        return (json as? [[String: Any]] ?? []).compactMap { entry in
            guard entry["type"] as? String == "csp-violation", let body = entry["body"] as? [String: Any] else { return nil }
            return CSPViolation(body, document: "documentURL", blocked: "blockedURL",
                                directive: ["effectiveDirective"], source: "sourceFile", line: "lineNumber")
        }
    }

    private init(_ fields: [String: Any], document: String, blocked: String, directive: [String], source: String, line: String) {
        func text(_ key: String) -> String? {
            switch fields[key] {
            case let value as String: return value.isEmpty ? nil : String(value.prefix(512))
            case let value as NSNumber: return value.stringValue
            default: return nil
            }
        }
        self.directive = directive.lazy.compactMap(text).first
        self.blocked = text(blocked).map(CSPViolation.withoutQuery)
        var details: [String: String] = [:]
        if let value = text(document) { details["document_uri"] = CSPViolation.withoutQuery(value) }
        if let value = self.directive { details["directive"] = value }
        if let value = text(source) { details["source_file"] = CSPViolation.withoutQuery(value) }
        if let value = text(line) { details["line"] = value }
        self.details = details
    }

    private static func withoutQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }
}
