// Child processes started with posix_spawn.
//
// Why not Foundation.Process: under Swift Testing, its children inherit a signal mask with
// SIGTERM blocked, so a server started that way ignores SIGTERM and `waitUntilExit` hangs.
// Here every child gets an EMPTY signal mask and DEFAULT dispositions for all signals
// (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), stdin from a file (default /dev/null),
// stdout and stderr into files (so tests can assert on them), and no inherited descriptors
// beyond 0-2 (closefrom 3), so that a socket a parallel test has open never leaks into a
// child and keeps a connection alive behind the test's back.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ExitStatus: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus s: Int32) {
        let sig = s & 0x7f
        if sig == 0 {
            self = .exited((s >> 8) & 0xff)
        } else {
            self = .signaled(sig)
        }
    }

    public var description: String {
        switch self {
        case .exited(let c): return "exited with status \(c)"
        case .signaled(let s): return "killed by signal \(s)"
        }
    }

    public var code: Int32? {
        if case .exited(let c) = self { return c }
        return nil
    }
}

private typealias FileActionsCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
private typealias FileActionsChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

/// glibc >= 2.34 has these, but Swift's Glibc module does not import the GNU extensions.
private func glibcSymbol<T>(_ name: String, as type: T.Type) -> T? {
    guard let sym = dlsym(nil, name) else { return nil }
    return unsafeBitCast(sym, to: type)
}

public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let argv: [String]
    public let stdoutPath: String
    public let stderrPath: String
    private let lock = NSLock()
    private var reaped: ExitStatus?

    private init(pid: pid_t, argv: [String], stdoutPath: String, stderrPath: String) {
        self.pid = pid
        self.argv = argv
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    /// Starts `argv[0]` (searched in PATH when it has no slash).
    /// `environment` entries are added to (or replace) the test process' environment.
    public static func spawn(
        _ argv: [String],
        environment: [String: String] = [:],
        stdinPath: String = "/dev/null",
        stdoutPath: String,
        stderrPath: String,
        workingDirectory: String? = nil
    ) throws -> ChildProcess {
        precondition(!argv.isEmpty, "empty argv")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        if let closeFrom = glibcSymbol("posix_spawn_file_actions_addclosefrom_np", as: FileActionsCloseFrom.self) {
            _ = closeFrom(&actions, 3)
        }
        if let dir = workingDirectory {
            guard let chdirAction = glibcSymbol("posix_spawn_file_actions_addchdir_np", as: FileActionsChdir.self) else {
                throw HarnessError("posix_spawn_file_actions_addchdir_np is not available")
            }
            _ = dir.withCString { chdirAction(&actions, $0) }
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attr, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in 1..<65 where sig != SIGKILL && sig != SIGSTOP {
            sigaddset(&defaults, Int32(sig))   // glibc refuses its internal 32/33: harmless
        }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }

        var pid = pid_t()
        let path = argv[0]
        let rc = cArgs.withUnsafeBufferPointer { a in
            cEnv.withUnsafeBufferPointer { e in
                path.contains("/")
                    ? posix_spawn(&pid, path, &actions, &attr, a.baseAddress!, e.baseAddress!)
                    : posix_spawnp(&pid, path, &actions, &attr, a.baseAddress!, e.baseAddress!)
            }
        }
        guard rc == 0 else {
            throw HarnessError("cannot start \(argv.joined(separator: " ")): \(errnoText(rc))")
        }
        return ChildProcess(pid: pid, argv: argv, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// The exit status if the child has ended (reaps it), nil while it runs.
    public func poll() -> ExitStatus? {
        lock.lock()
        defer { lock.unlock() }
        if let r = reaped { return r }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            reaped = ExitStatus(waitStatus: status)
        } else if r < 0 && errno == ECHILD {
            reaped = .exited(-1)   // reaped elsewhere: should not happen
        }
        return reaped
    }

    public var isRunning: Bool { poll() == nil }

    /// Waits up to `timeout` seconds for the child to end.
    public func waitForExit(timeout: Double) -> ExitStatus? {
        var result: ExitStatus?
        eventually(timeout: timeout, interval: 0.005) {
            result = poll()
            return result != nil
        }
        return result
    }

    public func signal(_ sig: Int32) {
        if poll() == nil { kill(pid, sig) }
    }

    /// SIGKILL and reap. Safe to call more than once.
    public func stop() {
        guard poll() == nil else { return }
        kill(pid, SIGKILL)
        lock.lock()
        defer { lock.unlock() }
        guard reaped == nil else { return }
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, 0)
            if r == pid { reaped = ExitStatus(waitStatus: status); return }
            if r < 0 && errno != EINTR { reaped = .exited(-1); return }
        }
    }

    public var stdoutText: String { readTextFile(stdoutPath) }
    public var stderrText: String { readTextFile(stderrPath) }

    deinit {
        stop()
    }
}

// MARK: - One-shot commands

public struct CommandResult: CustomStringConvertible {
    public let argv: [String]
    public let status: ExitStatus?   // nil: timed out (then killed)
    public let stdout: String
    public let stderr: String

    public var timedOut: Bool { status == nil }
    public var exitCode: Int32? { status?.code }
    public var succeeded: Bool { status == .exited(0) }

    public var description: String {
        """
        $ \(argv.joined(separator: " "))
        -> \(status.map { "\($0)" } ?? "TIMED OUT (killed)")
        --- stdout ---
        \(tail(stdout, 60))
        --- stderr ---
        \(tail(stderr, 60))
        """
    }
}

public enum Command {
    /// Runs a command to completion (killed after `timeout` seconds), capturing its output.
    public static func run(
        _ argv: [String],
        stdinText: String? = nil,
        stdinFile: String? = nil,
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        timeout: Double = 60
    ) throws -> CommandResult {
        let dir = try TemporaryDirectory(prefix: "gw-cmd")
        defer { dir.remove() }
        var stdinPath = stdinFile ?? "/dev/null"
        if let text = stdinText { stdinPath = try dir.write("stdin", text) }
        let child = try ChildProcess.spawn(
            argv, environment: environment, stdinPath: stdinPath,
            stdoutPath: dir.file("stdout"), stderrPath: dir.file("stderr"),
            workingDirectory: workingDirectory)
        let status = child.waitForExit(timeout: timeout)
        if status == nil { child.stop() }
        return CommandResult(argv: argv, status: status, stdout: child.stdoutText, stderr: child.stderrText)
    }
}
