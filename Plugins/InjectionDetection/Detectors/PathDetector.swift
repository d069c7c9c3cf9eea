/// Path traversal and local file inclusion: reads the value as a path (both `/` and `\`
/// separate segments, as on Windows), counts `..` segments (also `...` and `..;`), and looks
/// for the files and directories attackers read: system files, credentials, dot-directories
/// of version control and configuration, backups.
enum PathDetector {
    static let traversal = Rule("lfi.traversal", .lfi, .critical, "directory traversal (../../)")
    static let singleTraversal = Rule("lfi.traversal-single", .lfi, .medium, "one parent-directory step (../)")
    static let sensitiveFile = Rule("lfi.sensitive-file", .lfi, .critical, "system or credential file (/etc/passwd, win.ini, .git/)")
    static let backupFile = Rule("lfi.backup-file", .lfi, .critical, "backup, dump, log or editor swap file")
    static let nul = Rule("lfi.nul-byte", .lfi, .high, "NUL byte (truncates file names in C-based backends)")

    /// 1: a file or directory that is sensitive on its own; 2: sensitive under `/etc`, `/proc`
    /// and the like (see ``sensitiveParents``); 3: the Windows account database (`sam`), under `config` or `repair`;
    /// 4: build, deployment and AI-agent files a web root should never serve, in the URL path only
    /// (a value may talk about them).
    static let names = KeywordTable([
        (".git", 1), (".svn", 1), (".hg", 1), (".bzr", 1), (".env", 1), (".htaccess", 1), (".htpasswd", 1), (".ssh", 1),
        (".aws", 1), (".docker", 1), (".kube", 1), (".bash_history", 1), (".zsh_history", 1), (".bashrc", 1), (".profile", 1),
        (".npmrc", 1), (".pypirc", 1), (".netrc", 1), (".pgpass", 1), (".my.cnf", 1), (".ds_store", 1), (".idea", 1),
        (".vscode", 1), (".aiignore", 1), (".cursorignore", 1), (".gitconfig", 1), (".git-credentials", 1),
        ("id_rsa", 1), ("id_dsa", 1), ("id_ecdsa", 1), ("id_ed25519", 1), ("authorized_keys", 1), ("known_hosts", 1),
        ("win.ini", 1), ("boot.ini", 1), ("system.ini", 1), ("web.config", 1), ("wp-config.php", 1), ("httpd.conf", 1),
        ("php.ini", 1), ("my.cnf", 1), ("my.ini", 1), ("nginx.conf", 1), ("apache2.conf", 1), ("sam", 3), (".history", 1),
        (".sh_history", 1), (".mysql_history", 1), (".psql_history", 1),
        (".python_history", 1), (".node_repl_history", 1), (".rediscli_history", 1), (".lesshst", 1), (".viminfo", 1),
        (".bash_profile", 1), (".bash_logout", 1), (".zshrc", 1), (".claude", 1), (".cursor", 1), (".windsurf", 1),
        (".codeium", 1), (".continue", 1), (".aider", 1), (".codex", 1), (".gemini", 1), (".cline", 1), (".clinerules", 1),
        (".roo", 1), (".copilot", 1), ("web-inf", 1), ("meta-inf", 1), ("sshd_config", 1), ("ssh_config", 1),
        ("serviceaccount", 1), ("kubeconfig", 1), ("autoexec.bat", 1), ("config.sys", 1), ("inetpub", 1),
        ("composer.json", 4), ("composer.lock", 4), ("dockerfile", 4), ("docker-compose.yml", 4), ("docker-compose.yaml", 4),
        ("claude.md", 4), ("claude.local.md", 4), ("agents.md", 4), ("gemini.md", 4), ("copilot-instructions.md", 4),
        ("phpinfo.php", 4), ("server-status", 4), ("server-info", 4), ("grub.cfg", 2), ("grub.conf", 2),
        ("subuid", 2), ("subgid", 2), ("gshadow", 2), ("ld.so.preload", 2), ("machine-id", 2),
        ("passwd", 2), ("shadow", 2), ("group", 2), ("hosts", 2), ("issue", 2), ("motd", 2), ("crontab", 2), ("sudoers", 2),
        ("fstab", 2), ("environ", 2), ("cmdline", 2), ("self", 2), ("version", 2), ("mounts", 2), ("cpuinfo", 2),
        ("hostname", 2), ("resolv.conf", 2), ("master.passwd", 1), ("class", 2), ("kcore", 2), ("config", 2),
    ])
    static let sensitiveParents = KeywordTable(["etc", "proc", "sys", "windows", "winnt", "boot", "root", "var", "log", "private", "grub"])
    /// Extensions of private keys, keystores and database files: secrets wherever they sit in a path.
    static let secretExtensions = KeywordTable(["key", "pem", "p12", "pfx", "jks", "keystore", "ppk", "kdbx", "ovpn", "myd", "ibd"])
    static let hiveParents = KeywordTable(["config", "repair"])
    /// Top-level directories of a Unix system whose files are its configuration, state and
    /// secrets (1: any entry; 2, `/var`: its log, mail, spool, state and web directories; 3: in
    /// values only, as a URL path may name a route so).
    static let systemRoots = KeywordTable([("etc", 1), ("var", 2), ("root", 3), ("boot", 3), ("sys", 3)])
    static let varChildren = KeywordTable(["log", "mail", "spool", "lib", "backups", "www", "run", "opt"])
    static let backupExtensions = KeywordTable(["bak", "old", "orig", "swp", "swo", "save", "sql", "backup", "tmp", "dump", "sqlite", "db", "log"])

    static func scan(_ s: UnsafeRawBufferPointer, _ ctx: ValueContext, _ report: inout Report) {
        let n = s.count
        guard n >= 2 else { return }
        var ups = 0
        var firstUp = -1
        var segmentStart = 0
        var parent: Range<Int>? = nil
        var separators = 0
        var evasive = false  // a parent step next to `\` or written `..;`: no relative web link looks so
        var i = 0
        var hexPrefix = false  // a `0x` somewhere: the value may spell its dots and slashes in hex
        var systemRoot: (range: Range<Int>, kind: UInt8)? = nil  // `/etc` at the start of an absolute path
        while i <= n {
            if i < n && s[i] == 0 { report.add(nul, s, max(0, i - 20)..<min(n, i + 20)) }
            if i + 1 < n && s[i] == 0x30 && ByteClass.lower(s[i + 1]) == 0x78 { hexPrefix = true }
            // A space ends a path too (`dd if=/etc/passwd of=...`): the next word starts afresh.
            let space = i < n && (s[i] == 0x20 || s[i] == 0x09)
            if i == n || s[i] == 0x2F || s[i] == 0x5C || space {
                let segment = trimmed(s, segmentStart, i)
                // `..` is a parent step only next to a separator: an ellipsis in prose is not.
                let slashBefore = segmentStart > 0 && (s[segmentStart - 1] == 0x2F || s[segmentStart - 1] == 0x5C)
                if isDotDot(s, segment), slashBefore || (i < n && !space) {
                    ups += 1
                    if firstUp < 0 { firstUp = segment.lowerBound }
                    if (i < n && s[i] == 0x5C) || (segmentStart > 0 && s[segmentStart - 1] == 0x5C)
                        || ByteClass.contains(UnsafeRawBufferPointer(rebasing: s[segment]), 0x3B) {
                        evasive = true
                    }
                }
                if !segment.isEmpty {
                    judgeSegment(s, segment, parent: parent, separated: separators > 0 || (i < n && !space), ctx, &report)
                    // `/etc/anything`, `/var/log/x`: an absolute path into the system's own files.
                    if let root = systemRoot {
                        if root.kind == 1 || root.kind == 3 || varChildren.contains(s, segment.lowerBound, segment.upperBound) {
                            report.add(sensitiveFile, s, root.range.lowerBound..<segment.upperBound)
                        }
                        systemRoot = nil
                    } else if slashBefore, i < n, !space, segmentStart == 1 || !isPathByte(s[segmentStart - 2]),
                              let kind = systemRoots.lookup(s, segment.lowerBound, segment.upperBound), kind != 3 || ctx.source != .path {
                        systemRoot = (segment, kind)
                    }
                    parent = space ? nil : segment
                }
                if i < n && !space { separators += 1 }
                segmentStart = i + 1
            }
            i += 1
        }
        if ups >= 2 || (ups == 1 && evasive) || (hexPrefix && hexSpelledStep(s)) {
            report.add(traversal, s, max(0, firstUp)..<min(n, max(0, firstUp) + 60))
        } else if ups == 1, separators > 0 {
            report.add(singleTraversal, s, firstUp..<min(n, firstUp + 60))
        }
    }

    /// `0x2e0x2e0x2f`, `0x5c0x2e./`: dots and separators spelled as hex literals (some decoders
    /// and filters turn them into characters) making a parent step.
    private static func hexSpelledStep(_ s: UnsafeRawBufferPointer) -> Bool {
        var dots = 0, hex = false, separatorBefore = false
        var i = 0
        while i < s.count {
            var isDot = false, isSeparator = false, width = 1
            let b = s[i]
            if b == 0x30, ByteClass.hasPrefix(s, at: i, "0x2e") { isDot = true; hex = true; width = 4 }
            else if b == 0x30, ByteClass.hasPrefix(s, at: i, "0x2f") || ByteClass.hasPrefix(s, at: i, "0x5c") { isSeparator = true; hex = true; width = 4 }
            else if b == 0x2E { isDot = true }
            else if b == 0x2F || b == 0x5C { isSeparator = true }
            else if b == 0 { i += 1; continue }  // a NUL inside the spelling is dropped by C strings
            if isDot {
                dots += 1
            } else if isSeparator {
                if hex && dots >= 2 && dots <= 3 { return true }
                separatorBefore = true
                dots = 0
            } else {
                if hex && dots >= 2 && dots <= 3 && separatorBefore { return true }
                dots = 0; hex = false; separatorBefore = false
            }
            i += width
        }
        return hex && dots >= 2 && dots <= 3 && separatorBefore
    }

    /// Bytes of a path or host name: a separator after one is inside a path, not its root.
    @inline(__always) private static func isPathByte(_ b: UInt8) -> Bool {
        ByteClass.isAlnum(b) || b == 0x2E || b == 0x2D || b == 0x5F || b == 0x7E || b == 0x3A || b == 0x2F || b == 0x5C || b >= 0x80
    }

    /// `..`, `...`, `..;` and `.. ` count as parent steps (servers strip the rest).
    private static func isDotDot(_ s: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard r.count >= 2, s[r.lowerBound] == 0x2E, s[r.lowerBound + 1] == 0x2E else { return false }
        for k in r where s[k] != 0x2E && s[k] != 0x3B && s[k] != 0x20 { return false }
        return true
    }

    private static func trimmed(_ s: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Range<Int> {
        var (a, b) = (start, end)
        while a < b && ByteClass.isSpace(s[a]) { a += 1 }
        while b > a && (ByteClass.isSpace(s[b - 1]) || s[b - 1] == 0) { b -= 1 }
        return a..<b
    }

    private static func judgeSegment(_ s: UnsafeRawBufferPointer, _ segment: Range<Int>, parent: Range<Int>?,
                                     separated: Bool, _ ctx: ValueContext, _ report: inout Report) {
        // Windows drive paths `c:` as a parent, `name::$DATA` streams.
        var end = segment.upperBound
        for k in segment where s[k] == 0x3F || s[k] == 0x23 || s[k] == 0x26 { end = k; break }  // stop at ?#&
        guard end > segment.lowerBound else { return }
        // `/etc/passwd-`: the copy of a system file its tools keep.
        let backup = end - segment.lowerBound > 2 && s[end - 1] == 0x2D && names.lookup(s, segment.lowerBound, end - 1) == 2
        if let kind = names.lookup(s, segment.lowerBound, end) ?? (backup ? 2 : nil) {
            if kind == 3, let parent, hiveParents.contains(s, parent.lowerBound, parent.upperBound) {
                report.add(sensitiveFile, s, parent.lowerBound..<end)
            } else if kind == 4, ctx.source == .path {
                report.add(sensitiveFile, s, segment.lowerBound..<end)
            } else if kind == 1 && (separated || s[segment.lowerBound] == 0x2E || ctx.source == .path || ByteClass.contains(UnsafeRawBufferPointer(rebasing: s[segment]), 0x2E)) {
                report.add(sensitiveFile, s, (parent?.lowerBound ?? segment.lowerBound)..<end)
            } else if kind == 2, let parent, sensitiveParents.contains(s, parent.lowerBound, parent.upperBound) {
                report.add(sensitiveFile, s, parent.lowerBound..<end)
            }
            return
        }
        // Under /proc every entry describes the running process or machine.
        if let parent, parent.count == 4, ByteClass.hasPrefix(s, at: parent.lowerBound, "proc"), parent.lowerBound > 0,
           s[parent.lowerBound - 1] == 0x2F {
            report.add(sensitiveFile, s, parent.lowerBound..<end)
            return
        }
        // A dot-directory or dotfile in the URL path (`/.cline/rules.md`, `/.env`): tool configuration and
        // secrets, never content; `.well-known` is the one public dot-directory.
        if ctx.source == .path, s[segment.lowerBound] == 0x2E, segment.count > 1, ByteClass.isAlpha(s[segment.lowerBound + 1]),
           !ByteClass.hasPrefix(s, at: segment.lowerBound, ".well-known") {
            report.add(sensitiveFile, s, segment.lowerBound..<end)
            return
        }
        // `backup.sql.zip`, `index.php.bak`, `.config.swp`, `file~`: copies the server would hand out as text.
        guard ctx.source == .path || separated else { return }
        var dot = end - 1
        while dot > segment.lowerBound && s[dot] != 0x2E { dot -= 1 }
        if dot > segment.lowerBound, secretExtensions.contains(s, dot + 1, end) { report.add(sensitiveFile, s, segment.lowerBound..<end); return }
        if s[end - 1] == 0x7E, end - segment.lowerBound > 2 { report.add(backupFile, s, segment.lowerBound..<end); return }
        var extEnd = end
        var k = end - 1
        var dots = 0
        while k > segment.lowerBound && dots < 3 {
            if s[k] == 0x2E {
                if backupExtensions.contains(s, k + 1, extEnd) {
                    report.add(backupFile, s, segment.lowerBound..<end)
                    return
                }
                extEnd = k
                dots += 1
            }
            k -= 1
        }
    }
}
