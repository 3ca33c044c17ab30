import CProcessSupport
import ClusterModel
import Foundation
import Glibc
import Logging
import Synchronization

/// The worker's side of the node guard (``NodeGuard``): a connection to `<work dir>/guard.sock`,
/// starting the guard first when none answers there, over which the worker says each time its
/// lease is renewed and which exec jobs run under it.
///
/// Best effort and never blocking: a line that cannot be written at once is dropped (the next
/// renewal brings the guard up to date), and a guard that cannot be reached is started again at
/// the next message. Without a guard the worker still runs; it says so in its log.
public final class GuardLink: Sendable {
    /// How the guard process is started: the program and its arguments.
    public struct Launcher: Sendable {
        /// The guard's program (the worker's own executable).
        public var executable: String
        /// Its arguments.
        public var arguments: [String]

        /// Creates a launcher.
        public init(executable: String, arguments: [String]) {
            self.executable = executable
            self.arguments = arguments
        }
    }

    private let socketPath: String
    private let logPath: String
    private let launcher: Launcher?
    private let logger: Logger
    private let socket = Mutex<Int32>(-1)

    /// A link to the guard of `workRoot`, started with `launcher` when absent (nil: never start one).
    public init(workRoot: String, launcher: Launcher?, logger: Logger) {
        self.socketPath = NodeGuard.socketPath(workRoot: workRoot)
        self.logPath = workRoot + "/guard.log"
        self.launcher = launcher
        self.logger = logger
    }

    deinit {
        let fd = socket.withLock { $0 }
        if fd >= 0 { close(fd) }
    }

    /// Connects, starting the guard if none answers; waits at most 3 s for it to listen.
    public func start() async {
        if connect() { return }
        guard let launcher else { return }
        do {
            try spawn(launcher)
        } catch {
            logger.error("could not start the node guard: containers would outlive a dead worker", metadata: ["error": "\(error)"])
            return
        }
        for _ in 0..<60 {
            if connect() {
                logger.info("node guard started", metadata: ["socket": "\(socketPath)"])
                return
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        logger.error("the node guard did not start listening within 3 s: containers would outlive a dead worker", metadata: ["log": "\(logPath)"])
    }

    /// Sends `message`; if the guard is gone, connects (or starts it) first.
    public func send(_ message: GuardMessage) async {
        if write(message.line + "\n") { return }
        await start()
        _ = write(message.line + "\n")
    }

    /// The start time of process `pid` (for ``GuardMessage/execStarted(lease:group:)``).
    public static func startTime(of pid: Int32) -> String? {
        ProcessStart.of(pid)
    }

    private func write(_ line: String) -> Bool {
        socket.withLock { fd in
            guard fd >= 0 else { return false }
            let sent = line.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if sent == line.utf8.count { return true }
            if sent < 0, errno == EAGAIN { return true }  // dropped: the next renewal catches up
            close(fd)
            fd = -1
            return false
        }
    }

    private func connect() -> Bool {
        socket.withLock { fd in
            if fd >= 0 { return true }
            let candidate = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard candidate >= 0 else { return false }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(socketPath.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(candidate)
                return false
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(candidate, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard connected == 0 else {
                close(candidate)
                return false
            }
            fd = candidate
            return true
        }
    }

    /// Starts the guard in its own session (so signals to the worker's process group do not
    /// reach it), with its output appended to `guard.log`; it is not waited for.
    private func spawn(_ launcher: Launcher) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the worker's is inherited: a descriptor the guard kept open (a parent's
        // exit-status socket, a job's pipe) would outlive the worker and mislead whoever waits on it.
        cps_spawn_actions_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (0x80 in glibc's spawn.h, visible only under _GNU_SOURCE).
        posix_spawnattr_setflags(&attributes, 0x80)
        let argv = ([launcher.executable] + launcher.arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, launcher.executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw GuardError("posix_spawn of \(launcher.executable) failed with error \(result)")
        }
    }
}
