import ArgumentParser
import GatewayConfig
import GatewayCore
import Glibc

@main
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "A security gateway: a TLS-terminating reverse proxy that runs every request through filters.",
        subcommands: [Run.self, Check.self, Version.self, Events.self, Replay.self]
    )
}

/// Loads a config the same way for `run` and `check`, printing `PATH:LINE:COL: reason` lines.
func loadRuntime(path: String) throws -> RuntimeConfig {
    switch RuntimeConfig.load(path: path, registry: .builtIn) {
    case .success(let runtime):
        for note in runtime.notes { printError("\(note.location): note: \(note.message)") }
        return runtime
    case .failure(let diagnostics):
        for error in diagnostics.errors { printError(error.description) }
        throw ExitCode(1)
    }
}

func printError(_ message: String) {
    var line = message
    line.append("\n")
    _ = line.withCString { write(2, $0, strlen($0)) }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway in the foreground; SIGHUP reloads the config, SIGUSR1 reopens log files, SIGTERM or SIGINT drain and exit.")

    @Option(name: .long, help: "Path to the gateway YAML config.")
    var config: String

    func run() throws {
        let runtime = try loadRuntime(path: config)
        let log: @Sendable (String) -> Void = { printError("gateway: " + $0) }
        var events: EventDispatcher?
        var accessLog: AccessLogWriter?
        do {
            if let eventsConfig = runtime.configuration.events {
                events = try EventDispatcher(config: eventsConfig, observerName: hostName(), log: log)
            }
            if let accessLogConfig = runtime.configuration.accessLog {
                accessLog = try AccessLogWriter(config: accessLogConfig, log: log)
            }
        } catch {
            printError("gateway: \(error)")
            throw ExitCode(1)
        }
        events?.start()
        accessLog?.start()
        // After run() returns the workers have drained: what they published is flushed or spooled.
        defer {
            accessLog?.stop()
            events?.stop()
        }
        let server = GatewayServer(runtime: runtime, events: events, accessLog: accessLog, log: log)
        let path = config
        do {
            try server.run(onReopen: {
                events?.reopen()
                accessLog?.reopen()
            }, loadConfig: { RuntimeConfig.load(path: path, registry: .builtIn) })
        } catch {
            printError("gateway: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `observer.name` of events and the syslog HOSTNAME.
func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "gateway" }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a config: exit 0 when valid, 1 with PATH:LINE:COL: reason lines when not.")

    @Option(name: .long, help: "Path to the gateway YAML config.")
    var config: String

    func run() throws {
        let runtime = try loadRuntime(path: config)
        print("\(config): ok (\(runtime.configuration.listeners.count) listener(s), \(runtime.configuration.routes.count) route(s), \(runtime.configuration.filters.count) filter(s))")
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the gateway version.")

    func run() {
        print("gateway \(GatewayVersion.current)")
    }
}
