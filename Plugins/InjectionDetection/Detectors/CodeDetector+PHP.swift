/// PHP syntax beyond calls: open tags, php.ini directives, include statements, stream wrappers,
/// serialized objects, and the upload names a PHP server would run or be reconfigured by.
extension CodeDetector {
    /// php.ini directives outside a section (`allow_url_include`, `auto_prepend_file`) and the
    /// sections whose `section.key` names are directives (`opcache.jit`, `session.save_path`):
    /// `name=value` as a value or a line is what `ini_set`, `.user.ini` and `-d` take.
    static let iniDirectives = KeywordTable([
        "allow_url_fopen", "allow_url_include", "auto_prepend_file", "auto_append_file", "auto_detect_line_endings",
        "auto_globals_jit", "disable_functions", "disable_classes", "open_basedir", "extension_dir", "extension",
        "zend_extension", "include_path", "precision", "serialize_precision", "memory_limit", "max_execution_time",
        "max_input_time", "max_input_vars", "max_input_nesting_level", "display_errors", "display_startup_errors",
        "error_reporting", "log_errors", "error_log", "html_errors", "file_uploads", "upload_tmp_dir",
        "upload_max_filesize", "max_file_uploads", "post_max_size", "short_open_tag", "register_globals", "safe_mode",
        "magic_quotes_gpc", "sendmail_path", "sendmail_from", "doc_root", "user_dir", "expose_php", "enable_dl",
        "output_buffering", "output_handler", "implicit_flush", "variables_order", "request_order", "default_charset",
        "default_mimetype", "internal_encoding", "input_encoding", "output_encoding", "sys_temp_dir",
        "realpath_cache_size", "realpath_cache_ttl", "ignore_user_abort", "unserialize_callback_func", "user_agent",
        "default_socket_timeout", "register_argc_argv", "enable_post_data_reading", "track_errors", "xmlrpc_errors",
        "report_memleaks", "ignore_repeated_errors", "hard_timeout", "user_ini.filename", "arg_separator.input",
        "arg_separator.output", "error_prepend_string", "error_append_string", "docref_root", "mail.add_x_header",
        "allow_call_time_pass_reference", "asp_tags", "zend.enable_gc", "cgi.force_redirect", "fastcgi.impersonate",
    ])
    static let iniSections = KeywordTable([
        "opcache", "session", "mbstring", "pcre", "zend", "mysqli", "mysqlnd", "pdo_mysql", "pdo_odbc", "xdebug", "apc",
        "apcu", "assert", "date", "highlight", "sqlite3", "soap", "phar", "iconv", "intl", "exif", "cgi",
        "fastcgi", "url_rewriter", "user_ini", "zlib", "bcmath", "ldap", "odbc", "pgsql", "mysql", "oci8", "curl",
        "openssl", "ffi", "sendmail", "syslog", "dba", "imap", "ibase", "sybct", "mssql", "tidy", "uopz",
        "xmlrpc", "yaml", "runkit", "suhosin", "browscap", "cli_server", "memcache", "memcached", "redis", "xhprof",
    ])

    /// `s[i...]` sets a php.ini directive: `name=value` or `section.key=value`.
    static func iniAssignment(_ s: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        let n = s.count
        var k = i
        var dot = -1
        while k < n && k - i < 48 && (ByteClass.isWord(s[k]) || s[k] == 0x2E) {
            if s[k] == 0x2E && dot < 0 { dot = k }
            k += 1
        }
        let nameEnd = k
        while k < n && (s[k] == 0x20 || s[k] == 0x09) { k += 1 }
        guard nameEnd - i >= 3, k < n, s[k] == 0x3D else { return nil }
        if iniDirectives.contains(s, i, nameEnd) { return k }
        guard dot > i, dot + 1 < nameEnd, ByteClass.isAlpha(s[dot + 1]), iniSections.contains(s, i, dot) else { return nil }
        return k
    }

    /// `s[a..<e]` holds an `_` between letters (`array_diff`, not `_x`).
    static func underscored(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var k = a + 1
        while k + 1 < e { if s[k] == 0x5F { return true }; k += 1 }
        return false
    }

    /// `<?php code`, `<?= expr`, `<? code`; and `<?xml` that is no XML declaration (`<?xml :echo 1;`
    /// runs as PHP where short open tags are on). Other processing instructions (`<?xpacket`,
    /// `<?xml-stylesheet`) pass.
    static func openTag(_ s: UnsafeRawBufferPointer, _ i: Int, _ report: inout Report) {
        let n = s.count
        var k = i + 2
        if k < n && s[k] == 0x3D {
            // `<?=` is PHP's echo tag: whatever follows is an expression.
            k += 1
            while k < n && ByteClass.isSpace(s[k]) { k += 1 }
            if k < n, s[k] != 0x3F { report.add(phpTag, s, i..<min(n, k + 40)) }
            return
        }
        if ByteClass.hasPrefix(s, at: k, "xml"), k + 3 >= n || !(ByteClass.isWord(s[k + 3]) || s[k + 3] == 0x2D || s[k + 3] == 0x2E) {
            k += 3
            if ByteClass.hasPrefix(s, at: k, ":namespace") { return }  // Word's `<?xml:namespace prefix=o ... />`
            while k < n && ByteClass.isSpace(s[k]) { k += 1 }
            if k >= n || s[k] == 0x3F || ByteClass.hasPrefix(s, at: k, "version") || ByteClass.hasPrefix(s, at: k, "encoding")
                || ByteClass.hasPrefix(s, at: k, "standalone") { return }
            // Not a declaration: PHP when statements follow.
            var e = k
            while e < n && e - k < 80 && s[e] != 0x3E {
                if s[e] == 0x3B || s[e] == 0x28 || s[e] == 0x24 || s[e] == 0x60 { report.add(phpTag, s, i..<min(n, e + 20)); return }
                e += 1
            }
            return
        }
        if ByteClass.hasPrefix(s, at: k, "php") { k += 3 } else if k < n && !ByteClass.isSpace(s[k]) { return }
        while k < n && ByteClass.isSpace(s[k]) { k += 1 }
        if k < n, s[k] == 0x24 || ByteClass.isAlpha(s[k]) || s[k] == 0x40 || s[k] == 0x60 || s[k] == 0x28 {
            report.add(phpTag, s, i..<min(n, k + 40))
        }
    }

    /// `[php]`, `[/php]`, `[\php]`, `{php}`, `{/php}` at `i`: the PHP blocks of BBCode and Smarty.
    static func bracketTag(_ s: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        let close: UInt8 = s[i] == 0x5B ? 0x5D : 0x7D
        var k = i + 1
        if k < s.count && (s[k] == 0x2F || s[k] == 0x5C) { k += 1 }
        return ByteClass.hasPrefix(s, at: k, "php") && k + 3 < s.count && s[k + 3] == close
    }

    /// `php://`, `phar://`, `expect://`, `zip://`, `glob://`, `data://`, `ssh2.exec://`.
    static func streamWrapper(_ s: UnsafeRawBufferPointer, colon: Int, _ report: inout Report) {
        var start = colon
        while start > 0 && (ByteClass.isAlnum(s[start - 1]) || s[start - 1] == 0x2E) { start -= 1 }
        let scheme = UnsafeRawBufferPointer(rebasing: s[start..<colon])
        if scheme.count == 4, ByteClass.hasPrefix(scheme, at: 0, "data") {
            // `data://` includes its payload: code only when that payload is PHP.
            if dataHoldsCode(s, colon + 3) { report.add(wrapper, s, start..<min(s.count, colon + 40)) }
            return
        }
        for name: StaticString in ["php", "phar", "expect", "zip", "glob", "zlib", "compress.zlib", "compress.bzip2",
                                   "ssh2.exec", "ssh2.shell", "ssh2.tunnel", "ssh2.scp", "ssh2.sftp", "rar", "ogg"]
        where scheme.count == name.utf8CodeUnitCount && ByteClass.hasPrefix(scheme, at: 0, name) {
            report.add(wrapper, s, start..<min(s.count, colon + 40))
            return
        }
    }

    /// The payload of a `data:` URL starting at `from` (after `data://`) opens PHP (`<?`),
    /// as written or base64-encoded; only its first 48 encoded bytes are decoded.
    static func dataHoldsCode(_ s: UnsafeRawBufferPointer, _ from: Int) -> Bool {
        var comma = from
        while comma < s.count && s[comma] != 0x2C && comma - from < 100 { comma += 1 }
        guard comma < s.count, s[comma] == 0x2C else { return false }
        let header = UnsafeRawBufferPointer(rebasing: s[from..<comma])
        guard ByteClass.find(header, ";base64") != nil else {
            return ByteClass.find(UnsafeRawBufferPointer(rebasing: s[comma..<min(s.count, comma + 200)]), "<?") != nil
        }
        var bits: UInt32 = 0, count = 0
        var previous: UInt8 = 0
        var k = comma + 1
        while k < s.count && k - comma <= 48 {
            let c = s[k]
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2B, 0x2D: v = 62
            case 0x2F, 0x5F: v = 63
            default: return false
            }
            bits = bits << 6 | v
            count += 6
            if count >= 8 {
                count -= 8
                let byte = UInt8((bits >> UInt32(count)) & 0xFF)
                if previous == 0x3C && byte == 0x3F { return true }
                previous = byte
            }
            k += 1
        }
        return false
    }

    /// `O:8:"stdClass":1:{`, `a:2:{i:0;`, `C:11:"ArrayObject":`.
    static func serializedObject(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        let n = s.count
        var i = 0
        while i + 4 < n {
            let b = s[i]
            // `O:+8:` is read as `O:8:` by unserialize, a way past filters that expect a digit.
            let sign = s[i + 2] == 0x2B ? 1 : 0
            if (b == 0x4F || b == 0x43 || b == 0x61) && s[i + 1] == 0x3A && i + 2 + sign < n && ByteClass.isDigit(s[i + 2 + sign]) {
                var k = i + 2 + sign
                while k < n && ByteClass.isDigit(s[k]) { k += 1 }
                if k + 1 < n, s[k] == 0x3A, s[k + 1] == 0x22 || (b == 0x61 && s[k + 1] == 0x7B) {
                    report.add(serialized, s, i..<min(n, i + 40))
                    return
                }
            }
            i += 1
        }
    }

    static let includeWords = KeywordTable(["include", "include_once", "require", "require_once"])

    /// `include 'x.php';`, `require_once $f;`: PHP's include statements take no parentheses.
    /// What follows is a quoted file name or URL (a `.` or `/` inside) or a variable, then `;`
    /// or the end; `include "extras"` in prose has neither.
    static func includeStatement(_ s: UnsafeRawBufferPointer, _ end: Int) -> Bool {
        let n = s.count
        var k = end
        while k < n && (s[k] == 0x20 || s[k] == 0x09) { k += 1 }
        guard k > end, k < n else { return false }
        if s[k] == 0x24 {
            k += 1
            while k < n && ByteClass.isWord(s[k]) { k += 1 }
        } else if s[k] == 0x22 || s[k] == 0x27 {
            let quote = s[k]
            var file = false
            k += 1
            while k < n && s[k] != quote && k - end < 200 {
                if s[k] == 0x2E || s[k] == 0x2F { file = true }
                k += 1
            }
            guard file, k < n else { return false }
            k += 1
        } else {
            return false
        }
        while k < n && (s[k] == 0x20 || s[k] == 0x09) { k += 1 }
        return k == n || s[k] == 0x3B || s[k] == 0x3F
    }

    /// `php`, `php5`, `php907`, `phtml`, `phar`, `phpt`...: the extensions a server maps to PHP
    /// (`phtml987` is none of them).
    static func phpExtension(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        if ByteClass.hasPrefix(s, at: a, "php") {
            var k = a + 3
            while k < e && ByteClass.isDigit(s[k]) { k += 1 }
            if k == e { return true }
        }
        return phpExtensions.contains(s, a, e)
    }

    static let phpExtensions = KeywordTable(["phtml", "pht", "phtm", "phar", "phpt", "phps", "pgif"])

    /// Files that reconfigure the web server, the PHP runtime or the application when written
    /// where they are read (an upload directory, the document root).
    static let configFiles = KeywordTable([
        ".htaccess", ".htpasswd", ".htdigest", "web.config", ".user.ini", "php.ini", "php5.ini", "config.yml",
        "config.yaml", "config.php", "config.inc.php", "configuration.php", "settings.php", "localsettings.php",
        "local.xml", "env.php", "app.config", "appsettings.json", "application.yml", "application.properties",
        "parameters.yml", "database.yml", "secrets.yml", "credentials.yml", ".env", ".bashrc", ".bash_profile",
        ".profile", "authorized_keys", "httpd.conf", "nginx.conf", ".gitconfig",
    ])

    /// A file name that the web server would execute, uploaded or named in an upload header:
    /// any extension of the PHP family anywhere (`x.php.png` runs on a misconfigured Apache;
    /// spaces and trailing dots are dropped as Windows and some servers do), the other server
    /// script types as the last extension; and PHP session file names.
    static func scriptFileName(_ s: UnsafeRawBufferPointer, _ report: inout Report) {
        var base = 0
        for k in 0..<s.count where s[k] == 0x2F || s[k] == 0x5C { base = k + 1 }
        var end = s.count
        while end > base && (s[end - 1] == 0x20 || s[end - 1] == 0x2E) { end -= 1 }  // `config.yml `: Windows drops these
        if configFiles.contains(s, base, end) || ByteClass.hasPrefix(s, at: base, "wp-config") {
            report.add(configUpload, s, base..<s.count)
            return
        }
        if s.count - base >= 20, ByteClass.hasPrefix(s, at: base, "sess_") { report.add(sessionFile, s, base..<s.count); return }
        var k = base
        var lastExtension: Range<Int>? = nil
        while k < s.count {
            guard s[k] == 0x2E else { k += 1; continue }
            var a = k + 1
            while a < s.count && s[a] == 0x20 { a += 1 }
            var e = a
            while e < s.count && ByteClass.isAlnum(s[e]) { e += 1 }
            if e > a {
                if phpExtension(s, a, e) {
                    report.add(scriptUpload, s, base..<s.count)
                    return
                }
                lastExtension = a..<e
            }
            k = max(e, k + 1)
        }
        guard let ext = lastExtension else { return }
        for name: StaticString in ["jsp", "jspx", "asp", "aspx", "ashx", "asmx", "cer", "shtml", "cgi", "pl"]
        where ext.count == name.utf8CodeUnitCount && ByteClass.hasPrefix(s, at: ext.lowerBound, name) {
            report.add(scriptUpload, s, base..<s.count)
            return
        }
    }
}
