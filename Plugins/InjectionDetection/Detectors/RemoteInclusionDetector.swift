/// Remote file inclusion and server-side request forgery: URLs in values whose scheme is
/// never a normal link (`file:`, `gopher:`, `dict:`, `jar:`...), whose host is written to
/// dodge allow lists (decimal, hex or octal IPs, `user@host` confusion, metadata endpoints,
/// loopback), or that end in `?`/`#`/NUL to cut off the suffix the backend appends.
enum RemoteInclusionDetector {
    static let scheme = Rule("rfi.scheme", .rfi, .critical, "URL with a file or legacy-protocol scheme (file:, gopher:, dict:, jar:)")
    static let internalHost = Rule("rfi.internal-host", .rfi, .critical, "URL to loopback, link-local, metadata or an obfuscated IP")
    static let credentialsConfusion = Rule("rfi.userinfo", .rfi, .critical, "URL with userinfo hiding the real host (a.com@evil.com)")
    static let suffixCut = Rule("rfi.suffix-cut", .rfi, .high, "URL ending in ? or # to cut off an appended suffix")
    static let internalName = Rule("rfi.internal-name", .rfi, .medium, "loopback or metadata host name as a value")
    static let offDomain = Rule("rfi.off-domain", .rfi, .medium, "parameter that is a URL to another site (remote inclusion, open redirect)")
    static let ipURL = Rule("rfi.ip-url", .rfi, .medium, "URL to a literal IP address")

    static let schemes = KeywordTable(["file", "gopher", "dict", "jar", "netdoc", "tftp", "ldap", "ldaps", "ldapi", "sftp",
                                       "smb", "rmi", "iiop", "jdbc", "ftp", "url", "mailto_x", "telnet", "nntp", "ssh"])
    static let internalNames = KeywordTable(["localhost", "localhost4", "localhost6", "ip6-localhost", "ipv6-localhost",
                                             "localhost.localdomain", "metadata", "metadata.google.internal", "metadata.packet.net",
                                             "metadata.azure.com", "instance-data", "gateway.docker.internal", "host.docker.internal",
                                             "kubernetes.docker.internal", "kubernetes.default", "kubernetes.default.svc",
                                             "localtest.me", "0", "127.1", "0.0.0.0"])

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        // A bare host where a URL is expected: `url=localhost4/`, `host=metadata.google.internal`.
        if ctx.source != .path && ctx.source != .header {
            var e = 0
            while e < n && (ByteClass.isAlnum(s[e]) || s[e] == 0x2E || s[e] == 0x2D) { e += 1 }
            // `localhost` alone is also a setting a form may carry; with a path or port it is a target.
            if e > 1, e < n, s[e] == 0x2F || s[e] == 0x3A, internalNames.contains(s, 0, e) {
                report.add(internalHost, s, 0..<min(n, e + 20))
            } else if e > 1, e == n, internalNames.contains(s, 0, e) {
                report.add(internalName, s, 0..<e)
            }
        }
        var i = 0
        while i < n {
            if s[i] == 0x3A { url(s, colon: i, ctx, &report) }
            i += 1
        }
    }

    private static func url(_ s: UnsafeRawBufferPointer, colon: Int, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        var start = colon
        while start > 0 && (ByteClass.isAlnum(s[start - 1]) || s[start - 1] == 0x2B || s[start - 1] == 0x2D) { start -= 1 }
        guard colon > start, ByteClass.isAlpha(s[start]) else { return }
        let slashes = colon + 2 < n && s[colon + 1] == 0x2F && s[colon + 2] == 0x2F
        let isHTTP = (colon - start == 4 && ByteClass.hasPrefix(s, at: start, "http")) || (colon - start == 5 && ByteClass.hasPrefix(s, at: start, "https"))
        if schemes.contains(s, start, colon) {
            let isFTP = colon - start == 3 && ByteClass.hasPrefix(s, at: start, "ftp")
            // `jar:`, `url:` and `file:` need no slashes; the others are only URLs with `//`.
            // `jar:file:...`, `url:http:...`: a scheme that wraps another one.
            var inner = colon + 1
            while inner < n && ByteClass.isAlpha(s[inner]) { inner += 1 }
            let wraps = inner > colon + 1 && inner < n && s[inner] == 0x3A
            let bare = (colon - start == 3 && (ByteClass.hasPrefix(s, at: start, "jar") || ByteClass.hasPrefix(s, at: start, "url")) && wraps)
                || (colon - start == 4 && ByteClass.hasPrefix(s, at: start, "file") && colon + 1 < n && s[colon + 1] == 0x2F)
            if (slashes && !isFTP) || bare {
                report.add(scheme, s, start..<min(n, colon + 40))
                return
            }
        }
        guard isHTTP || (colon - start == 3 && ByteClass.hasPrefix(s, at: start, "ftp")) else { return }
        // The authority: after `//` (or right after the colon: `http:127.0.0.1` is parsed by some libraries).
        var a = colon + 1
        while a < n && (s[a] == 0x2F || s[a] == 0x5C) && a < colon + 3 { a += 1 }
        var e = a
        var at = -1
        while e < n && s[e] != 0x2F && s[e] != 0x3F && s[e] != 0x23 && s[e] != 0x5C && !ByteClass.isSpace(s[e]) {
            if s[e] == 0x40 { at = e }
            e += 1
        }
        // `http://example.com%2f@evil.com`: a slash hidden before the `@` makes two parsers see two hosts.
        var hidden = e
        while hidden < n && !ByteClass.isSpace(s[hidden]) && s[hidden] != 0x3F {
            if s[hidden] == 0x40 && at < 0 && hidden > e && (s[e] == 0x2F || s[e] == 0x5C) { at = hidden; break }
            hidden += 1
            if hidden - e > 80 { break }
        }
        if at >= 0, at > a {
            // Plain `user:password@host` is a normal (if unwise) URL; a dot or slash before the `@` is not.
            let userinfo = UnsafeRawBufferPointer(rebasing: s[a..<at])
            if ByteClass.contains(userinfo, 0x2E) || ByteClass.contains(userinfo, 0x2F) || ByteClass.contains(userinfo, 0x5C) {
                report.add(credentialsConfusion, s, start..<min(n, at + 30))
            }
            a = at + 1
            if e < a { e = hidden }
        }
        var hostEnd = a
        if hostEnd < n && s[hostEnd] == 0x5B {
            while hostEnd < n && s[hostEnd] != 0x5D { hostEnd += 1 }
            report.add(internalHost, s, start..<min(n, hostEnd + 1))  // IPv6 literal
            return
        }
        while hostEnd < e && s[hostEnd] != 0x3A { hostEnd += 1 }
        guard hostEnd > a else { return }
        if internalNames.contains(s, a, hostEnd) || isObfuscatedIP(s, a, hostEnd) {
            report.add(internalHost, s, start..<min(n, hostEnd + 10))
        } else if isDottedIP(s, a, hostEnd) {
            // A public IP serving a script (`http://1.2.3.4/x.php`, `.txt?`) is how payloads are fetched.
            var pathEnd = hostEnd
            while pathEnd < n && !ByteClass.isSpace(s[pathEnd]) && s[pathEnd] != 0x3F { pathEnd += 1 }
            let path = UnsafeRawBufferPointer(rebasing: s[hostEnd..<pathEnd])
            let payload = ByteClass.find(path, ".php") != nil || ByteClass.find(path, ".txt") != nil || ByteClass.find(path, ".sh") != nil
                || ByteClass.find(path, ".pl") != nil || ByteClass.find(path, ".jsp") != nil || ByteClass.find(path, ".asp") != nil
            report.add(isInternalIP(s, a, hostEnd) || payload ? internalHost : ipURL, s, start..<min(n, hostEnd + 10))
        }
        // A parameter whose whole value is a URL to another site: what remote inclusion and
        // server-side fetches are given. Same host, its subdomains and its parent domain pass.
        if start == 0, !ctx.host.isEmpty, ctx.source == .query || ctx.source == .body, !ctx.isRawBody,
           !sameSite(s, a, hostEnd, ctx.host) || (hostEnd < e && s[hostEnd] == 0x3A) {
            report.add(offDomain, s, start..<min(n, e + 10))
        }
        // Ends right after `?` or `#`: the classic trick to neutralise `.php` appended by an include.
        var end = e
        while end < n && !ByteClass.isSpace(s[end]) { end += 1 }
        if end - 1 > e, s[end - 1] == 0x3F || s[end - 1] == 0x23 { report.add(suffixCut, s, start..<end) }
    }

    /// `host` is the request's host, a subdomain of it, or its parent domain (`www.example.com`
    /// for `example.com` and back).
    private static func sameSite(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int, _ host: [UInt8]) -> Bool {
        let url = UnsafeRawBufferPointer(rebasing: s[a..<e])
        return host.withUnsafeBytes { h in
            func endsWith(_ long: UnsafeRawBufferPointer, _ short: UnsafeRawBufferPointer) -> Bool {
                guard long.count >= short.count else { return false }
                let offset = long.count - short.count
                for k in 0..<short.count where ByteClass.lower(long[offset + k]) != ByteClass.lower(short[k]) { return false }
                return long.count == short.count || long[offset - 1] == 0x2E
            }
            return endsWith(url, h) || endsWith(h, url)
        }
    }

    /// All digits (decimal), `0x...` hex, or dotted parts with a leading-zero (octal) or hex part.
    private static func isObfuscatedIP(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var allDigits = true
        for k in a..<e where !ByteClass.isDigit(s[k]) { allDigits = false; break }
        if allDigits { return e - a >= 4 }
        if e - a > 2, s[a] == 0x30, ByteClass.lower(s[a + 1]) == 0x78 {
            var hex = true
            for k in (a + 2)..<e where ByteClass.hexValue(s[k]) == nil && s[k] != 0x2E { hex = false; break }
            return hex
        }
        // Dotted parts: any part `0x..` or `0NN` (octal) is obfuscation.
        var part = a
        var numeric = true
        var odd = false
        for k in a...e {
            if k == e || s[k] == 0x2E {
                if k - part >= 2 && s[part] == 0x30 { odd = true }
                part = k + 1
            } else if !ByteClass.isDigit(s[k]) && !(ByteClass.lower(s[k]) == 0x78 && k == part + 1) && ByteClass.hexValue(s[k]) == nil {
                numeric = false
            }
        }
        return numeric && odd
    }

    private static func isDottedIP(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var dots = 0
        for k in a..<e {
            if s[k] == 0x2E { dots += 1 } else if !ByteClass.isDigit(s[k]) { return false }
        }
        return dots >= 1 && dots <= 3
    }

    /// 127/8, 10/8, 169.254/16, 172.16/12, 192.168/16, 0/8, and the short forms (127.1).
    private static func isInternalIP(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var first = 0, second = 0, k = a
        while k < e && s[k] != 0x2E { first = first * 10 + Int(s[k] - 0x30); k += 1; if first > 999 { return false } }
        k += 1
        while k < e && s[k] != 0x2E { second = second * 10 + Int(s[k] - 0x30); k += 1; if second > 999 { return false } }
        switch first {
        case 0, 10, 127: return true
        case 169: return second == 254
        case 172: return (16...31).contains(second)
        case 192: return second == 168
        default: return false
        }
    }
}
