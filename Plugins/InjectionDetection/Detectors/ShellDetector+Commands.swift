/// The commands attackers run (Unix, Windows, PowerShell), the words that run the next word,
/// and the tool families whose every member is a command.
extension ShellDetector {
    /// 1: only a command; 2: also an English word (needs shell-like arguments); 3: Windows.
    static let commands: KeywordTable = {
        var entries: [(String, UInt8)] = []
        for w in ("whoami uname ifconfig ipconfig netstat nslookup wget curl nc ncat netcat socat telnet ssh scp sftp "
                  + "tftp bash sh zsh ksh csh tcsh dash ash busybox python2 python3 lua chmod chown chgrp rm rmdir "
                  + "mkfifo mknod useradd usermod passwd sudo crontab nohup xterm lastlog printenv base64 xxd hexdump "
                  + "gcc gzip gunzip bzip2 unzip pkill killall uptime hostname nmap dig traceroute tracepath ping6 arp "
                  + "iptables systemctl sysctl awk gawk sed grep egrep fgrep xargs tee vi vim nano emacs whereis "
                  + "readlink getent sendmail mutt openssl jexec lsof").split(separator: " ") {
            entries.append((String(w), 1))
        }
        // English words that are also commands: judged by their arguments.
        for w in ["ls", "cat", "id", "pwd", "env", "head", "tail", "less", "more", "find", "locate", "which", "file", "stat",
                  "groups", "ping", "mail", "exec", "eval", "alias", "export", "source", "sleep", "timeout", "kill", "w",
                  "who", "last", "finger", "echo", "printf", "cp", "mv", "ln", "touch", "ed", "dd", "ps", "wc", "nl", "od",
                  "rev", "tac", "service", "route", "strings", "python", "perl", "ruby", "node", "php", "tar", "zip", "su",
                  "set", "unset", "top", "date", "cd", "ex", "ip", "screen", "expect", "script", "truncate", "watch", "git",
                  "ver", "vol", "df", "du", "ss", "bc", "arch", "free", "users", "history", "sort", "uniq", "cut", "tr",
                  "diff", "expr", "seq", "factor", "fold", "renice", "tty", "locale", "jobs", "col", "cal", "look", "rename",
                  "logger", "paste", "join", "split", "trap", "declare", "basename", "dirname", "realpath"] {
            entries.insert((w, 2), at: 0)
        }
        for w in "cmd powershell pwsh reg net type dir copy del start tree sc path format".split(separator: " ") {
            entries.append((String(w), 3))
        }
        // Windows tools no prose uses, and PowerShell's cmdlets for files, processes, the registry
        // and accounts (`Invoke-*` is a family).
        for w in ("certutil bitsadmin wmic schtasks rundll32 regsvr32 mshta cscript wscript tasklist systeminfo netsh qwinsta "
                  + "quser klist nltest dsquery cmdkey fsutil taskkill xcopy robocopy findstr forfiles mklink runas nbtstat "
                  + "tracert pathping getmac msbuild installutil regasm regsvcs odbcconf cmstp wsl attrib cacls gci "
                  + "get-childitem get-process get-wmiobject get-ciminstance copy-item move-item out-file set-executionpolicy "
                  + "add-mppreference set-mppreference get-itemproperty set-itemproperty new-itemproperty get-service "
                  + "stop-process stop-service get-localuser new-localuser add-localgroupmember get-aduser get-acl set-acl "
                  + "convertto-securestring import-module add-type get-credential start-bitstransfer test-netconnection "
                  + "get-nettcpconnection enter-pssession new-pssession get-history clear-history clear-eventlog "
                  + "get-eventlog get-winevent expand-archive").split(separator: " ") {
            entries.append((String(w), 1))
        }
        for w in ("gdb strace ltrace visudo zstdcat zcat bzcat xzcat gzcat irb pry rmt pipx pip pip3 npm npx yarn gem cargo "
                  + "cscli c89 c99 cc clang ll column aptitude apt apt-get yum dnf apk dpkg rpm snap regedit bcdboot "
                  + "bcdedit vssadmin wevtutil icacls takeown diskpart ansible chef knife puppet salt docker kubectl "
                  + "perf iex invoke-expression invoke-webrequest invoke-restmethod start-process new-object "
                  + "get-content set-content remove-item downloadstring certreq expand esentutl msiexec "
                  + "shutdown reboot halt poweroff init telinit swapoff mount umount losetup nsenter chroot unshare "
                  + "sqlite3 mysql psql mongo redis-cli "
                  // PowerShell aliases of its download, execution and WMI cmdlets
                  + "iwr irm iwmi gwmi icm saps sajb ipmo "
                  + "comm flock cpulimit ionice taskset chrt runuser setpriv bsdtar bsdcpio cpio htop pgrep pidof lscpu "
                  + "lsblk lsmod insmod rmmod modprobe dmesg journalctl tcpdump tshark rsync ftp sshpass base32 basenc "
                  + "uuencode uudecode shred xdg-open pkexec setfacl getfacl chattr lsattr ldd objdump readelf "
                  // coreutils, util-linux, procps and bash builtins no prose uses
                  + "nproc md5sum b2sum cksum sha1sum sha224sum sha256sum sha384sum sha512sum mktemp ulimit umask lastb stty "
                  + "domainname dnsdomainname hostid logname dircolors numfmt shuf tsort pathchk pinky unexpand chcon runcon "
                  + "blkid blockdev cfdisk chfn chsh fallocate fdisk findmnt fsck hwclock ipcs lsipc lslocks lslogins lsmem "
                  + "lsns mcookie mkswap mountpoint namei partx pivot_root prlimit setarch setterm sfdisk sulogin swapon "
                  + "utmpdump uuidgen wdctl wipefs zramctl pmap pwdx skill slabtop snice tload vmstat mtr ip6tables nft "
                  + "ethtool iwconfig whois compgen shopt typeset unalias pushd popd getopts disown").split(separator: " ") {
            entries.append((String(w), 1))
        }
        return KeywordTable(entries)
    }()

    /// Words that run the next word as a command: `time sh -c id`, `sudo -u x id`.
    static let prefixes = KeywordTable(["time", "strace", "ltrace", "nice", "nohup", "sudo", "doas", "env", "xargs", "watch",
                                        "command", "builtin", "exec", "timeout", "stdbuf", "unbuffer", "setsid", "chronic", "busybox"])
    /// Tool families whose every member is a command (`ansible-playbook`, `chef-client`, `Invoke-Item`).
    static let families: [StaticString] = ["ansible", "chef-", "invoke-", "ssh-", "python", "perl", "php", "ruby", "node",
                                           "aa-", "git-", "apt-", "kube", "docker-", "pg_", "mysql"]

    /// Bit n set when some family starts with the letter `a` + n: most words are ruled out
    /// without comparing them with every family.
    private static let familyInitials: UInt32 = families.reduce(0) { $0 | 1 << UInt32($1.utf8Start[0] - 0x61) }

    @inline(__always)
    static func mayStartFamily(_ b: UInt8) -> Bool {
        let letter = ByteClass.lower(b) &- 0x61
        return letter < 26 && familyInitials & (1 << UInt32(letter)) != 0
    }
}
