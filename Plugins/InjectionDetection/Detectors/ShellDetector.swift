/// OS command injection: finds the places where a shell would start a new command (the value
/// start, after `;` `|` `&` newlines, inside `$( )` and backticks), reads the word there the
/// way the shell does (quotes, backslashes, empty expansions like `$@` removed, `/usr/bin/`
/// stripped) and judges it against the commands attackers run, with its arguments.
enum ShellDetector {
    static let chained = Rule("rce.command", .rce, .critical, "shell command after a separator (; | & newline)")
    static let substitution = Rule("rce.substitution", .rce, .critical, "command substitution $( ) or backticks")
    static let leadingCommand = Rule("rce.command-value", .rce, .high, "value that is a shell command line, or a lone command name")
    static let binaryPath = Rule("rce.binary-path", .rce, .critical, "path of a shell or system binary (/bin/sh, cmd.exe)")
    static let shellshock = Rule("rce.shellshock", .rce, .critical, "bash function definition '() {' (Shellshock)")
    static let expansion = Rule("rce.expansion", .rce, .critical, "shell expansion used for evasion (${IFS}, $'\\x..', $[..], $((..)), ${name}, !1, ~+)")
    static let devTCP = Rule("rce.reverse-shell", .rce, .critical, "redirection to /dev/tcp or a named pipe")
    static let windows = Rule("rce.windows", .rce, .critical, "Windows command syntax (cmd /c, %COMSPEC%, FOR /F, IF EXIST)")
    static let globPath = Rule("rce.glob-path", .rce, .critical, "path spelled with globs from the root (/???/?s, /et*/passwd)")
    static let redirect = Rule("rce.redirect", .rce, .critical, "output redirected into an absolute path (>/tmp/x)")
    static let obfuscated = Rule("rce.obfuscated-command", .rce, .critical, "command name split by quotes, backslashes or empty expansions (w'h'o'am'i, c$@at, pi$()ng)")
    static let variableCommand = Rule("rce.variable-command", .rce, .critical, "shell variable or brace expansion run as a command ($c $a, {,ip,a})")

    /// System directories: a glob anywhere in a path under them is a way to name a file without spelling it.
    static let systemDirectories = KeywordTable(["etc", "bin", "sbin", "usr", "proc", "dev", "var", "tmp", "root", "home", "lib", "boot", "sys"])

    /// `/et*/*wd`, `/etc/[!q]asswd`, `/???/?s`: an absolute path with globs at the root or under a system directory.
    /// Only a path's first 256 bytes are read: called at every `/` after `=`, the scan must be bounded.
    static func globbedPath(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        var end = start
        var glob = false
        while end < s.count && end - start < 256 && !ByteClass.isSpace(s[end]) && s[end] != 0x3B && s[end] != 0x7C && s[end] != 0x26 {
            if s[end] == 0x2A || s[end] == 0x3F || s[end] == 0x5B { glob = true }
            end += 1
        }
        guard glob else { return nil }
        let path = UnsafeRawBufferPointer(rebasing: s[start..<end])
        if globFromRoot(path) { return end }
        var k = 1
        while k < path.count && path[k] != 0x2F { k += 1 }
        return k < path.count && systemDirectories.contains(path, 1, k) ? end : nil
    }

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        guard n >= 2 else { return }
        var i = 0
        var atCommandStart = true  // value start
        var fromSeparator = false
        var inSubstitution = false
        var afterNewline = false
        var inQuery = false
        while i < n {
            let b = s[i]
            if atCommandStart {
                let end = command(s, i, separated: fromSeparator, substituted: inSubstitution, afterNewline: afterNewline, ctx, &report)
                atCommandStart = false
                if end > i { i = end; continue }
            }
            switch b {
            case 0x3B, 0x0A, 0x0D, 0x7C:  // ; newline |
                atCommandStart = true; fromSeparator = true; inSubstitution = false
                afterNewline = b == 0x0A || b == 0x0D
            case 0x26 where isEntity(s, i):  // &quot; in markup text is a character, not `&` then `;`
                while i < n && s[i] != 0x3B { i += 1 }
            case 0x26:  // & or &&
                if i + 1 < n && s[i + 1] == 0x26 { i += 1 }
                atCommandStart = true; fromSeparator = true; inSubstitution = false
            case 0x60:  // backtick
                atCommandStart = true; fromSeparator = true; inSubstitution = true
            case 0x3C where i + 1 < n && s[i + 1] == 0x28, 0x3E where i + 1 < n && s[i + 1] == 0x28:  // <( >( process substitution
                atCommandStart = true; fromSeparator = true; inSubstitution = true
                i += 1
            case 0x7B where i + 1 < n && s[i + 1] == 0x2C:  // {,ip,a} brace expansion runs `ip a`
                report.add(variableCommand, s, i..<min(n, i + 30))
            case 0x7B where atBraceCommand(s, i):  // {nc,-nlvp,777}
                report.add(variableCommand, s, i..<min(n, i + 30))
            case 0x24 where i + 1 < n:
                let c = s[i + 1]
                if c == 0x28 && i + 2 < n && s[i + 2] == 0x28 && findWithin(s, "))", from: i + 3, within: 40) != nil {  // $(( )) arithmetic
                    report.add(expansion, s, i..<min(n, i + 12))
                    i += 2
                } else if c == 0x28 {  // $(
                    atCommandStart = true; fromSeparator = true; inSubstitution = true
                    i += 1
                } else if c == 0x7B && (ByteClass.hasPrefix(s, at: i + 2, "ifs") || ByteClass.hasPrefix(s, at: i + 2, "path:")
                                        || ByteClass.hasPrefix(s, at: i + 2, "home:") || ByteClass.hasPrefix(s, at: i + 2, "shell")) {
                    report.add(expansion, s, i..<min(n, i + 12))
                } else if c == 0x5B || (c == 0x27 && i + 3 < n && s[i + 2] == 0x5C) || ByteClass.hasPrefix(s, at: i + 1, "ifs") {
                    report.add(expansion, s, i..<min(n, i + 12))
                } else if c == 0x7B {
                    // ${PATH#...}, ${x:0:1}, ${x//a/b}: string surgery only a shell does.
                    var k = i + 2
                    while k < n && (ByteClass.isWord(s[k])) { k += 1 }
                    // `${cmd}`: a parameter expanded into the command line.
                    if k > i + 2, k < n, s[k] == 0x23 || s[k] == 0x25 || s[k] == 0x3A || s[k] == 0x2F || s[k] == 0x5E || s[k] == 0x2C
                        || s[k] == 0x7D {
                        report.add(expansion, s, i..<min(n, k + 12))
                    }
                }
            case 0x28 where i + 3 < n && s[i + 1] == 0x29:  // () {
                var k = i + 2
                while k < n && ByteClass.isSpace(s[k]) { k += 1 }
                if k < n && s[k] == 0x7B { report.add(shellshock, s, i..<min(n, k + 30)) }
            case 0x3E where atCommandStart || i == 0 || s[i - 1] != 0x2D:  // `>/tmp/x`, `>> /etc/x`
                var k = i + 1
                if k < n && s[k] == 0x3E { k += 1 }
                while k < n && s[k] == 0x20 { k += 1 }
                // Into a system directory (`>/tmp/x`, `>> /etc/cron.d/x`): writing a file there is the attack.
                var d = k + 1
                while d < n && ByteClass.isAlpha(s[d]) { d += 1 }
                if k + 1 < n, s[k] == 0x2F, d < n, s[d] == 0x2F, systemDirectories.contains(s, k + 1, d),
                   i == 0 || !ByteClass.isAlnum(s[i - 1]) {
                    report.add(redirect, s, i..<min(n, k + 30))
                }
                atCommandStart = true; fromSeparator = true; inSubstitution = false
            case 0x2F:  // /dev/tcp, globbed system paths, as an argument anywhere
                if ByteClass.hasPrefix(s, at: i, "/dev/tcp/") || ByteClass.hasPrefix(s, at: i, "/dev/udp/") {
                    report.add(devTCP, s, i..<min(n, i + 30))
                } else if ctx.source != .path, i == 0 || ByteClass.isSpace(s[i - 1]) || s[i - 1] == 0x3D || s[i - 1] == 0x2B,
                          let end = globbedPath(s, i) {
                    report.add(globPath, s, i..<end)
                    i = end
                    continue
                }
            case 0x7E where tildeExpansion(s, i):  // `~+`, `~-2`: the shell's working-directory stack
                report.add(expansion, s, i..<min(n, i + 12))
            case 0x3F where ctx.source == .header:
                inQuery = true
            case 0x3D where inQuery:  // a Referer's `?args=...`: each query value is a value of its own
                atCommandStart = true; fromSeparator = false; inSubstitution = false
            case 0x25 where ByteClass.hasPrefix(s, at: i, "%comspec%") || ByteClass.hasPrefix(s, at: i, "%systemroot%")
                    || ByteClass.hasPrefix(s, at: i, "%windir%") || ByteClass.hasPrefix(s, at: i, "%systemdrive%"):
                report.add(windows, s, i..<min(n, i + 20))
            default:
                break
            }
            i += 1
        }
    }

    /// Reads the command word at `start` (after spaces and `{ ( !`), judges it, and returns
    /// where the scan continues (`start` when there was no word).
    private static func command(_ s: UnsafeRawBufferPointer, _ start: Int, separated: Bool, substituted: Bool,
                                afterNewline: Bool = false, prefixDepth: Int = 0, _ ctx: ValueContext,
                                _ report: inout Report) -> Int {
        let n = s.count
        var i = start
        var brace = false
        var spaced = false
        while i < n {
            if ByteClass.isSpace(s[i]) || s[i] == 0x7B || s[i] == 0x28 || s[i] == 0x2B {
                brace = brace || s[i] == 0x7B
                spaced = spaced || s[i] == 0x20 || s[i] == 0x09 || s[i] == 0x2B
                i += 1
            } else if s[i] == 0x21 && !substituted {
                // `!1`, `!-2`: history expansion reruns an earlier command line.
                var k = i + 1
                if k < n && s[k] == 0x2D { k += 1 }
                let digits = k
                while k < n && ByteClass.isDigit(s[k]) { k += 1 }
                if k > digits, k == n || ByteClass.isSpace(s[k]) || s[k] == 0x3B || s[k] == 0x7C || s[k] == 0x26 {
                    report.add(expansion, s, i..<min(n, k + 20))
                    return k
                }
                i += 1
            } else if s[i] == 0x5C, i + 2 < n, s[i + 1] == 0x6E || s[i + 1] == 0x72 || s[i + 1] == 0x74, !ByteClass.isAlpha(s[i + 2]) {
                i += 2  // a `\n` written out: a line break to the backend that unescapes it
            } else {
                break
            }
        }
        let wordStart = i
        if i < n, s[i] == 0x2F, ctx.source != .path, let end = globbedPath(s, i) {
            report.add(globPath, s, i..<end)
            return end
        }
        if i < n, ByteClass.lower(s[i]) == 0x66 || ByteClass.lower(s[i]) == 0x69, batchStatement(s, i, &report) { return i + 2 }
        // `$c $a$b`, `${SHELL} -c`: a variable run as the command.
        if i + 1 < n, s[i] == 0x24, ByteClass.isAlpha(s[i + 1]) || s[i + 1] == 0x7B || s[i + 1] == 0x30, separated || substituted || argumentShape(s, wordEnd(s, i)) == .shell {
            var k = i + 1
            while k < n && (ByteClass.isWord(s[k]) || s[k] == 0x7B || s[k] == 0x7D) { k += 1 }
            if separated || argumentShape(s, k) == .shell { report.add(variableCommand, s, i..<min(n, k + 30)) }
            return k
        }
        // The word as the shell sees it, at most 32 bytes: quotes, backslashes and empty
        // expansions (`$@`, `$()`, `${}`, unset `$x` inside a word) dropped, the first word of
        // a brace expansion taken (`c{a,oun}t`); `?` and `*` kept (globs). `evasion` records
        // that something was dropped from inside the word, which prose never does.
        var word: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var length = 0
        var lastSlash = -1, firstSlash = -1
        var hasGlob = false
        var evasion = false
        var quotes = 0, innerQuote = false
        func append(_ b: UInt8) {
            withUnsafeMutableBytes(of: &word) { $0[length] = ByteClass.lower(b) }
            length += 1
        }
        func wordAfter(_ k: Int) -> Bool { length > 0 || (k < n && ByteClass.isAlpha(s[k])) }
        while i < n && length < 32 {
            let b = s[i]
            if b == 0x27 || b == 0x22 {
                quotes += 1
                if length > 0 && i + 1 < n && ByteClass.isWord(s[i + 1]) { innerQuote = true }
                i += 1
                continue
            }
            if b == 0x5C {
                if length > 0 && i + 1 < n && ByteClass.isWord(s[i + 1]) { evasion = true }
                // A backslash-newline joins lines: `ca\⏎t` is `cat`.
                if length > 0 && i + 2 < n && s[i + 1] == 0x0A && ByteClass.isWord(s[i + 2]) { evasion = true; i += 1 }
                i += 1
                continue
            }
            if b == 0x24 && i + 1 < n {
                let c = s[i + 1]
                // `$@`, `$*`, `$1`, `$?`, `$-`, `$$`, `$!`, `$_`: expansions that are empty (or ignored) inside a word.
                if c == 0x40 || c == 0x2A || ByteClass.isDigit(c) || c == 0x3F || c == 0x2D || c == 0x24 || c == 0x21 || (c == 0x5F && length > 0) {
                    evasion = evasion || wordAfter(i + 2)
                    i += 2
                    continue
                }
                if i + 2 < n, (c == 0x7B && s[i + 2] == 0x7D) || (c == 0x28 && s[i + 2] == 0x29) {  // ${} $()
                    evasion = evasion || wordAfter(i + 3)
                    i += 3
                    continue
                }
                // `un${x}ame`; `${IFS}` is a space and `${HOME:0:1}` a character: the scan judges those.
                if c == 0x7B && length > 0 && !ByteClass.hasPrefix(s, at: i + 2, "ifs"), let close = ByteClass.firstIndex(of: 0x7D, in: s, from: i + 2, within: 24),
                   (i + 2..<close).allSatisfy({ ByteClass.isWord(s[$0]) }) {
                    evasion = true
                    i = close + 1
                    continue
                }
                if length > 0 && ByteClass.isAlpha(c) {  // `n$u\c$u`: an unset variable is empty
                    i += 1
                    while i < n && ByteClass.isWord(s[i]) { i += 1 }
                    evasion = true
                    continue
                }
            }
            if (b == 0x3C || b == 0x3E) && length > 0 && i + 2 < n && s[i + 1] == 0x28 && s[i + 2] == 0x29 {  // pi>()ng
                evasion = true
                i += 3
                continue
            }
            if b == 0x7B && length > 0, let close = braceAlternatives(s, i) {
                var k = i + 1
                while k < close && s[k] != 0x2C && length < 32 { append(s[k]); k += 1 }
                evasion = true
                i = close + 1
                continue
            }
            guard ByteClass.isWord(b) || b == 0x2F || b == 0x2E || b == 0x2D || b == 0x3F || b == 0x2A || b == 0x5B || b == 0x5D else { break }
            if b == 0x2F { lastSlash = length; if firstSlash < 0 { firstSlash = length } }
            if b == 0x3F || b == 0x2A { hasGlob = true }
            append(b)
            i += 1
        }
        guard length > 0 else { return start }
        if innerQuote && quotes % 2 == 0 { evasion = true }  // `w'h'o'am'i`, never `I'd`
        let wordEnd = i
        return withUnsafeBytes(of: &word) { w -> Int in
            let full = UnsafeRawBufferPointer(rebasing: w[0..<length])
            var nameStart = lastSlash + 1
            var nameEnd = length
            var switched = false
            if firstSlash > 0, isSwitch(full, firstSlash + 1), commands.lookup(full, 0, firstSlash).map({ $0 != 2 }) == true {
                // `bcdboot/r x`, `cmd/c dir`: a Windows command glued to its switch.
                nameStart = 0
                nameEnd = firstSlash
                switched = true
            }
            if nameEnd - nameStart > 4, ByteClass.hasPrefix(full, at: nameEnd - 4, ".exe") { nameEnd -= 4 }
            if lastSlash >= 0 && !switched {
                // An absolute path to a binary directory, globs included (`/bin/ca?`, `/usr/b*n/id`).
                if ByteClass.hasPrefix(full, at: 0, "/bin/") || ByteClass.hasPrefix(full, at: 0, "/sbin/")
                    || ByteClass.hasPrefix(full, at: 0, "/usr/") || ByteClass.hasPrefix(full, at: 0, "/b") && hasGlob {
                    report.add(binaryPath, s, wordStart..<min(n, wordEnd + 30))
                    return wordEnd
                }
                if ctx.source == .path { return wordEnd }
            }
            if nameEnd <= nameStart { return wordEnd }
            if full[0] == 0x2F, hasGlob, globFromRoot(full) {
                report.add(globPath, s, wordStart..<min(n, wordEnd + 30))
                return wordEnd
            }
            if full[0] == 0x2E, separated || afterNewline, !spaced, dotCommands.contains(full, 1, nameEnd) {
                // `;.shell id`, `\n.system id`: the SQLite shell's dot commands run programs and open
                // files; they start their line (`; .tables below` is prose).
                report.add(chained, s, wordStart..<min(n, wordEnd + 40))
                return wordEnd
            }
            if nameEnd == 5, ByteClass.hasPrefix(full, at: 0, "alias"), aliasDefinition(s, wordEnd) {
                report.add(chained, s, wordStart..<min(n, wordEnd + 40))
                return wordEnd
            }
            // `sudo nohup env ...`: a few prefixes stack in real command lines; beyond that the
            // words are judged as they come (the recursion must not follow `env env env...`).
            if prefixDepth < 4, prefixes.contains(full, nameStart, nameEnd), argumentShape(s, wordEnd) != .end {
                // The next word is the command; a prefix is itself evidence of a command line.
                let found = report.findings.count
                let next = command(s, wordEnd, separated: true, substituted: substituted, prefixDepth: prefixDepth + 1, ctx, &report)
                // `env --version`, `busybox -c ...`: no command follows, the prefix is judged as one.
                if report.findings.count > found || commands.lookup(full, nameStart, nameEnd) == nil { return next }
            }
            var kindFound = commands.lookup(full, nameStart, nameEnd)
            // `rmt-dump`, `ssh-copy-id`: a command with a suffix names a sibling tool.
            var dash = nameStart
            while dash < nameEnd && full[dash] != 0x2D { dash += 1 }
            if kindFound == nil, dash > nameStart, dash < nameEnd, commands.lookup(full, nameStart, dash) == 1 {
                kindFound = 1
            }
            if kindFound == nil, ShellDetector.mayStartFamily(full[nameStart]), families.contains(where: { family in
                // `python3`, `ansible-playbook`: the family name then a digit, `-`, `.` or nothing; never `Perlak`.
                let end = nameStart + family.utf8CodeUnitCount
                return ByteClass.hasPrefix(full, at: nameStart, family)
                    && (end >= nameEnd || !ByteClass.isAlpha(full[end]) || !ByteClass.isAlpha(full[end - 1]))
            }) { kindFound = 1 }
            guard let kind = kindFound else {
                if hasGlob && separated && lastSlash >= 0 { report.add(binaryPath, s, wordStart..<min(n, wordEnd + 30)) }
                return wordEnd
            }
            if evasion {
                report.add(obfuscated, s, wordStart..<min(n, wordEnd + 40))
                return wordEnd
            }
            // `name|id|email`, `date|sort|users`: an English word in a list of three or more words
            // joined by `|` is a list item; a pipeline into it (`x|id`) is a command.
            if kind == 2, wordStart == start, pipeList(s, start, wordEnd) { return wordEnd }
            // `;base64,` in a data URL: a command is never followed by a comma, except in a
            // brace expansion (`{nc,-lvp,4444}`), which runs it.
            if wordEnd < n, s[wordEnd] == 0x2C {
                if brace { report.add(variableCommand, s, wordStart..<min(n, wordEnd + 30)) }
                return wordEnd
            }
            var argument = switched ? .shell : argumentShape(s, wordEnd)
            // `;sleep 5` is a timing probe; `the best; top 10` is prose.
            if argument == .number { argument = separated && !spaced ? .shell : .prose }
            switch (kind, separated || substituted) {
            case (1, true) where substituted || argument != .end || !titleWord(s, start, wordStart, spaced, ampersand: false):
                // `PHP & MySQL` ends a title; `& mysql` and `;whoami` are commands.
                report.add(substituted ? substitution : chained, s, wordStart..<min(n, wordEnd + 40))
            case (3, true) where argument == .shell || substituted || subcommandFollows(s, wordEnd):  // `&net user x /add`
                report.add(substituted ? substitution : chained, s, wordStart..<min(n, wordEnd + 40))
            // After a line break in body text, a line that is just `Id` or `Type` is a heading, not a
            // command; in a parameter or header a line break is how a command is smuggled. A last
            // word after ` & ` or a capitalised one after a spaced separator is a title
            // (`Sales & more`, `Home | History`), not a command (`&id`, `| id`, `;who`).
            case (2, true) where substituted || argument == .shell
                || (argument == .end && !(afterNewline && ctx.source == .body) && !titleWord(s, start, wordStart, spaced, ampersand: true)):
                report.add(substituted ? substitution : chained, s, wordStart..<min(n, wordEnd + 40))
            case (1, false) where argument == .shell:
                report.add(chained, s, wordStart..<min(n, wordEnd + 40))
            case (1, false) where argument == .end && ctx.isName == false && length >= 4:
                // A lone command name (`base64`, `lastlog`) is a value as often as a command.
                // Unmistakable even alone: a binary under a `bin/` directory, a name ended by a line
                // break as a typed command line is (a package name such as `python-dateutil` is data).
                let unmistakable = binDirectory(full, lastSlash) || lineEnds(s, wordEnd)
                report.add(unmistakable ? chained : leadingCommand, s, wordStart..<min(n, wordEnd + 40))
            case (1, false) where argument == .prose && !ctx.isRawBody:
                // `cscli alerts list`, `ansible all -m ping`, `pip install x`: a command name and
                // its subcommand; a short name (`tee shirt`) only with a subcommand verb.
                if hasShellWordsOnly(s, wordEnd), nameEnd - nameStart >= 4 || subcommandFollows(s, wordEnd) {
                    report.add(chained, s, wordStart..<min(n, wordEnd + 40))
                }
            case (3, false) where argument == .shell:
                report.add(windows, s, wordStart..<min(n, wordEnd + 40))
            case (2, false) where argument == .shell:
                // `alias -p`, `set -o history`, `env --version`: an option flag makes the word a
                // command; so does a file path (`cat /var/log/x.gz`), which prose does not start with.
                report.add(hasFlag(s, wordEnd) || absolutePath(s, wordEnd) ? chained : leadingCommand, s, wordStart..<min(n, wordEnd + 40))
            default:
                break
            }
            return wordEnd
        }
    }
}
