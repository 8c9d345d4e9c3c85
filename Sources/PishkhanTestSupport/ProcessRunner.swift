import Foundation

/// Runs short helper commands (dovecot, doveadm, apt-get, pip) for the test harness and captures their output.
public enum ProcessRunner {
    public struct Failure: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String { "\(command.joined(separator: " ")) exited \(status): \(output)" }
    }

    /// Runs `arguments` (first element looked up on PATH via /usr/bin/env) and returns combined output.
    ///
    /// Output goes to a file, not a pipe: a daemon such as `dovecot` keeps the inherited descriptor open,
    /// so reading a pipe to its end would never finish.
    @discardableResult
    public static func run(_ arguments: [String], allowFailure: Bool = false) throws -> String {
        let outputPath = "/tmp/curlmail-run-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try launch(process)
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if process.terminationStatus != 0, !allowFailure {
            throw Failure(command: arguments, status: process.terminationStatus, output: text)
        }
        return text
    }

    /// Runs a command that leaves a daemon behind (`tmux new-session -d`), with posix_spawn and waitpid
    /// instead of Foundation's Process, whose exit watch can stay open in the daemon and never fire. Output
    /// goes to /dev/null; returns the exit status.
    @discardableResult
    public static func spawnAndWait(_ arguments: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // Ignored signals stay ignored across exec: a parent that ignores SIGCHLD or SIGPIPE (servers do)
        // would hand that on, and a tmux server that cannot wait for its children exits at once.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGCHLD, SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw Failure(command: arguments, status: spawned, output: String(cString: strerror(spawned))) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }

    /// Starts a server that stays in the foreground as our child (its pid is the Process's, and Foundation
    /// reaps it), with stdout and stderr written to `logPath`. `arguments` are looked up via /usr/bin/env.
    public static func startDaemon(_ arguments: [String], logPath: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try launch(process)
        try? output.close()
        return process
    }

    /// Starts `process` with no signals blocked. The child inherits the calling thread's signal mask, and
    /// Swift's pool threads block SIGTERM, which would make `doveadm stop` and `kill` on the child hang.
    public static func launch(_ process: Process) throws {
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// True when `name` is an executable on PATH or in the sbin directories.
    public static func isInstalled(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"]
        return directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// True while `pid` names a live process (a zombie counts as gone).
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return errno == EPERM }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }

    /// Waits up to `timeout` for `pid` to exit, then SIGKILLs it.
    public static func waitForExit(_ pid: pid_t, timeout: Duration = .seconds(5)) {
        let deadline = ContinuousClock.now + timeout
        while isAlive(pid), ContinuousClock.now < deadline {
            usleep(20_000)
        }
        if isAlive(pid) {
            kill(pid, SIGKILL)
            while isAlive(pid) { usleep(20_000) }
        }
    }

    /// A fresh directory under /tmp that other users can traverse (Dovecot's login processes need that).
    public static func makeTemporaryDirectory(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let path = String(cString: created)
        chmod(path, 0o755)
        return path
    }
}
