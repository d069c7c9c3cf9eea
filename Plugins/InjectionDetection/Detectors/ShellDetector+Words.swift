/// The shapes around a command word: its arguments (flags, paths, hosts, subcommands, a number),
/// switches, alias definitions, brace and tilde expansions, globs.
extension ShellDetector {
    /// Past spaces, tabs and `+` (a form-encoded space that reached the shell as `+`).
    @inline(__always)
    static func skipBlanks(_ s: UnsafeRawBufferPointer, _ from: Int) -> Int {
        var i = from
        while i < s.count && (s[i] == 0x20 || s[i] == 0x09 || s[i] == 0x2B) { i += 1 }
        return i
    }

    /// The word at `word`, after the separator that ends at `start`, reads as the end of a title:
    /// a word of four letters or more after a lone `&` and a space (`Bread & more`; `x & id` is a
    /// command), if `byAmpersand`, or a capitalised one after a spaced separator (`Home | History`,
    /// `PHP & MySQL`).
    static func titleWord(_ s: UnsafeRawBufferPointer, _ start: Int, _ word: Int, _ spaced: Bool, ampersand byAmpersand: Bool) -> Bool {
        guard spaced, start > 0 else { return false }
        var end = word
        while end < s.count && ByteClass.isAlpha(s[end]) { end += 1 }
        let ampersand = byAmpersand && s[start - 1] == 0x26 && (start < 2 || s[start - 2] != 0x26) && end - word >= 4
        let capital = s[word] >= 0x41 && s[word] <= 0x5A && word + 1 < s.count && s[word + 1] >= 0x61 && s[word + 1] <= 0x7A
        return ampersand || capital
    }

    /// The word `s[start..<end]` is one item of a `|`-joined list of at least three plain words.
    static func pipeList(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard start > 1, s[start - 1] == 0x7C else { return false }
        var pipes = 1
        var k = start - 1
        while k > 0 && start - k < 40 && ByteClass.isWord(s[k - 1]) { k -= 1 }
        guard k < start - 1 else { return false }
        if k > 1, s[k - 1] == 0x7C, ByteClass.isWord(s[k - 2]) { pipes += 1 }
        if end + 1 < s.count, s[end] == 0x7C, ByteClass.isWord(s[end + 1]) { pipes += 1 }
        return pipes >= 2
    }

    /// `/r`, `/c`, `/all` at `k` of the word: a Windows switch (letters), not a version (`curl/7.81`).
    static func isSwitch(_ w: UnsafeRawBufferPointer, _ k: Int) -> Bool {
        var e = k
        while e < w.count && ByteClass.isAlpha(w[e]) { e += 1 }
        return e > k && e - k <= 3 && e == w.count
    }

    /// The word's directory is `bin/` or `sbin/` (`bin/ansible`, `./vendor/bin/x`).
    static func binDirectory(_ w: UnsafeRawBufferPointer, _ lastSlash: Int) -> Bool {
        lastSlash >= 3 && ByteClass.hasPrefix(w, at: lastSlash - 3, "bin") && (lastSlash == 3 || !ByteClass.isAlpha(w[lastSlash - 4]) || w[lastSlash - 4] == 0x73)
    }

    /// Only spaces, then a line break, follow `k`.
    static func lineEnds(_ s: UnsafeRawBufferPointer, _ k: Int) -> Bool {
        var i = k
        while i < s.count && (s[i] == 0x20 || s[i] == 0x09) { i += 1 }
        return i < s.count && (s[i] == 0x0A || s[i] == 0x0D)
    }

    /// The dot commands of the SQLite shell that run programs or read and write files.
    static let dotCommands = KeywordTable(["shell", "sh", "system", "databases", "tables", "dump", "import", "output", "once",
                                           "load", "read", "open", "schema", "fullschema", "backup", "restore", "save",
                                           "clone", "excel", "cd", "log", "dbinfo", "indexes", "iotrace", "trace"])

    /// Subcommands of package managers, version control, service tools and Windows' `net`,
    /// `reg`, `sc` and `wmic` (`pip install`, `git clone`, `net user`, `reg query`).
    static let subcommands = KeywordTable(["install", "uninstall", "download", "run", "exec", "add", "remove", "update",
                                           "upgrade", "clone", "push", "pull", "fetch", "init", "build", "start", "stop",
                                           "restart", "enable", "disable", "config", "publish", "eval", "shell", "user",
                                           "localgroup", "group", "view", "use", "share", "session", "accounts", "query",
                                           "export", "import", "save", "delete", "process", "os", "useraccount", "qfe",
                                           "shadowcopy", "computersystem", "nicconfig", "create", "qc"])

    static func subcommandFollows(_ s: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        var k = start
        k = skipBlanks(s, k)
        let a = k
        while k < s.count && ByteClass.isAlpha(s[k]) { k += 1 }
        return subcommands.contains(s, a, k) && (k == s.count || !ByteClass.isWord(s[k]))
    }

    /// `alias [-p] name=value`: an alias definition (`alias ls='rm -rf ~'`); prose says `alias is`.
    static func aliasDefinition(_ s: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        var k = start
        for _ in 0..<4 {
            while k < s.count && (s[k] == 0x20 || s[k] == 0x09) { k += 1 }
            guard k < s.count else { return false }
            if s[k] == 0x2D || s[k] == 0x2B {  // an option
                while k < s.count && !ByteClass.isSpace(s[k]) { k += 1 }
                continue
            }
            let a = k
            while k < s.count && !ByteClass.isSpace(s[k]) && s[k] != 0x3D && k - a < 64 { k += 1 }
            return k > a && k + 1 < s.count && s[k] == 0x3D && !ByteClass.isSpace(s[k + 1])
        }
        return false
    }

    /// `{a,oun}` at `i` inside a word: word-only alternatives; the index of `}`.
    static func braceAlternatives(_ s: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        var k = i + 1
        var comma = false
        while k < s.count && k - i < 32 {
            let b = s[k]
            if b == 0x7D { return comma && s[i + 1] != 0x2C ? k : nil }
            if b == 0x2C { comma = true } else if !ByteClass.isWord(b) { return nil }
            k += 1
        }
        return nil
    }

    /// The next argument is an absolute path of two or more segments (`/var/log/x.gz`).
    static func absolutePath(_ s: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        var k = start
        k = skipBlanks(s, k)
        guard k + 1 < s.count, s[k] == 0x2F, ByteClass.isWord(s[k + 1]) else { return false }
        k += 1
        while k < s.count && !ByteClass.isSpace(s[k]) && s[k] != 0x2B {
            if s[k] == 0x2F && k + 1 < s.count && ByteClass.isWord(s[k + 1]) { return true }
            k += 1
        }
        return false
    }

    /// `number`: a lone number (`sleep 5`), shell-like only right after a separator.
    enum Argument { case end, shell, prose, number }

    /// `~+`, `~-`, `~+2`, `~-1` as a word of its own: the directory-stack forms of tilde expansion
    /// (`~0` and `~z` are prose and names).
    static func tildeExpansion(_ s: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        guard i == 0 || ByteClass.isSpace(s[i - 1]) || s[i - 1] == 0x3D || s[i - 1] == 0x3B || s[i - 1] == 0x7C || s[i - 1] == 0x26,
              i + 1 < s.count, s[i + 1] == 0x2B || s[i + 1] == 0x2D else { return false }
        var k = i + 2
        while k < s.count && ByteClass.isDigit(s[k]) { k += 1 }
        return k == s.count || ByteClass.isSpace(s[k]) || s[k] == 0x2F || s[k] == 0x3B || s[k] == 0x7C || s[k] == 0x26
    }

    /// `&name;` or `&#NN;` at `i`.
    static func isEntity(_ s: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        var k = i + 1
        if k < s.count && s[k] == 0x23 { k += 1 }
        let start = k
        while k < s.count && k - start < 10 && ByteClass.isAlnum(s[k]) { k += 1 }
        return k > start && k < s.count && s[k] == 0x3B
    }

    /// `{word,-flag,...}` at the value start or after a separator: brace expansion into a command line.
    static func atBraceCommand(_ s: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        guard i == 0 || s[i - 1] == 0x3B || s[i - 1] == 0x7C || s[i - 1] == 0x26 || ByteClass.isSpace(s[i - 1]) else { return false }
        var k = i + 1
        while k < s.count && (ByteClass.isWord(s[k]) || s[k] == 0x24 || s[k] == 0x5C) { k += 1 }
        guard k > i + 1, k + 1 < s.count, s[k] == 0x2C else { return false }
        return s[k + 1] == 0x2D || s[k + 1] == 0x2F || ByteClass.isAlpha(s[k + 1])
    }

    /// One of the next three arguments is an option (`-o`, `--version`).
    static func hasFlag(_ s: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        var k = start
        for _ in 0..<3 {
            k = skipBlanks(s, k)
            guard k + 1 < s.count else { return false }
            if s[k] == 0x2D {
                let next = s[k + 1] == 0x2D && k + 2 < s.count ? s[k + 2] : s[k + 1]
                if ByteClass.isAlpha(next) { return true }
            }
            while k < s.count && !(s[k] == 0x20 || s[k] == 0x2B || s[k] == 0x09) { k += 1 }
        }
        return false
    }

    static func wordEnd(_ s: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var k = start
        while k < s.count && !ByteClass.isSpace(s[k]) { k += 1 }
        return k
    }

    /// The rest of the value is a few lowercase words, flags and file names (no sentence).
    static func hasShellWordsOnly(_ s: UnsafeRawBufferPointer, _ start: Int) -> Bool {
        var words = 0
        var k = start
        while k < s.count {
            let b = s[k]
            if ByteClass.isSpace(b) || b == 0x2B { k += 1; continue }
            guard ByteClass.isAlnum(b) || b == 0x2D || b == 0x2E || b == 0x2F || b == 0x5F || b == 0x3D else { return false }
            if b >= 0x41 && b <= 0x5A { return false }
            words += 1
            while k < s.count && !ByteClass.isSpace(s[k]) && s[k] != 0x2B { k += 1 }
        }
        return words >= 1 && words <= 4
    }

    /// `/???/?s`, `/et*/passwd`, `/[e]tc/...`: globs in the first directory name of an absolute path.
    static func globFromRoot(_ w: UnsafeRawBufferPointer) -> Bool {
        var k = 1
        var glob = false, letters = 0
        while k < w.count && w[k] != 0x2F {
            if w[k] == 0x3F || w[k] == 0x2A || w[k] == 0x5B { glob = true } else if ByteClass.isAlpha(w[k]) { letters += 1 }
            k += 1
        }
        // A name must follow (`/???/?s`): `/[a-z]{1,5}/` is a regular expression.
        return glob && k + 1 < w.count && (letters > 0 || k >= 3)
    }

    /// What follows a command word: nothing, shell-like arguments (`-x`, `/path`, `$VAR`,
    /// a redirection or another separator), or prose.
    static func argumentShape(_ s: UnsafeRawBufferPointer, _ start: Int) -> Argument {
        var i = start
        i = skipBlanks(s, i)
        guard i < s.count, s[i] != 0x0A, s[i] != 0x0D else { return .end }
        switch s[i] {
        case 0x2D, 0x2F, 0x24, 0x7E, 0x3E, 0x3C, 0x7C, 0x3B, 0x26, 0x60, 0x5C, 0x2E, 0x27, 0x22: return .shell
        default:
            // `curl evil.example`, `ping 10.0.0.1`: a host name or address right after the command.
            guard ByteClass.isAlnum(s[i]) else { return .prose }
            var k = i
            var dot = false, digits = true
            // An operand is a host name (at most 253 bytes) or a short option: the scan is bounded,
            // since every command start inside a long operand reads it again.
            while k < s.count && k - i < 256 && !ByteClass.isSpace(s[k]) && s[k] != 0x3B && s[k] != 0x7C && s[k] != 0x26 {
                // a host (`evil.example`), `if=/dev/sda`-style operands
                if s[k] == 0x2E || s[k] == 0x3A || (s[k] == 0x3D && k + 1 < s.count && s[k + 1] == 0x2F) { dot = true }
                digits = digits && ByteClass.isDigit(s[k])
                k += 1
            }
            // `sleep 5` ending the value or its command: a number as the whole operand list.
            var e = k
            e = skipBlanks(s, e)
            let ends = e == s.count || s[e] == 0x3B || s[e] == 0x7C || s[e] == 0x26 || s[e] == 0x0A || s[e] == 0x0D
            return dot ? .shell : digits && ends ? .number : .prose
        }
    }
}
