import ArgumentParser
import Foundation
import GatewayCore
import GatewayHTTP

/// `gateway replay FILE --config PATH`: runs recorded requests (JSONL, the format of the
/// injection corpora) through the configured pipeline in-process, and prints each verdict and
/// the detection and false-positive rates per category.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run recorded requests (JSONL) through a config's request pipeline, without network; print verdicts and rates.")

    @Argument(help: "JSONL file: one request per line (id, category, method, uri, headers, body, expect).")
    var file: String

    @Option(name: .long, help: "Path to the gateway YAML config.")
    var config: String

    @Option(name: .long, help: "Comma-separated statuses that count as blocked.")
    var blockedStatus: String = "403"

    @Option(name: .long, help: "Only the rows whose id is listed in this file (one per line).")
    var idsFile: String?

    @Flag(name: .long, help: "Print one JSON object per row instead of verdict lines.")
    var json = false

    @Flag(name: .long, help: "Print only the table.")
    var summaryOnly = false

    func run() throws {
        let runtime = try loadRuntime(path: config)
        let pipeline = OfflinePipeline(runtime: runtime)
        let blocked = Set(blockedStatus.split(separator: ",").compactMap { Int($0) })
        let only = try idsFile.map { path in
            Set(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") })
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            printError("gateway: cannot read \(file)")
            throw ExitCode(1)
        }
        var tally = ReplayTally()
        for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.allSatisfy({ $0 == 0x20 }) {
            guard let row = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                printError("gateway: \(file):\(index + 1): not a JSON object")
                throw ExitCode(1)
            }
            let id = row["id"] as? String ?? "line-\(index + 1)"
            if let only, !only.contains(id) { continue }
            let category = row["category"] as? String ?? "-"
            let expect = row["expect"] as? String ?? "-"
            let outcome = pipeline.run(raw: ReplayRequest.wire(row))
            let verdict = outcome.status.map { blocked.contains($0) ? "blocked" : "status_\($0)" } ?? "passed"
            let rules = outcome.events.map(\.event.ruleID)
            tally.count(category: category, expect: expect, verdict: verdict)
            if summaryOnly { continue }
            if json {
                let record: [String: Any] = ["id": id, "category": category, "expect": expect, "verdict": verdict,
                                             "status": outcome.status ?? 0, "rules": rules, "matched": outcome.events.compactMap(\.event.matched),
                                             "findings": outcome.events.compactMap { $0.event.details["findings"] }]
                let bytes = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
                print(String(decoding: bytes, as: UTF8.self))
            } else {
                let findings = outcome.events.compactMap { $0.event.details["findings"] }.joined(separator: " ")
                let matched = outcome.events.compactMap(\.event.matched).first.map { "\t" + ReplayRequest.printable($0) } ?? ""
                print("\(id)\t\(category)\t\(expect)\t\(verdict)\t\(findings.isEmpty ? rules.joined(separator: ",") : findings)\(matched)")
            }
        }
        if !json { print(tally.table()) }
    }
}

/// Verdict counts per category and expectation, printed like replay.py's summary.
struct ReplayTally {
    private var counts: [String: [String: [String: Int]]] = [:]  // category -> expect -> verdict -> n

    mutating func count(category: String, expect: String, verdict: String) {
        for c in [category, "ALL"] { counts[c, default: [:]][expect, default: [:]][verdict, default: 0] += 1 }
    }

    func table() -> String {
        func pct(_ part: Int, _ whole: Int) -> String {
            whole == 0 ? "    n/a" : String(format: "%6.1f%%", 100 * Double(part) / Double(whole))
        }
        var lines = ["", "category   attacks blocked     TPR   benign blocked     FPR"]
        for category in counts.keys.filter({ $0 != "ALL" }).sorted() + ["ALL"] {
            let attack = counts[category]?["attack"] ?? [:], benign = counts[category]?["benign"] ?? [:]
            let (na, nb) = (attack.values.reduce(0, +), benign.values.reduce(0, +))
            let (ba, bb) = (attack["blocked"] ?? 0, benign["blocked"] ?? 0)
            lines.append(category.padding(toLength: 10, withPad: " ", startingAt: 0)
                         + String(format: " %7d %7d", na, ba) + " " + pct(ba, na)
                         + String(format: "   %6d %7d", nb, bb) + " " + pct(bb, nb))
        }
        return lines.joined(separator: "\n")
    }
}

/// Completes a corpus row into the bytes a client sends, the way replay.py (after go-ftw)
/// does, so in-process numbers match those measured against a running gateway.
enum ReplayRequest {
    /// One terminal line: control characters as `\xNN`.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += scalar.value < 0x10 ? "\\x0" : "\\x"
                out += String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func wire(_ row: [String: Any]) -> [UInt8] {
        let method = row["method"] as? String ?? "GET"
        let uri = row["uri"] as? String ?? "/"
        let version = row["http_version"] as? String ?? "HTTP/1.1"
        var headers: [(String, String)] = ((row["headers"] as? [String: Any]) ?? [:]).map { key, value in
            (key, value is NSNull ? "" : "\(value)")
        }
        var body = row["body"] as? String
        if body == "" { body = nil }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        if row["autocomplete_headers"] as? Bool ?? true {
            if let current = body {
                if header("Content-Type") == nil { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
                if header("Content-Type") == "application/x-www-form-urlencoded" { body = encodeForm(current) }
            }
            if let current = body, (header("Content-Type") ?? "").hasPrefix("multipart/form-data;") {
                body = current.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            }
            if header("Connection") == nil { headers.append(("Connection", "close")) }
            let length = body?.utf8.count ?? 0
            // go-ftw's regex, quirks included: ^POST|PUT|PATCH|DELETE$
            let bodyMethod = method.hasPrefix("POST") || method.contains("PUT") || method.contains("PATCH") || method.hasSuffix("DELETE")
            if (length > 0 || bodyMethod) && header("Content-Length") == nil { headers.append(("Content-Length", String(length))) }
        }
        var text = "\(method) \(uri) \(version)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + Array((body ?? "").utf8)
    }

    /// go-ftw's form encoding: a body that is already encoded (decoding changes it, or it has
    /// an invalid escape) is sent as is; otherwise each name and value is form-encoded.
    static func encodeForm(_ data: String) -> String {
        guard let decoded = goQueryUnescape(data), decoded == data else { return data }
        return data.split(separator: "&", omittingEmptySubsequences: true).map { token in
            guard let eq = token.firstIndex(of: "=") else { return quotePlus(token) }
            return quotePlus(token[..<eq]) + "=" + quotePlus(token[token.index(after: eq)...])
        }.joined(separator: "&")
    }

    /// Go's url.QueryUnescape: nil on an invalid escape.
    static func goQueryUnescape(_ s: String) -> String? {
        FormFields.percentDecoded(s.utf8, plusIsSpace: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Python's quote_plus(s, safe=""): unreserved bytes kept, space as `+`, the rest %HH.
    static func quotePlus<S: StringProtocol>(_ s: S) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
