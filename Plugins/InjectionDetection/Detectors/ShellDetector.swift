/// OS command injection: finds the places where a shell would start a new command (the value
/// start, after `;` `|` `&` newlines, inside `$( )` and backticks), reads the word there the
/// way the shell does (quotes, backslashes, empty expansions like `$@` removed, `/usr/bin/`
/// stripped) and judges it against the commands attackers run, with its arguments.
enum ShellDetector {
    static let chained = Rule("rce.command", .rce, .critical, "shell command after a separator (; | & newline)")
    static let substitution = Rule("rce.substitution", .rce, .critical, "command substitution $( ) or backticks")
    static let leadingCommand = Rule("rce.command-value", .rce, .high, "value that is a shell command line")
    static let binaryPath = Rule("rce.binary-path", .rce, .critical, "path of a shell or system binary (/bin/sh, cmd.exe)")
    static let shellshock = Rule("rce.shellshock", .rce, .critical, "bash function definition '() {' (Shellshock)")
    static let expansion = Rule("rce.expansion", .rce, .high, "shell expansion used for evasion (${IFS}, $'\\x..', $[..])")
    static let devTCP = Rule("rce.reverse-shell", .rce, .critical, "redirection to /dev/tcp or a named pipe")
    static let windows = Rule("rce.windows", .rce, .critical, "Windows command syntax (cmd /c, %COMSPEC%, if exist)")

    /// 1: only a command; 2: also an English word (needs shell-like arguments); 3: Windows.
    static let commands: KeywordTable = {
        var entries: [(String, UInt8)] = []
        for w in ("whoami uname ifconfig ipconfig netstat nslookup wget curl nc ncat netcat socat telnet ssh scp sftp tftp "
                  + "bash sh zsh ksh csh tcsh dash ash busybox python python2 python3 perl ruby php node lua "
                  + "chmod chown chgrp rm rmdir mkfifo mknod useradd usermod passwd sudo su crontab nohup xterm "
                  + "lastlog printenv base64 xxd hexdump strings gcc tar gzip gunzip bzip2 zip unzip dd ps pkill killall "
                  + "uptime hostname nmap dig traceroute tracepath ping6 arp route iptables systemctl service sysctl "
                  + "ls cat id pwd env awk gawk sed grep egrep fgrep xargs tee wc head tail nl od "
                  + "vi vim nano ed emacs less more find locate which whereis file stat readlink getent groups "
                  + "ping mail sendmail mutt openssl jexec exec eval alias export source sleep timeout tac rev "
                  + "lsof kill w who last finger echo printf cp mv ln touch").split(separator: " ") {
            entries.append((String(w), 1))
        }
        // English words that are also commands: judged by their arguments.
        for w in ["ls", "cat", "id", "pwd", "env", "head", "tail", "less", "more", "find", "locate", "which", "file", "stat",
                  "groups", "ping", "mail", "exec", "eval", "alias", "export", "source", "sleep", "timeout", "kill", "w",
                  "who", "last", "finger", "echo", "printf", "cp", "mv", "ln", "touch", "ed", "dd", "ps", "wc", "nl", "od",
                  "rev", "tac", "service", "route", "strings", "python", "perl", "ruby", "node", "php", "tar", "zip", "su"] {
            entries.insert((w, 2), at: 0)
        }
        for w in "cmd powershell pwsh certutil bitsadmin wmic reg schtasks rundll32 regsvr32 mshta cscript wscript net tasklist systeminfo type dir copy del start".split(separator: " ") {
            entries.append((String(w), 3))
        }
        return KeywordTable(entries)
    }()

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        guard n >= 2 else { return }
        var i = 0
        var atCommandStart = true  // value start
        var fromSeparator = false
        var inSubstitution = false
        while i < n {
            let b = s[i]
            if atCommandStart {
                let end = command(s, i, separated: fromSeparator, substituted: inSubstitution, ctx, &report)
                atCommandStart = false
                if end > i { i = end; continue }
            }
            switch b {
            case 0x3B, 0x0A, 0x0D, 0x7C:  // ; newline |
                atCommandStart = true; fromSeparator = true; inSubstitution = false
            case 0x26:  // & or &&
                if i + 1 < n && s[i + 1] == 0x26 { i += 1 }
                atCommandStart = true; fromSeparator = true; inSubstitution = false
            case 0x60:  // backtick
                atCommandStart = true; fromSeparator = true; inSubstitution = true
            case 0x24 where i + 1 < n:
                let c = s[i + 1]
                if c == 0x28 {  // $(
                    atCommandStart = true; fromSeparator = true; inSubstitution = true
                    i += 1
                } else if c == 0x7B && (ByteClass.hasPrefix(s, at: i + 2, "ifs") || ByteClass.hasPrefix(s, at: i + 2, "path:")
                                        || ByteClass.hasPrefix(s, at: i + 2, "home:") || ByteClass.hasPrefix(s, at: i + 2, "shell")) {
                    report.add(expansion, s, i..<min(n, i + 12))
                } else if c == 0x5B || (c == 0x27 && i + 3 < n && s[i + 2] == 0x5C) || ByteClass.hasPrefix(s, at: i + 1, "ifs") {
                    report.add(expansion, s, i..<min(n, i + 12))
                }
            case 0x28 where i + 3 < n && s[i + 1] == 0x29:  // () {
                var k = i + 2
                while k < n && ByteClass.isSpace(s[k]) { k += 1 }
                if k < n && s[k] == 0x7B { report.add(shellshock, s, i..<min(n, k + 30)) }
            case 0x2F:  // /dev/tcp, /bin/sh as an argument anywhere
                if ByteClass.hasPrefix(s, at: i, "/dev/tcp/") || ByteClass.hasPrefix(s, at: i, "/dev/udp/") {
                    report.add(devTCP, s, i..<min(n, i + 30))
                }
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
                                _ ctx: ValueContext, _ report: inout Report) -> Int {
        let n = s.count
        var i = start
        while i < n && (ByteClass.isSpace(s[i]) || s[i] == 0x7B || s[i] == 0x28 || s[i] == 0x21) { i += 1 }
        let wordStart = i
        // The word as the shell sees it, at most 32 bytes: quotes, backslashes and `$@`-style
        // empty expansions dropped; `?` and `*` kept (globs).
        var word: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var length = 0
        var lastSlash = -1
        var hasGlob = false
        while i < n && length < 32 {
            let b = s[i]
            if b == 0x27 || b == 0x22 || b == 0x5C { i += 1; continue }
            if b == 0x24 && i + 1 < n && (s[i + 1] == 0x40 || s[i + 1] == 0x2A || ByteClass.isDigit(s[i + 1])) { i += 2; continue }
            if b == 0x24 && i + 2 < n && s[i + 1] == 0x7B && s[i + 2] == 0x7D { i += 3; continue }  // ${}
            guard ByteClass.isWord(b) || b == 0x2F || b == 0x2E || b == 0x2D || b == 0x3F || b == 0x2A || b == 0x5B || b == 0x5D else { break }
            if b == 0x2F { lastSlash = length }
            if b == 0x3F || b == 0x2A { hasGlob = true }
            withUnsafeMutableBytes(of: &word) { $0[length] = ByteClass.lower(b) }
            length += 1
            i += 1
        }
        guard length > 0 else { return start }
        let wordEnd = i
        return withUnsafeBytes(of: &word) { w -> Int in
            let full = UnsafeRawBufferPointer(rebasing: w[0..<length])
            var nameStart = lastSlash + 1
            var nameEnd = length
            if length - nameStart > 4, ByteClass.hasPrefix(full, at: length - 4, ".exe") { nameEnd = length - 4 }
            if lastSlash >= 0 {
                // An absolute path to a binary directory, globs included (`/bin/ca?`, `/usr/b*n/id`).
                if ByteClass.hasPrefix(full, at: 0, "/bin/") || ByteClass.hasPrefix(full, at: 0, "/sbin/")
                    || ByteClass.hasPrefix(full, at: 0, "/usr/") || ByteClass.hasPrefix(full, at: 0, "/b") && hasGlob {
                    report.add(binaryPath, s, wordStart..<min(n, wordEnd + 30))
                    return wordEnd
                }
                if ctx.source == .path { return wordEnd }
            }
            if nameEnd <= nameStart { return wordEnd }
            if nameStart == 0, lastSlash < 0 { nameStart = 0 }
            guard let kind = commands.lookup(full, nameStart, nameEnd) else {
                if hasGlob && separated && lastSlash >= 0 { report.add(binaryPath, s, wordStart..<min(n, wordEnd + 30)) }
                return wordEnd
            }
            let argument = argumentShape(s, wordEnd)
            switch (kind, separated || substituted) {
            case (1, true), (3, true):
                report.add(substituted ? substitution : chained, s, wordStart..<min(n, wordEnd + 40))
            case (2, true) where argument != .prose:
                report.add(substituted ? substitution : chained, s, wordStart..<min(n, wordEnd + 40))
            case (1, false) where argument == .shell || argument == .end && ctx.isName == false && length >= 4:
                report.add(leadingCommand, s, wordStart..<min(n, wordEnd + 40))
            case (3, false) where argument == .shell:
                report.add(windows, s, wordStart..<min(n, wordEnd + 40))
            case (2, false) where argument == .shell:
                report.add(leadingCommand, s, wordStart..<min(n, wordEnd + 40))
            default:
                break
            }
            return wordEnd
        }
    }

    enum Argument { case end, shell, prose }

    /// What follows a command word: nothing, shell-like arguments (`-x`, `/path`, `$VAR`,
    /// a redirection or another separator), or prose.
    private static func argumentShape(_ s: UnsafeRawBufferPointer, _ start: Int) -> Argument {
        var i = start
        while i < s.count && (s[i] == 0x20 || s[i] == 0x09 || s[i] == 0x2B) { i += 1 }
        guard i < s.count else { return .end }
        switch s[i] {
        case 0x2D, 0x2F, 0x24, 0x7E, 0x3E, 0x3C, 0x7C, 0x3B, 0x26, 0x60, 0x0A, 0x0D, 0x5C, 0x2E, 0x27, 0x22: return .shell
        default:
            // `curl evil.example`, `ping 10.0.0.1`: a host name or address right after the command.
            var k = i
            var dot = false
            while k < s.count && !ByteClass.isSpace(s[k]) { if s[k] == 0x2E || s[k] == 0x3A { dot = true }; k += 1 }
            return dot && k < s.count + 1 ? .shell : .prose
        }
    }
}
