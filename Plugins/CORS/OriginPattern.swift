/// One `allow_origins` entry, matched against a request's Origin header as bytes, ASCII
/// case-insensitively (browsers send origins lowercased; the comparison does not depend on it).
///
/// - An exact origin, `scheme://host[:port]`: `https://portal.example.org`,
///   `http://localhost:3000`, `capacitor://localhost` (app schemes work too). No path, no
///   trailing slash, and no default port (`:443` for https, `:80` for http): browsers omit it.
/// - `null`, the opaque origin of sandboxed frames and local files: only when listed, never
///   through a wildcard.
/// - A subdomain wildcard, `scheme://*.suffix[:port]`: one or more DNS labels in front of
///   `.suffix`, with the same scheme and port. `https://*.example.org` matches
///   `https://a.example.org` and `https://a.b.example.org`, never `https://example.org` itself,
///   `http://a.example.org`, `https://a.example.org:8443`, `https://evil-example.org` or
///   `https://a.example.org.evil.com`. The suffix needs at least two labels (`*.org` is refused).
struct OriginPattern: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case exact
        /// `text` is the suffix after the wildcard, with its leading dot (and the port).
        case subdomains(scheme: [UInt8])
    }

    let kind: Kind
    /// Lowercased: the whole origin, or the wildcard's suffix.
    let text: [UInt8]

    /// Parses an entry (not `*`, which the plugin handles); throws the config error message.
    init(parsing entry: String) throws(OriginPatternError) {
        let lower = entry.lowercased()
        if lower == "null" {
            (kind, text) = (.exact, Array("null".utf8))
            return
        }
        guard let separator = lower.firstRange(of: "://") else {
            throw OriginPatternError("'\(entry)' is not an origin; expected scheme://host[:port] such as https://portal.example.org")
        }
        let scheme = lower[..<separator.lowerBound]
        let authority = lower[separator.upperBound...]
        guard let first = scheme.first, first.isLetter, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else {
            throw OriginPatternError("'\(entry)' has an invalid scheme")
        }
        if let extra = authority.firstIndex(where: { "/?#".contains($0) }) {
            throw OriginPatternError("'\(entry)' is not an origin: remove '\(authority[extra...])' (an origin has no path)")
        }
        guard !authority.contains("@") else { throw OriginPatternError("'\(entry)' is not an origin: remove the user name") }

        let (host, port) = OriginPattern.split(authority)
        if let port {
            guard let number = Int(port), (1...65535).contains(number), !port.hasPrefix("0") else {
                throw OriginPatternError("'\(entry)' has an invalid port")
            }
            if (scheme == "https" && number == 443) || (scheme == "http" && number == 80) {
                throw OriginPatternError("remove ':\(port)' from '\(entry)': browsers omit the default port from Origin")
            }
        }
        if host.hasPrefix("*.") {
            let suffix = host.dropFirst(2)
            guard OriginPattern.isHostName(suffix), suffix.contains(".") else {
                throw OriginPatternError("'\(entry)': a wildcard needs a domain of at least two labels after '*.', such as *.example.org")
            }
            kind = .subdomains(scheme: Array((scheme + "://").utf8))
            text = Array(authority.dropFirst().utf8)
            return
        }
        guard !host.contains("*") else {
            throw OriginPatternError("'\(entry)': '*' is only allowed as the whole first label, as in https://*.example.org")
        }
        guard OriginPattern.isHostName(host) || (host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2) else {
            throw OriginPatternError("'\(entry)' has an invalid host")
        }
        (kind, text) = (.exact, Array(lower.utf8))
    }

    /// Whether `origin` (an Origin header value) is allowed by this entry. Does not allocate.
    func matches(_ origin: UnsafeRawBufferPointer) -> Bool {
        switch kind {
        case .exact:
            return text.withUnsafeBytes { asciiEqualsIgnoringCase(origin, $0) }
        case .subdomains(let scheme):
            let labelsEnd = origin.count - text.count
            guard labelsEnd > scheme.count,
                  scheme.withUnsafeBytes({ asciiEqualsIgnoringCase(UnsafeRawBufferPointer(rebasing: origin[..<scheme.count]), $0) }),
                  text.withUnsafeBytes({ asciiEqualsIgnoringCase(UnsafeRawBufferPointer(rebasing: origin[labelsEnd...]), $0) })
            else { return false }
            return OriginPattern.areLabels(UnsafeRawBufferPointer(rebasing: origin[scheme.count..<labelsEnd]))
        }
    }

    // MARK: Helpers

    /// `host[:port]` into host and port; a bracketed IPv6 host keeps its colons.
    private static func split(_ authority: Substring) -> (host: Substring, port: Substring?) {
        guard let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") else { return (authority, nil) }
        return (authority[..<colon], authority[authority.index(after: colon)...])
    }

    /// Dot-separated non-empty labels of letters, digits, `-` and `_`.
    private static func isHostName(_ host: Substring) -> Bool {
        !host.isEmpty && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }

    /// The same rule on request bytes: what a wildcard may stand for.
    private static func areLabels(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var previous = UInt8(ascii: ".")  // so a leading dot counts as an empty label
        for byte in bytes {
            let lower = byte | 0x20
            let isLabelByte = (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            guard isLabelByte || (byte == UInt8(ascii: ".") && previous != byte) else { return false }
            previous = byte
        }
        return previous != UInt8(ascii: ".")
    }
}

/// ASCII case-insensitive equality of two byte strings (origins, hosts, header names).
func asciiEqualsIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for index in 0..<a.count where a[index] != b[index] {
        let lower = a[index] | 0x20
        guard lower == b[index] | 0x20, lower &- UInt8(ascii: "a") < 26 else { return false }
    }
    return true
}

/// Why an `allow_origins` entry was refused, worded for a config error.
struct OriginPatternError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
