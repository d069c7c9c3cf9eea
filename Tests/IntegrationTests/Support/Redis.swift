// Reading the events a gateway wrote to a Redis stream (RedisServer is in TestSupport).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension RedisServer {
    /// The `event` field of each entry of `stream`, parsed, in stream order.
    func events(_ stream: String) throws -> [[String: Any]] {
        try eventLines(stream).map(eventJSON)
    }
}

/// One event line (file sink, stream entry, syslog MSG) as a JSON object.
func eventJSON(_ line: some StringProtocol) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw HarnessError("not a JSON object: \(line)")
    }
    return object
}

/// The value at a dotted ECS path (`trace.id`, `event.action`), as text.
func eventField(_ event: [String: Any], _ path: String) -> String? {
    var value: Any? = event
    for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
    switch value {
    case let text as String: return text
    case let number as NSNumber: return number.stringValue
    default: return nil
    }
}
