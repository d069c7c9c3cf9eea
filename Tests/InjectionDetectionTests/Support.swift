import GatewayConfig
import GatewayCore
import GatewayTesting
@testable import InjectionDetection

/// What the filter decided about one request, and the rules of its event.
struct Verdict {
    var blocked: Bool
    var rules: [String]
    var events: [EventRecord]
    /// `rule@field` of every finding the event lists.
    var findings: String { events.compactMap { $0.event.details["findings"] }.joined(separator: " ") }
}

/// Runs a request through a filter built from `settings`: head phase, then the body phase
/// when the filter asked for the body (as the gateway does).
func judge(_ tester: FilterTester, _ method: String = "GET", _ target: String, headers: [(String, String)] = [],
           body: String? = nil) -> Verdict {
    let exchange = tester.exchange(method: method, target: target, headers: headers, body: body != nil)
    var action = tester.requestHead(exchange)
    if case .proceed? = action, let body {
        action = tester.requestBody(exchange, Array(body.utf8))
    }
    var blocked = false
    if case .respond(let response)? = action { blocked = response.status == 403 }
    return Verdict(blocked: blocked, rules: exchange.events.map(\.event.ruleID), events: exchange.events)
}

/// A filter with the default settings (a new one per use: testers are not shareable across threads).
var defaultTester: FilterTester { try! FilterTester(InjectionPlugin.self, settings: "{}") }

/// Blocked as a query parameter value (`?q=`, percent-encoded as a browser would).
func blocksQuery(_ value: String, _ tester: FilterTester = defaultTester) -> Bool {
    judge(tester, "GET", "/search?q=" + formEncode(value)).blocked
}

/// Blocked as a JSON string value (escaped as a JSON encoder would).
func blocksJSON(_ value: String, key: String = "note", _ tester: FilterTester = defaultTester) -> Bool {
    judge(tester, "POST", "/api", headers: [("Content-Type", "application/json")], body: #"{"\#(key)": "\#(jsonEscaped(value))"}"#).blocked
}

/// Every byte but unreserved ones percent-encoded, space as `+`.
func formEncode(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            out.unicodeScalars.append(UnicodeScalar(b))
        case UInt8(ascii: " "): out += "+"
        default: out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
        }
    }
    return out
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// The rule ids an inspector finds in one value given as a query parameter.
func rules(inValue value: String) -> Set<String> {
    let inspector = Inspector(report: Report(exclusions: [], route: nil), detectors: .all)
    Array(value.utf8).withUnsafeBytes { v in
        Array("q".utf8).withUnsafeBytes { name in
            inspector.inspect(v, fieldName: name, source: .query, encoding: .decoded)
        }
    }
    return Set(inspector.report.findings.map(\.rule.id))
}
