import Foundation
import Synchronization
import TitanTestSupport

/// One process the harness started: its output goes to a log file, and it is stopped by its
/// PID only (SIGTERM, then SIGKILL after a grace period), never by name.
final class ManagedProcess: Sendable {
    /// A short name for logs and failure messages, e.g. `master m1`.
    let name: String
    /// Where its stdout and stderr go.
    let logPath: String
    /// Its process id.
    let pid: Int32
    private let process: Mutex<Process>

    /// Starts `executable` with `arguments`; the environment is ours without any `TITAN_`
    /// variable, so that only the flags configure it, overlaid with `environment`.
    init(name: String, executable: String, arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        let launched = Process()
        launched.executableURL = URL(fileURLWithPath: executable)
        launched.arguments = arguments
        launched.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TITAN_") }.merging(environment) { _, given in given }
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw HarnessFailure("cannot create the log file \(logPath)")
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        launched.standardInput = FileHandle.nullDevice
        launched.standardOutput = log
        launched.standardError = log
        do {
            try launched.run()
        } catch {
            throw HarnessFailure("cannot start \(name) (\(executable)): \(error)")
        }
        try? log.close()
        ChildProcessRecord.started(launched.processIdentifier, executable: executable)
        self.name = name
        self.logPath = logPath
        self.pid = launched.processIdentifier
        self.process = Mutex(launched)
    }

    /// Whether the process has not exited yet.
    var isRunning: Bool {
        process.withLock { $0.isRunning }
    }

    /// Its exit status, once it has exited (nil before).
    var exitCode: Int32? {
        process.withLock { $0.isRunning ? nil : $0.terminationStatus }
    }

    /// Sends `signal` to this process (by PID) if it still runs.
    func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// SIGKILL, then waits until it is reaped.
    func kill9() async {
        send(SIGKILL)
        await waitForExit(timeout: .seconds(5))
    }

    /// `signal` (SIGTERM), SIGKILL after `grace` if it still runs, then waits until it is reaped.
    func stop(grace: Duration = .seconds(3), signal: Int32 = SIGTERM) async {
        guard isRunning else { return }
        send(signal)
        if await waitForExit(timeout: grace) { return }
        send(SIGKILL)
        await waitForExit(timeout: .seconds(5))
    }

    /// Waits (polling: this is test code) until the process exited; false on timeout.
    @discardableResult
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        ChildProcessRecord.exited(pid)
        return true
    }

    /// The last `bytes` of its log.
    func logTail(bytes: Int = 4000) -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "(no log at \(logPath))" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }
}

/// Result of running a program to its end.
struct ProgramRun: Sendable {
    var exitCode: Int32
    /// Standard output and error as bytes, exactly as written.
    var stdoutBytes: Data
    var stderrBytes: Data
    var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }
}

/// Runs `executable` to its end (at most `timeout`), capturing its output; a run that outlives
/// `timeout` fails the test with its command line.
func runProgram(_ executable: String, _ arguments: [String], in dir: String, timeout: Duration = .seconds(20)) async throws -> ProgramRun {
    let run = try await spawnAndWait(executable, arguments, in: dir, timeout: timeout)
    if run.killedAfterTimeout {
        throw HarnessFailure("\(executable) \(arguments.joined(separator: " ")) did not end within \(timeout)")
    }
    return ProgramRun(exitCode: run.signal.map { 128 + $0 } ?? run.exitCode, stdoutBytes: run.stdout, stderrBytes: run.stderr)
}

/// PIDs of processes whose working directory lies under `root`: the jobs that workers of this
/// harness started (each runs in `<work-dir>/<job>.<attempt>.<epoch>`), including those a
/// SIGKILLed worker left behind.
func processes(workingUnder root: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), pid != getpid(),
            let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd"),
            cwd == root || cwd.hasPrefix(root + "/")
        else { return nil }
        return pid
    }
}

/// The job processes (not the node guards, which also work there) whose working directory lies
/// under `root`.
func jobProcesses(workingUnder root: String) -> [Int32] {
    processes(workingUnder: root).filter { pid in
        !((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.contains("--guard-mode") ?? false)
    }
}
