/// Code injection into interpreters other than SQL and the shell: PHP (open tags, superglobals,
/// calls of dangerous functions, variable functions, serialized objects, stream wrappers),
/// server-side JavaScript (Node's process and child_process, prototype pollution, infinite
/// loops), template and expression languages (`{{7*7}}`, `${jndi:...}`), Python and Java.
enum CodeDetector {
    static let phpTag = Rule("code.php-tag", .code, .critical, "PHP open tag followed by code")
    static let phpVariable = Rule("code.php-superglobal", .code, .critical, "PHP superglobal ($_GET, $_SERVER, $GLOBALS)")
    static let phpFunction = Rule("code.php-function", .code, .critical, "call of a PHP function that runs code, commands or reads files")
    static let variableFunction = Rule("code.variable-function", .code, .critical, "call through a variable or string ($f(...), ('sys'.'tem')(...))")
    static let serialized = Rule("code.php-object", .code, .critical, "serialized PHP object (object injection)")
    static let wrapper = Rule("code.stream-wrapper", .code, .critical, "PHP stream wrapper (php://, phar://, expect://, zip://)")
    static let scriptUpload = Rule("code.script-upload", .code, .critical, "upload of a server-side script file (.php, .jsp, .asp)")
    static let node = Rule("code.node", .code, .critical, "server-side JavaScript (process, child_process, require)")
    static let prototype = Rule("code.prototype-pollution", .code, .critical, "prototype pollution (__proto__, constructor.prototype)")
    static let loop = Rule("code.js-loop", .code, .critical, "JavaScript endless loop (while(true), for(;;))")
    static let template = Rule("code.template", .code, .critical, "template or expression language injection ({{ }}, ${ }, #{ })")
    static let jndi = Rule("code.jndi", .code, .critical, "JNDI lookup (${jndi:...}, Log4Shell)")
    static let perl = Rule("code.perl", .code, .critical, "Perl code interpolated into a string (@{[ ... ]})")
    static let sessionFile = Rule("code.php-session-file", .code, .critical, "PHP session file name (sess_<id>) in an upload")
    static let python = Rule("code.python", .code, .critical, "Python code (__import__, os.system, __globals__)")
    static let java = Rule("code.java", .code, .critical, "Java runtime access (Runtime.getRuntime, ProcessBuilder)")
    static let phpIni = Rule("code.php-ini", .code, .critical, "PHP configuration directive set (allow_url_include=1, opcache.x=)")
    static let configUpload = Rule("code.config-upload", .code, .critical, "upload of a server or application configuration file (.htaccess, web.config)")

    /// 1: runs code, commands or touches files: a finding when called with an argument (or a
    /// long name); 2: other PHP built-ins (strip_tags, gethostbyname), a finding when the name
    /// touches its `(` or is long enough not to be a word; 3: the rest of PHP's function
    /// vocabulary (``phpVocabulary``), a finding when the name is an identifier no prose has
    /// (`array_diff (`, `tidy_parse_string()`) or is parted from its `(` by a line break or a
    /// comment (`pi\v()`); plain harmless calls (`filemtime($f)`) pass. A name that is not a
    /// PHP function (`sodium_add_to_recipe(`, `openlogfile(`) is not PHP.
    static let phpFunctions: KeywordTable = {
        var entries: [(String, UInt8)] = []
        for w in ("system exec shell_exec passthru popen proc_open pcntl_exec eval assert create_function call_user_func "
                  + "call_user_func_array preg_replace base64_decode gzinflate gzuncompress gzdecode str_rot13 convert_uudecode "
                  + "file_get_contents file_put_contents fopen fwrite fputs readfile file unlink rename copy mkdir rmdir chmod "
                  + "include include_once require require_once phpinfo unserialize serialize highlight_file show_source "
                  + "php_uname getenv putenv ini_set ini_get set_time_limit dl mail move_uploaded_file fsockopen pfsockopen "
                  + "curl_exec curl_init stream_socket_client array_map array_filter array_walk usort uasort uksort "
                  + "register_shutdown_function register_tick_function ob_start extract parse_str var_dump print_r var_export "
                  + "get_defined_vars get_defined_functions scandir glob opendir readdir posix_getpwuid posix_kill posix_setuid "
                  + "escapeshellcmd escapeshellarg symlink link chown chgrp touch tempnam tmpfile simplexml_load_string "
                  + "simplexml_load_file xml_parse ReflectionFunction invoke invokeargs zlib_decode fileowner filegroup fileperms fileinode "
                  // classes whose construction reads files, lists directories or reflects on code
                  + "SplFileObject SplFileInfo DirectoryIterator RecursiveDirectoryIterator FilesystemIterator GlobIterator "
                  + "ReflectionClass ReflectionMethod ReflectionObject SimpleXMLElement SoapClient ZipArchive PharData "
                  + "XSLTProcessor").split(separator: " ") {
            entries.append((String(w), 1))
        }
        for w in ("strip_tags gethostbyname gethostbynamel gethostbyaddr chr ord hex2bin bin2hex strrev str_replace "
                  + "substr strtolower strtoupper ucfirst implode explode join sprintf vsprintf printf "
                  + "htmlspecialchars_decode html_entity_decode urldecode rawurldecode stripslashes addslashes "
                  + "md5 sha1 crc32 hash crypt uniqid rand mt_rand random_bytes openssl_decrypt mcrypt_decrypt "
                  + "gzopen bzopen bzdecompress lzf_decompress json_decode json_encode is_callable "
                  + "function_exists method_exists class_exists get_class constant define defined compact "
                  + "array_merge in_array array_key_exists strlen count sizeof header setcookie session_start "
                  + "ob_get_contents ob_get_clean ob_end_clean debug_zval_dump zend_version phpversion php_sapi_name "
                  + "checkdate date strtotime mktime gmdate pack unpack readlink realpath").split(separator: " ") {
            entries.append((String(w), 2))
        }
        // Later duplicates are ignored: the curated tags above win.
        for w in phpVocabulary { entries.append((String(w), 3)) }
        return KeywordTable(entries)
    }()

    private static let superglobals = KeywordTable(["_get", "_post", "_request", "_cookie", "_server", "_files", "_env",
                                                    "_session", "globals", "http_raw_post_data", "http_get_vars",
                                                    "http_post_vars", "http_server_vars", "http_cookie_vars"])

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        guard n >= 3 else { return }
        var i = 0
        while i < n {
            let b = s[i]
            if i == 0 || s[i - 1] == 0x0A, ByteClass.isAlpha(b), let eq = iniAssignment(s, i) {
                report.add(phpIni, s, i..<min(n, eq + 30))
            }
            switch b {
            case 0x3C where i + 1 < n && s[i + 1] == 0x3F:  // <?
                openTag(s, i, &report)
            case 0x5B where bracketTag(s, i), 0x7B where bracketTag(s, i):  // [php] {php} [/php]: BBCode and Smarty PHP blocks
                report.add(phpTag, s, i..<min(n, i + 40))
            case 0x24:  // $
                dollar(s, i, &report)
            case 0x3C where i + 1 < n && s[i + 1] == 0x25:  // <% ERB, JSP, ASP
                if i + 2 < n, s[i + 2] == 0x3D || s[i + 2] == 0x20 || s[i + 2] == 0x40 || s[i + 2] == 0x21,
                   let close = ByteClass.find(UnsafeRawBufferPointer(rebasing: s[i..<min(n, i + 400)]), "%>"),
                   scriptletHoldsCode(s, i + 3, i + close) {
                    report.add(template, s, i..<min(n, i + 40))
                }
            case 0x23 where i + 1 < n && s[i + 1] == 0x7B:  // #{ } Ruby, Java EL
                templateExpression(s, open: i + 1, &report)
            case 0x3A where i + 2 < n && s[i + 1] == 0x2F && s[i + 2] == 0x2F:  // ://
                streamWrapper(s, colon: i, &report)
            case 0x28:  // ( : a call; what is called?
                call(s, paren: i, &report)
            case 0x5F where ByteClass.hasPrefix(s, at: i, "__proto__") || ByteClass.hasPrefix(s, at: i, "__import__")
                    || ByteClass.hasPrefix(s, at: i, "__globals__") || ByteClass.hasPrefix(s, at: i, "__builtins__")
                    || ByteClass.hasPrefix(s, at: i, "__class__") || ByteClass.hasPrefix(s, at: i, "__subclasses__")
                    || ByteClass.hasPrefix(s, at: i, "__mro__"):
                let rule = ByteClass.hasPrefix(s, at: i, "__proto__") ? prototype : python
                report.add(rule, s, i..<min(n, i + 40))
                i += 8
            case 0x7B where i + 1 < n && (s[i + 1] == 0x7B || s[i + 1] == 0x25):  // {{ {%
                templateExpression(s, open: i, &report)
            default:
                break
            }
            i += 1
        }
        serializedObject(s, &report)
        keywords(s, ctx, &report)
    }

    /// The body of `<% ... %>` is code: an operator, a call, a member access or a statement
    /// (two words, `if True`); a lone name (`<%=title%>`) is a placeholder.
    private static func scriptletHoldsCode(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var words = 0, inWord = false
        var k = a
        while k < e {
            let b = s[k]
            if b == 0x28 || b == 0x2A || b == 0x2B || b == 0x5B || b == 0x7C || b == 0x3D || b == 0x2E || b == 0x27 || b == 0x22 { return true }
            if ByteClass.isWord(b) { if !inWord { words += 1 }; inWord = true } else { inWord = false }
            k += 1
        }
        return words >= 2
    }

    /// `$_GET`, `$GLOBALS[`, `${jndi:`, `${7*7}`, `$x(` and `$x //comment\n (`.
    private static func dollar(_ s: UnsafeRawBufferPointer, _ i: Int, _ report: inout Report) {
        let n = s.count
        var k = i + 1
        while k < n && (ByteClass.isWord(s[k])) { k += 1 }
        if k > i + 1 {
            if superglobals.contains(s, i + 1, k) { report.add(phpVariable, s, i..<min(n, k + 20)); return }
            // A variable that is called: skip spaces and comments between the name and `(`.
            var j = k
            while j < n {
                if ByteClass.isSpace(s[j]) { j += 1 }
                else if s[j] == 0x2F, j + 1 < n, s[j + 1] == 0x2F || s[j + 1] == 0x2A {
                    let block = s[j + 1] == 0x2A
                    j += 2
                    while j < n && (block ? !(s[j] == 0x2F && s[j - 1] == 0x2A) : s[j] != 0x0A) { j += 1 }
                    j += 1
                } else if s[j] == 0x23 {
                    while j < n && s[j] != 0x0A { j += 1 }
                } else { break }
            }
            if j < n, s[j] == 0x28, ByteClass.isAlpha(s[i + 1]) || s[i + 1] == 0x5F {
                report.add(variableFunction, s, i..<min(n, j + 20))
            }
            return
        }
        if k < n, s[k] == 0x20 || s[k] == 0x09 {
            var m = k
            while m < n && (s[m] == 0x20 || s[m] == 0x09) { m += 1 }
            if m < n, s[m] == 0x7B { report.add(variableFunction, s, i..<min(n, m + 20)); return }
        }
        guard k < n, s[k] == 0x7B else { return }
        if ByteClass.hasPrefix(s, at: k + 1, "jndi:") || ByteClass.hasPrefix(s, at: k + 1, "env:")
            || ByteClass.hasPrefix(s, at: k + 1, "lower:") || ByteClass.hasPrefix(s, at: k + 1, "upper:")
            || ByteClass.hasPrefix(s, at: k + 1, "::-") {
            report.add(jndi, s, i..<min(n, i + 40))
        } else if k + 2 < n, s[k + 1] == 0x27 || s[k + 1] == 0x22 {
            // `${'_GET'}`: a superglobal named by a string.
            var e = k + 2
            while e < n && ByteClass.isWord(s[e]) { e += 1 }
            if e < n, s[e] == s[k + 1], superglobals.contains(s, k + 2, e) { report.add(phpVariable, s, i..<min(n, e + 20)) }
        } else {
            templateExpression(s, open: k, &report)
        }
    }

    /// `{{ 7*7 }}`, `${ T(java.lang.Runtime) }`, `{% ... %}`: an expression with an operator,
    /// a call or a member access inside template delimiters.
    private static func templateExpression(_ s: UnsafeRawBufferPointer, open: Int, _ report: inout Report) {
        let n = s.count
        if open + 1 < n, s[open + 1] == 0x25, ByteClass.find(UnsafeRawBufferPointer(rebasing: s[open..<min(n, open + 400)]), "%}") != nil {
            report.add(template, s, open..<min(n, open + 40))  // {% statement %}: Jinja, Twig, Liquid
            return
        }
        var k = open + 1
        if k < n && (s[k] == 0x7B || s[k] == 0x25) { k += 1 }
        let bodyStart = k
        var code = false
        while k < n && s[k] != 0x7D && k - bodyStart < 200 {
            let b = s[k]
            if b == 0x28 || b == 0x2A || b == 0x2B || b == 0x5B || b == 0x7C || b == 0x3D { code = true }
            if b == 0x2E, k + 1 < n, ByteClass.isAlpha(s[k + 1]), k > bodyStart, ByteClass.isWord(s[k - 1]) { code = true }
            k += 1
        }
        guard k < n, code else { return }
        report.add(template, s, open..<min(n, k + 1))
    }

    /// `name(`: PHP functions, Node/Java/Python entry points, string-called functions.
    private static func call(_ s: UnsafeRawBufferPointer, paren: Int, _ report: inout Report) {
        let n = s.count
        var end = paren
        while end > 0 && ByteClass.isSpace(s[end - 1]) { end -= 1 }
        // Comments between the name and `(`: `exec /*x*/ (`, `symlink//c\n(`, `serialize#c\n(`.
        // At most three: this runs at every `(`, and `// (\n` repeated must not walk back over
        // all the lines before it each time.
        var comments = 0
        while end > 1 && comments < 3 {
            comments += 1
            if s[end - 1] == 0x2F && s[end - 2] == 0x2A, let open = lastIndex(s, "/*", before: end - 2) {
                end = open
            } else if let slash = lineCommentStart(s, before: end) {
                end = slash
            } else {
                break
            }
            while end > 0 && ByteClass.isSpace(s[end - 1]) { end -= 1 }
        }
        // ("system")( or ('sys'.'tem')( or [system][0]( or $__[_]( or ${...}( : an expression called as a function.
        // A quoted word before a parenthesis is prose (`"Grahame" (id: ...)`) unless they touch
        // or the string is being concatenated (`"sys"."tem" (`).
        let quoted = end > 0 && (s[end - 1] == 0x22 || s[end - 1] == 0x27)
        if end > 0, s[end - 1] == 0x29 || s[end - 1] == 0x5D || s[end - 1] == 0x7D || (quoted && (end == paren || concatenated(s, end))) {
            if !markdownLink(s, end, paren), calleeLooksLikeCode(s, end) {
                report.add(variableFunction, s, max(0, end - 20)..<min(n, paren + 20))
            }
            return
        }
        var start = end
        while start > 0 && (ByteClass.isWord(s[start - 1])) { start -= 1 }
        guard end > start else { return }
        // A line break, vertical tab or comment between a name and its `(` is never prose
        // (`FILE\r\n()`, `pi\v()`, `serialize#c\n()`): it is there to dodge a filter.
        var hidden = false
        for k in end..<paren where s[k] != 0x20 { hidden = true; break }
        // A name qualified by `->`, `::` or `.` is a method: only the code-running ones count.
        let before = start > 0 ? s[start - 1] : 0
        let method = before == 0x2E || before == 0x3E || (before == 0x3A && start > 1 && s[start - 2] == 0x3A) || before == 0x24
        var known = phpFunctions.lookup(s, start, end)
        if known == nil, end - start > 8 {
            // `FOOgzinflate(`: a long code-running name glued to the end of an identifier.
            var k = max(start + 1, end - 63)  // no PHP name is longer
            while k + 8 <= end && known == nil {
                if phpFunctions.lookup(s, k, end) == 1 { known = 1 }
                k += 1
            }
        }
        // `count(s)`, `file(s)`: the plural notation of prose.
        let plural = ByteClass.hasPrefix(s, at: paren + 1, "s)") || ByteClass.hasPrefix(s, at: paren + 1, "es)")
        if let kind = known, !method, !plural {
            // `file(` and `copy(` are words too: count them only when called with a literal or variable.
            let argument = argumentStart(s, paren)
            let touching = end == paren
            // `the file (report.pdf)`, `the system (v2)`: a word, one space, then a parenthesised
            // aside is prose; `fopen  (blah)`, `exec\t(x)`, `system ('id')`, `glob (id,id)` are calls.
            let aside = paren == end + 1 && s[end] == 0x20 && !underscored(s, start, end) && parentheticalProse(s, paren)
            switch kind {
            case 1 where (argument != 0 && !aside) || (end - start >= 5 && !aside) || hidden,
                 2 where touching || (end - start >= 6 && !aside) || hidden,
                 3 where hidden || underscored(s, start, end):
                report.add(phpFunction, s, start..<min(n, paren + 40))
            default:
                break
            }
        }
        let name = UnsafeRawBufferPointer(rebasing: s[start..<end])
        // `console.log(...)`: a method of Node's console called with something.
        if start >= 8, ByteClass.hasPrefix(s, at: start - 8, "console."), argumentStart(s, paren) != 0 {
            report.add(node, s, (start - 8)..<min(n, paren + 30))
        }
        if (name.count == 7 && ByteClass.hasPrefix(name, at: 0, "require")) && argumentStart(s, paren) != 0 {
            report.add(node, s, start..<min(n, paren + 40))
        }
        if name.count == 5 && ByteClass.hasPrefix(name, at: 0, "while") || name.count == 3 && ByteClass.hasPrefix(name, at: 0, "for") {
            loopCondition(s, paren: paren, &report)
        }
        if (name.count == 10 && ByteClass.hasPrefix(name, at: 0, "getruntime")) || (name.count == 7 && ByteClass.hasPrefix(name, at: 0, "forname")) {
            report.add(java, s, start..<min(n, paren + 40))
        }
    }

    /// Is what precedes the `(` at `end` a callable expression: a chain of `(...)`, `[...]` and
    /// `{...}` groups (`[system][0](`, `(['sys'.'tem'])[0](`, `$__[_](`) holding a string, a
    /// variable, a concatenation or a PHP function name, or a string being concatenated?
    private static func calleeLooksLikeCode(_ s: UnsafeRawBufferPointer, _ end: Int) -> Bool {
        var k = end
        var groups = 0
        while k > 0 && groups < 6 {
            let close = s[k - 1]
            let open: UInt8
            switch close {
            case 0x29: open = 0x28
            case 0x5D: open = 0x5B
            case 0x7D: open = 0x7B
            case 0x22, 0x27: return true  // a string called (adjacency was checked by the caller)
            default:
                // The chain starts at a variable: `$x[0](`, `$__[_](`.
                var v = k - 1
                while v > 0 && ByteClass.isWord(s[v]) { v -= 1 }
                return groups > 0 && s[v] == 0x24
            }
            var depth = 0
            var g = k - 1
            while g >= 0 && k - g < 160 {
                if s[g] == close { depth += 1 }
                if s[g] == open { depth -= 1; if depth == 0 { break } }
                g -= 1
            }
            // An empty group (`${}()`) holds nothing to call.
            guard g >= 0, depth == 0, k - 1 > g + 1 else { return false }
            if groupHoldsCode(s, g + 1, k - 1) { return true }
            k = g
            while k > 0 && ByteClass.isSpace(s[k - 1]) { k -= 1 }
            // `$x[@5]/*wat*/[@d] (`: a comment between the links of the chain.
            if k > 1, s[k - 1] == 0x2F, s[k - 2] == 0x2A, let open = lastIndex(s, "/*", before: k - 2) {
                k = open
                while k > 0 && ByteClass.isSpace(s[k - 1]) { k -= 1 }
            }
            groups += 1
        }
        return false
    }

    /// The parenthesis at `paren` opens words, not arguments: a letter or digit first, no nested call,
    /// variable, string or statement, commas only before a space (`(see fig. 2, left)`).
    private static func parentheticalProse(_ s: UnsafeRawBufferPointer, _ paren: Int) -> Bool {
        guard paren + 1 < s.count, ByteClass.isAlnum(s[paren + 1]) else { return false }
        var k = paren + 1
        while k < s.count && s[k] != 0x29 && k - paren < 80 {
            switch s[k] {
            case 0x28, 0x24, 0x27, 0x22, 0x3B, 0x60: return false
            case 0x2C where k + 1 < s.count && s[k + 1] != 0x20: return false
            default: k += 1
            }
        }
        return true
    }

    /// `[text](https://...)`, `[file](/docs/x)`: a Markdown link, a bracket group then a URL or path.
    private static func markdownLink(_ s: UnsafeRawBufferPointer, _ end: Int, _ paren: Int) -> Bool {
        guard s[end - 1] == 0x5D, end == paren, paren + 1 < s.count else { return false }
        let c = s[paren + 1]
        return c == 0x2F || c == 0x23 || c == 0x2E || ByteClass.hasPrefix(s, at: paren + 1, "http") || ByteClass.hasPrefix(s, at: paren + 1, "mailto:")
    }

    /// The string ending at `end` follows a `.`: `"sys"."t"."em"`.
    private static func concatenated(_ s: UnsafeRawBufferPointer, _ end: Int) -> Bool {
        let quote = s[end - 1]
        var k = end - 2
        while k >= 0 && s[k] != quote && end - k < 80 { k -= 1 }
        k -= 1
        while k >= 0 && ByteClass.isSpace(s[k]) { k -= 1 }
        return k >= 0 && s[k] == 0x2E
    }

    /// A string, a variable, a string concatenation or a PHP function name inside `s[a..<e]`;
    /// or bare words joined by `.` without a space (`sy.(st).em`: PHP once read an undefined
    /// constant as its own name, so that concatenation spells `system`).
    private static func groupHoldsCode(_ s: UnsafeRawBufferPointer, _ a: Int, _ e: Int) -> Bool {
        var i = a
        var joins = 0, other = false
        var words = 0, function = false
        while i < e {
            let b = s[i]
            if b == 0x24 || b == 0x22 || b == 0x27 { return true }
            if b == 0x2F, i + 1 < e, s[i + 1] == 0x2A {  // a comment is not a word of the group
                i = ByteClass.blockCommentEnd(s, from: i + 2, end: e)
                continue
            }
            if ByteClass.isAlpha(b) || b == 0x5F {
                let w = i
                while i < e && ByteClass.isWord(s[i]) { i += 1 }
                words += 1
                // `[system][0](`, `(exec('x'))(`: the name alone or called; `[a link]` is prose.
                if phpFunctions.lookup(s, w, i) == 1 {
                    if i < e && s[i] == 0x28 { return true }
                    function = true
                }
                continue
            }
            if b == 0x2E {
                // `.` between operands (a name or a group on each side), never `e.g.)` or `1.2`.
                let left = i > a && ((ByteClass.isWord(s[i - 1]) && !ByteClass.isDigit(s[i - 1])) || s[i - 1] == 0x29)
                let right = i + 1 < e && (ByteClass.isAlpha(s[i + 1]) || s[i + 1] == 0x5F || s[i + 1] == 0x28)
                if left && right { joins += 1 } else { other = true }
            } else if b != 0x28 && b != 0x29 && !ByteClass.isWord(b) {
                other = true
            }
            i += 1
        }
        return (function && words == 1) || (joins > 0 && !other)
    }

    private static func lastIndex(_ s: UnsafeRawBufferPointer, _ pair: StaticString, before end: Int) -> Int? {
        var k = end - 2
        let p = pair.utf8Start
        while k >= 0 && end - k < 200 {
            if s[k] == p[0] && s[k + 1] == p[1] { return k }
            k -= 1
        }
        return nil
    }

    /// The `//` that starts a line comment ending at `end` (its line holds nothing after it):
    /// `exec //comment` + newline + `(`.
    private static func lineCommentStart(_ s: UnsafeRawBufferPointer, before end: Int) -> Int? {
        guard end < s.count, ByteClass.isSpace(s[end]) else { return nil }
        var k = end - 1
        while k > 0 && s[k] != 0x0A && end - k < 200 {
            if s[k] == 0x2F && s[k - 1] == 0x2F && (k < 2 || s[k - 2] != 0x3A) { return k - 1 }
            // PHP's `#` comment, right after a name (`serialize#c`): `#` inside prose follows a space.
            if s[k] == 0x23 && ByteClass.isWord(s[k - 1]) { return k }
            k -= 1
        }
        return nil
    }

    /// 0: `)` or nothing; 1: a literal, variable or expression.
    private static func argumentStart(_ s: UnsafeRawBufferPointer, _ paren: Int) -> Int {
        var k = paren + 1
        while k < s.count && ByteClass.isSpace(s[k]) { k += 1 }
        guard k < s.count else { return 0 }
        return s[k] == 0x29 ? 0 : 1
    }

    private static let loopLiterals = KeywordTable(["true", "false", "null", "infinity", "undefined", "nan"])

    /// `while(true)`, `while(!null)`, `while(1)`, `for(;;)`: conditions that never end.
    private static func loopCondition(_ s: UnsafeRawBufferPointer, paren: Int, _ report: inout Report) {
        let n = s.count
        var k = paren + 1
        var constant = true
        var sawValue = false
        while k < n && s[k] != 0x29 && k - paren < 40 {
            let b = s[k]
            if ByteClass.isAlpha(b) {
                let w = k
                while k < n && ByteClass.isWord(s[k]) { k += 1 }
                if !loopLiterals.contains(s, w, k) { constant = false }
                sawValue = true
                continue
            }
            if ByteClass.isDigit(b) || b == 0x22 || b == 0x27 || b == 0x5B || b == 0x7B { sawValue = true }
            k += 1
        }
        guard k < n, s[k] == 0x29, constant else { return }
        let forever = sawValue || (k - paren == 3 && s[paren + 1] == 0x3B && s[paren + 2] == 0x3B)
        if forever { report.add(loop, s, max(0, paren - 5)..<min(n, k + 1)) }
    }

    /// Names that are code wherever they appear: Node's process internals, Java's runtime,
    /// Python's os module. Each needle is keyed by its first word (see ``keywords(_:_:_:)``).
    private static let needles: [(text: StaticString, rule: Rule)] = [
        ("child_process", node), ("process.mainmodule", node), ("process.binding", node), ("process.env", node),
        ("process.kill", node), ("process.exit", node), ("process[", node), ("process.spawn", node), ("global.process", node),
        ("require('", node), ("require[", node), ("console[", node), ("module.constructor", node),
        ("_$$nd_func$$_", node),
        ("java.lang.runtime", java), ("java.lang.process", java), ("javax.script", java), ("processbuilder", java),
        ("os.system", python), ("os.popen", python), ("subprocess.", python), ("eval(compile(", python),
    ]
    /// First word of each needle -> the needles starting with it (indexes, +1 so 0 means none).
    private static let needleWords: KeywordTable = {
        var entries: [(String, UInt8)] = []
        for (index, needle) in needles.enumerated() {
            let text = needle.text.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
            let word = String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" })
            if !entries.contains(where: { $0.0 == word }) { entries.append((word, UInt8(index + 1))) }
        }
        return KeywordTable(entries)
    }()

    /// One pass over the words of the value; a word that starts a needle is checked in place.
    private static func keywords(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        var i = 0
        while i < n {
            guard ByteClass.isWord(s[i]) || s[i] == 0x24 else { i += 1; continue }
            let start = i
            while i < n && (ByteClass.isWord(s[i]) || s[i] == 0x24) { i += 1 }
            if includeWords.contains(s, start, i), includeStatement(s, i) {
                report.add(phpFunction, s, start..<min(n, i + 40))
                continue
            }
            guard needleWords.contains(s, start, i) else { continue }
            for needle in needles where ByteClass.hasPrefix(s, at: start, needle.text) {
                report.add(needle.rule, s, start..<min(n, start + 40))
            }
        }
    }
}
