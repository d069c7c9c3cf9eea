/// Remote file inclusion and server-side request forgery: URLs in values whose scheme is
/// never a normal link (`file:`, `gopher:`, `dict:`, `jar:`...), whose host is written to
/// dodge allow lists (decimal, hex or octal IPs, `user@host` confusion, metadata endpoints,
/// loopback), or that end in `?`/`#`/NUL to cut off the suffix the backend appends.
enum RemoteInclusionDetector {
    static let scheme = Rule("rfi.scheme", .rfi, .critical, "URL with a file or legacy-protocol scheme (file:, gopher:, dict:, jar:)")
    static let internalHost = Rule("rfi.internal-host", .rfi, .critical, "URL to loopback, link-local, metadata or an obfuscated IP")
    static let credentialsConfusion = Rule("rfi.userinfo", .rfi, .critical, "URL with userinfo hiding the real host (a.com@evil.com)")
    static let suffixCut = Rule("rfi.suffix-cut", .rfi, .critical, "value that is a URL ending in ? or # to cut off an appended suffix")
    static let internalName = Rule("rfi.internal-name", .rfi, .medium, "loopback or metadata host name as a value")
    static let offDomain = Rule("rfi.off-domain", .rfi, .medium, "parameter that is a URL to another site (remote inclusion, open redirect)")
    static let lookalikeHost = Rule("rfi.lookalike-host", .rfi, .critical, "URL whose host imitates the request's (example.com.evil.com, evilexample.com) or another port of it")
    static let uncPath = Rule("rfi.unc-path", .rfi, .critical, "UNC path to another host (\\\\host\\share), fetched over SMB")
    static let interactionHost = Rule("rfi.interaction-host", .rfi, .critical, "URL to an out-of-band interaction service (burpcollaborator.net, interact.sh)")
    static let includeParameter = Rule("rfi.include-parameter", .rfi, .critical, "URL to another site in a parameter named as a file, path or include")
    static let ipURL = Rule("rfi.ip-url", .rfi, .medium, "URL to a literal IP address")
    static let ipValue = Rule("rfi.ip-value", .rfi, .critical, "value that is a URL to a literal IP address")
    static let dataURL = Rule("rfi.data-url", .rfi, .critical, "value that is a data: URL of text or code (inline content for an include)")

    static let schemes = KeywordTable(["file", "gopher", "dict", "jar", "netdoc", "tftp", "ldap", "ldaps", "ldapi", "sftp",
                                       "smb", "rmi", "iiop", "jdbc", "ftp", "url", "mailto_x", "telnet", "nntp", "ssh"])
    static let internalNames = KeywordTable(["localhost", "localhost4", "localhost6", "ip6-localhost", "ipv6-localhost",
                                             "ip6-loopback", "ipv6-loopback", "ip6-localnet", "ip6-allnodes", "ip6-allrouters",
                                             "broadcasthost", "metadata", "metadata.google.internal", "metadata.packet.net",
                                             "metadata.azure.com", "instance-data", "kubernetes.default", "kubernetes",
                                             "localtest.me", "lvh.me", "vcap.me", "0", "127.1", "0.0.0.0"])
    /// Services that record the DNS lookups and requests a probe makes: a URL to one is an
    /// SSRF or blind-injection probe, never a link.
    static let interactionDomains = KeywordTable(["burpcollaborator.net", "oastify.com", "interact.sh", "interactsh.com",
                                                  "oast.fun", "oast.live", "oast.me", "oast.online", "oast.pro", "oast.site",
                                                  "dnslog.cn", "ceye.io", "requestbin.net", "canarytokens.com", "xss.ht"])
    /// Name suffixes that only resolve inside a host, a LAN or a cluster (RFC 6761, RFC 8375,
    /// mDNS, Kubernetes and container runtimes: `x.localhost`, `host.docker.internal`, `db.svc`).
    static let internalSuffixes = KeywordTable(["localhost", "localdomain", "localdomain4", "localdomain6", "local", "internal",
                                                "svc", "arpa", "lan", "intranet", "corp", "home"])
    /// The schemes an include or a server-side fetch follows; a value that is one of them
    /// followed by `?` to its end (`http?`, `file?`) probes the suffix-cut trick.
    static let fetchSchemes = KeywordTable(["file", "ftp", "ftps", "http", "https"])

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        if ctx.source != .path && ctx.source != .header {
            // A bare host where a URL is expected: `url=localhost4/`, `host=metadata.google.internal`,
            // `10.0.0.1/admin`, `//127.0.0.1/` (scheme-relative).
            let a = ByteClass.hasPrefix(s, at: 0, "//") ? 2 : 0
            var e = a
            while e < n && (ByteClass.isAlnum(s[e]) || s[e] == 0x2E || s[e] == 0x2D) { e += 1 }
            // `localhost` alone is also a setting a form may carry; with a path or port it is a target.
            if e > a + 1, e < n, s[e] == 0x2F || s[e] == 0x3A,
               isInternalName(s, a, e) || (isDottedIP(s, a, e, parts: 4) && isInternalIP(s, a, e)) {
                report.add(internalHost, s, 0..<min(n, e + 20))
            } else if e > 1, e == n, isInternalName(s, 0, e) {
                report.add(internalName, s, 0..<e)
            }
            // `\\host\share\x`: Windows opens it over SMB (and sends the server's credentials).
            if n > 4, s[0] == 0x5C, s[1] == 0x5C, ByteClass.isAlnum(s[2]) {
                var k = 3
                while k < n && (ByteClass.isAlnum(s[k]) || s[k] == 0x2E || s[k] == 0x2D) { k += 1 }
                if k < n, s[k] == 0x5C || s[k] == 0x2F { report.add(uncPath, s, 0..<min(n, k + 30)) }
            }
            // `file?`, `http?`: a fetch scheme then only question marks.
            if e > 2, e < n, s[e] == 0x3F, fetchSchemes.contains(s, 0, e), endsInQuestionMarks(s, e) {
                report.add(suffixCut, s, 0..<n)
            }
        }
        // Where the value starts, spaces and quotes aside: a URL there is the whole parameter.
        var lead = 0
        while lead < n && (ByteClass.isSpace(s[lead]) || s[lead] == 0x22 || s[lead] == 0x27) { lead += 1 }
        var i = 0
        while i < n {
            if s[i] == 0x3A { url(s, colon: i, lead: lead, ctx, &report) }
            i += 1
        }
    }

    private static func endsInQuestionMarks(_ s: UnsafeRawBufferPointer, _ from: Int) -> Bool {
        for k in from..<s.count where s[k] != 0x3F { return false }
        return true
    }

    /// Scans after each colon are bounded (an authority, a host, a path suffix): a value of
    /// `http:http:http:...` must stay linear.
    private static func url(_ s: UnsafeRawBufferPointer, colon: Int, lead: Int, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        var start = colon
        while start > 0 && (ByteClass.isAlnum(s[start - 1]) || s[start - 1] == 0x2B || s[start - 1] == 0x2D) { start -= 1 }
        guard colon > start, ByteClass.isAlpha(s[start]) else { return }
        let isValue = lead == start  // the URL is where the value starts
        let slashes = colon + 2 < n && s[colon + 1] == 0x2F && s[colon + 2] == 0x2F
        let isHTTP = (colon - start == 4 && ByteClass.hasPrefix(s, at: start, "http")) || (colon - start == 5 && ByteClass.hasPrefix(s, at: start, "https"))
        let isFTP = (colon - start == 3 && ByteClass.hasPrefix(s, at: start, "ftp")) || (colon - start == 4 && ByteClass.hasPrefix(s, at: start, "ftps"))
        if schemes.contains(s, start, colon) {
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
        // Apache mod_proxy's `unix:/path|http://backend/`: a socket path that picks the upstream.
        if colon - start == 4, ByteClass.hasPrefix(s, at: start, "unix"), let bar = firstPipe(s, after: colon), bar + 1 < n,
           ByteClass.isAlpha(s[bar + 1]) {
            report.add(scheme, s, start..<min(n, bar + 20))
            return
        }
        if isValue, colon - start == 4, ByteClass.hasPrefix(s, at: start, "data"), isIncludableData(s, colon + 1) {
            report.add(dataURL, s, start..<min(n, colon + 40))
            return
        }
        // Other schemes are judged by their host only when they name one (`imap://`, `rsync://[::1]`).
        guard isHTTP || isFTP || slashes else { return }
        // The authority: after `//` (or right after the colon: `http:127.0.0.1` is parsed by some libraries).
        var a = colon + 1
        while a < n && (s[a] == 0x2F || s[a] == 0x5C) && a < colon + 3 { a += 1 }
        var e = a
        var at = -1
        while e < n && e - a < 512 && s[e] != 0x2F && s[e] != 0x3F && s[e] != 0x23 && s[e] != 0x5C && !ByteClass.isSpace(s[e]) {
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
        } else if let second = secondAuthority(s, after: e) {
            // `http://a.com:80 &@b.com# @c.com/`: parsers split at the space, `&` or `#` differently.
            report.add(credentialsConfusion, s, start..<min(n, second + 30))
        }
        var hostEnd = a
        if hostEnd < n && s[hostEnd] == 0x5B {
            while hostEnd < n && hostEnd - a < 64 && s[hostEnd] != 0x5D { hostEnd += 1 }
            report.add(internalHost, s, start..<min(n, hostEnd + 1))  // IPv6 literal
            return
        }
        while hostEnd < e && s[hostEnd] != 0x3A { hostEnd += 1 }
        guard hostEnd > a else { return }
        // A link to `wiki.corp.local` in a note is prose; a value that is one is a target.
        if isInternalName(s, a, hostEnd, suffixes: isValue) || isObfuscatedIP(s, a, hostEnd) || embedsInternalIP(s, a, hostEnd) {
            report.add(internalHost, s, start..<min(n, hostEnd + 10))
        } else if isInteractionHost(s, a, hostEnd) {
            report.add(interactionHost, s, start..<min(n, hostEnd + 10))
        } else if isDottedIP(s, a, hostEnd) {
            // A public IP serving a script (`http://1.2.3.4/x.php`, `.txt?`) is how payloads are fetched.
            var pathEnd = hostEnd
            while pathEnd < n && pathEnd - hostEnd < 256 && !ByteClass.isSpace(s[pathEnd]) && s[pathEnd] != 0x3F { pathEnd += 1 }
            let path = UnsafeRawBufferPointer(rebasing: s[hostEnd..<pathEnd])
            let payload = ByteClass.find(path, ".php") != nil || ByteClass.find(path, ".txt") != nil || ByteClass.find(path, ".sh") != nil
                || ByteClass.find(path, ".pl") != nil || ByteClass.find(path, ".jsp") != nil || ByteClass.find(path, ".asp") != nil
            let rule = isInternalIP(s, a, hostEnd) || payload ? internalHost : isValue ? ipValue : ipURL
            report.add(rule, s, start..<min(n, hostEnd + 10))
        }
        guard isHTTP || isFTP else { return }
        // A parameter whose whole value is a URL to another site: what remote inclusion and
        // server-side fetches are given. Same host, its subdomains and its parent domain pass.
        if isValue, !ctx.host.isEmpty, ctx.source == .query || ctx.source == .body, !ctx.isRawBody {
            let port = hostEnd < e && s[hostEnd] == 0x3A
            if lookalike(s, a, hostEnd, ctx.host) || (port && sameSite(s, a, hostEnd, ctx.host)) {
                report.add(lookalikeHost, s, start..<min(n, e + 10))
            } else if !sameSite(s, a, hostEnd, ctx.host) {
                // Linking elsewhere is what `url=` and `next=` do; a file or include path cannot.
                report.add(isIncludeName(report.fieldName) ? includeParameter : offDomain, s, start..<min(n, e + 10))
            }
        }
        // An FTP URL as a whole parameter: something to fetch or include, not a page link (a
        // document's FTP link, a FHIR `link.url`, is data).
        if isValue, isFTP, slashes, !ctx.host.isEmpty {
            report.add(scheme, s, start..<min(n, e + 10))
        }
        // The value is the URL and ends right after `?` or `#`: the classic trick to neutralise
        // `.php` appended by an include (a URL ending a question in prose is not, nor a
        // document's link: a FHIR search URL may end in `?`).
        guard isValue else { return }
        var end = e
        while end < n && !ByteClass.isSpace(s[end]) { end += 1 }
        if end == n, ctx.source != .body || !ctx.host.isEmpty, end - 1 > a, s[end - 1] == 0x3F || s[end - 1] == 0x23 { report.add(suffixCut, s, start..<end) }
    }

    /// One of ``internalNames``, or (with `suffixes`) `x.localhost`, `db.svc`, `host.docker.internal`.
    private static func isInternalName(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int, suffixes: Bool = true) -> Bool {
        var end = e
        if end > a && s[end - 1] == 0x2E { end -= 1 }  // the root label's dot (`localhost.`)
        if internalNames.contains(s, a, end) { return true }
        guard suffixes else { return false }
        var dot = end - 1
        while dot > a && s[dot] != 0x2E { dot -= 1 }
        return dot > a && internalSuffixes.contains(s, dot + 1, end)
    }

    /// `127.0.0.1.nip.io`, `10.0.0.1-app.sslip.io`: wildcard DNS names that resolve to the
    /// internal address they start with.
    private static func embedsInternalIP(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var dots = 0, k = a
        while k < e && (ByteClass.isDigit(s[k]) || s[k] == 0x2E) {
            if s[k] == 0x2E {
                if dots == 3 { break }
                dots += 1
            }
            k += 1
        }
        guard dots == 3, k < e, s[k] == 0x2E || s[k] == 0x2D, ByteClass.isDigit(s[k - 1]) else { return false }
        return isInternalIP(s, a, k)
    }

    /// The host's last two labels name an interaction service.
    private static func isInteractionHost(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var dots = 0, k = e - 1
        while k > a {
            if s[k] == 0x2E {
                dots += 1
                if dots == 2 { break }
            }
            k -= 1
        }
        let start = dots == 2 ? k + 1 : a
        return interactionDomains.contains(s, start, e)
    }

    /// The `|` of `unix:/path|`, within a socket path's length.
    private static func firstPipe(_ s: UnsafeRawBufferPointer, after colon: Int) -> Int? {
        var k = colon + 1
        while k < s.count && k - colon < 128 && !ByteClass.isSpace(s[k]) {
            if s[k] == 0x7C { return k }
            k += 1
        }
        return nil
    }

    /// After `data:`: a text or application media type (or none, then `,`); raster images are
    /// what forms legitimately upload as data URLs.
    private static func isIncludableData(_ s: UnsafeRawBufferPointer, _ from: Int) -> Bool {
        var k = from
        while k < s.count && ByteClass.isSpace(s[k]) { k += 1 }
        if k < s.count && s[k] == 0x2C { return true }
        let typeStart = k
        while k < s.count && (ByteClass.isAlnum(s[k]) || s[k] == 0x2D || s[k] == 0x2E) { k += 1 }
        guard k > typeStart, k + 1 < s.count, s[k] == 0x2F, ByteClass.isAlpha(s[k + 1]) else { return false }
        if k - typeStart == 5, ByteClass.hasPrefix(s, at: typeStart, "image") {
            return ByteClass.find(UnsafeRawBufferPointer(rebasing: s[k..<min(s.count, k + 12)]), "svg") != nil
        }
        return true
    }

    /// An `@` after the authority that a lenient parser would read as the end of userinfo:
    /// right after `&` or `#` (spaces skipped), followed by a host.
    private static func secondAuthority(_ s: UnsafeRawBufferPointer, after e: Int) -> Int? {
        guard e < s.count, ByteClass.isSpace(s[e]) || s[e] == 0x23 || s[e] == 0x26 else { return nil }
        var k = e + 1
        while k + 1 < s.count && k - e < 100 {
            if s[k] == 0x40, ByteClass.isAlnum(s[k + 1]) {
                var b = k - 1
                while b > e && ByteClass.isSpace(s[b]) { b -= 1 }
                if s[b] == 0x26 || s[b] == 0x23 { return k }
            }
            k += 1
        }
        return nil
    }

    /// Words of parameter names that hold a local file, directory or module: a URL there is
    /// remote file inclusion (`_CONF[path]`, `include_file`, `templateDir`).
    static let includeWords = KeywordTable(["path", "file", "filename", "include", "inc", "require", "dir", "basedir",
                                            "directory", "folder", "template", "tpl", "module", "mod", "lib", "library",
                                            "root", "docroot", "conf", "config", "class", "theme", "skin", "plugin",
                                            "layout", "script", "src"])

    /// Any word of the field name (split at non-letters and lower-to-upper case changes) is an include word.
    private static func isIncludeName(_ name: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        for k in 0...name.count {
            let boundary = k == name.count || !ByteClass.isAlpha(name[k])
                || (k > start && name[k] &- 0x41 < 26 && name[k - 1] &- 0x61 < 26)
            guard boundary else { continue }
            if k > start, includeWords.contains(name, start, k) { return true }
            start = k < name.count && ByteClass.isAlpha(name[k]) ? k : k + 1
        }
        return false
    }

    /// `example.com.evil.com` and `evilexample.com` for `example.com`: names made to pass a
    /// prefix or suffix check of an allow list.
    private static func lookalike(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int, _ host: [UInt8]) -> Bool {
        host.withUnsafeBytes { h in
            let count = h.count
            guard count >= 4, e - a > count, ByteClass.contains(h, 0x2E) else { return false }
            var prefix = true, suffix = true
            for k in 0..<count {
                if ByteClass.lower(s[a + k]) != h[k] { prefix = false }
                if ByteClass.lower(s[e - count + k]) != h[k] { suffix = false }
            }
            return (prefix && s[a + count] == 0x2E) || (suffix && s[e - count - 1] != 0x2E)
        }
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
            if hex { return true }
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

    /// Digits and dots; `parts: 4` asks for the full dotted quad (a bare `0.5/1` is a fraction).
    private static func isDottedIP(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int, parts: Int? = nil) -> Bool {
        var dots = 0
        for k in a..<e {
            if s[k] == 0x2E { dots += 1 } else if !ByteClass.isDigit(s[k]) { return false }
        }
        if let parts { return dots == parts - 1 }
        return dots >= 1 && dots <= 3
    }

    /// 127/8, 10/8, 169.254/16, 172.16/12, 192.168/16, 0/8, and the short forms (127.1).
    private static func isInternalIP(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var first = 0, second = 0, k = a
        while k < e && s[k] != 0x2E {
            guard ByteClass.isDigit(s[k]) else { return false }
            first = first * 10 + Int(s[k] &- 0x30); k += 1; if first > 999 { return false }
        }
        k += 1
        while k < e && s[k] != 0x2E {
            guard ByteClass.isDigit(s[k]) else { return false }
            second = second * 10 + Int(s[k] &- 0x30); k += 1; if second > 999 { return false }
        }
        switch first {
        case 0, 10, 127: return true
        case 100: return (64...127).contains(second)  // carrier-grade NAT (Alibaba's metadata is 100.100.100.200)
        case 169: return second == 254
        case 172: return (16...31).contains(second)
        case 192: return second == 168 || second == 0  // 192.0.0.0/24 (Oracle Cloud's metadata is 192.0.0.192)
        default: return false
        }
    }
}
