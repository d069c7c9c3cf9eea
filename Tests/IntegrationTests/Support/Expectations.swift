// Assertions shared by the gateway tests.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A local error response of the gateway: the given status and a small JSON body that
/// contains the request id (when the test knows it).
func expectLocalError(
    _ r: HTTPResponse, _ status: Int, requestID: String? = nil, _ context: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(r.status == status, "expected a local \(status), got:\n\(r)\n\(context())", sourceLocation: sourceLocation)
    #expect(r.body.count <= 4096, "local error bodies are small; got \(r.body.count) bytes", sourceLocation: sourceLocation)
    #expect(r.jsonObject != nil, "local error body is not a JSON object: \(printable(r.body))\n\(context())",
            sourceLocation: sourceLocation)
    if let requestID {
        #expect(r.bodyText.contains(requestID),
                "local error body does not contain the request id \(requestID): \(printable(r.body))",
                sourceLocation: sourceLocation)
    }
}

/// The 1-based number of the first line of `text` that contains `needle`.
func lineNumber(of needle: String, in text: String) -> Int? {
    for (i, line) in text.components(separatedBy: "\n").enumerated() where line.contains(needle) {
        return i + 1
    }
    return nil
}

/// `PATH:LINE:COL: reason` diagnostics found in `stderr` for `path`.
struct ConfigDiagnostic: CustomStringConvertible {
    let line: Int
    let column: Int
    let message: String
    var description: String { "\(line):\(column): \(message)" }

    static func parse(_ stderr: String, path: String) -> [ConfigDiagnostic] {
        var out = [ConfigDiagnostic]()
        for raw in stderr.components(separatedBy: "\n") {
            guard let range = raw.range(of: path + ":") else { continue }
            let rest = raw[range.upperBound...]
            let parts = rest.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let line = Int(parts[0]), let col = Int(parts[1]) else { continue }
            out.append(ConfigDiagnostic(line: line, column: col, message: parts[2].trimmingCharacters(in: .whitespaces)))
        }
        return out
    }
}

extension RawConnection {
    /// True when the peer has sent something (or closed) that we have not read yet.
    func hasIncomingData() -> Bool {
        if pendingBytes > 0 || peerClosed { return true }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) == 1
    }

    /// Sends `bytes` in pieces and stops early (without error) as soon as the peer answers,
    /// closes, or stops reading for `stallTimeout` seconds. Returns the number of bytes sent.
    @discardableResult
    func sendUntilAnswered(_ bytes: [UInt8], pieceSize: Int = 65536, stallTimeout: Double = 10) -> Int {
        var sent = 0
        while sent < bytes.count {
            if hasIncomingData() { break }
            let end = min(bytes.count, sent + pieceSize)
            do { try send(Array(bytes[sent..<end]), timeout: stallTimeout) } catch { break }
            sent = end
        }
        return sent
    }
}
