import Foundation
import Glibc

/// How a program run by ``spawnAndWait(_:_:in:timeout:environment:)`` ended.
public struct SpawnedRun: Sendable {
    /// Its exit code (when no signal ended it).
    public var exitCode: Int32
    /// The signal that ended it, unless it was our SIGKILL after the time limit.
    public var signal: Int32?
    /// Whether it outlived `timeout` and was killed.
    public var killedAfterTimeout: Bool
    /// Its standard output and error, exactly as written.
    public var stdout: Data
    public var stderr: Data
}

/// Runs `executable` to its end — at most `timeout`, then SIGKILL by its pid — with stdin from
/// /dev/null and stdout and stderr captured in files under `dir`.
///
/// `posix_spawn` and `waitpid` rather than Foundation's `Process`: on Linux that reports a
/// process as running for as long as any descendant holds its status socket (a script that
/// starts a daemon never "ends"), and a wait status says exactly whether a signal ended it.
/// The environment is ours without any `TITAN_` variable unless `environment` says otherwise.
public func spawnAndWait(
    _ executable: String, _ arguments: [String], in dir: String, timeout: Duration,
    environment: [String: String] = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TITAN_") }
) async throws -> SpawnedRun {
    let stem = dir + "/run-\(UUID().uuidString.prefix(8))"
    let (outPath, errPath) = (stem + ".out", stem + ".err")
    defer { for path in [outPath, errPath] { try? FileManager.default.removeItem(atPath: path) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard spawned == 0 else { throw HarnessFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
    ChildProcessRecord.started(pid, executable: executable)
    var killed = false
    var status: Int32 = 0
    let deadline = ContinuousClock.now + timeout
    while true {
        let waited = waitpid(pid, &status, WNOHANG)
        if waited == pid { break }
        if waited < 0, errno != EINTR { throw HarnessFailure("waitpid(\(pid)) failed: errno \(errno)") }
        // Past the time limit, or when the test is cancelled, the process is killed and still
        // reaped here: no run outlives the test.
        if !killed, ContinuousClock.now >= deadline || Task.isCancelled {
            kill(pid, SIGKILL)
            killed = true
        } else if killed, ContinuousClock.now >= deadline + .seconds(5) {
            throw HarnessFailure("\(executable) (pid \(pid)) did not end within 5 s of SIGKILL")
        }
        try? await Task.sleep(for: .milliseconds(20))
    }
    ChildProcessRecord.exited(pid)
    // The wait status: the low 7 bits are the signal that ended it (0: it exited), the next byte
    // its exit code.
    let signal = status & 0x7F
    let read = { (path: String) in FileManager.default.contents(atPath: path) ?? Data() }
    return SpawnedRun(
        exitCode: (status >> 8) & 0xFF, signal: signal != 0 && !killed ? signal : nil, killedAfterTimeout: killed,
        stdout: read(outPath), stderr: read(errPath))
}
