import EtcdClient
import Foundation
import Synchronization

/// A private etcd member for one test: `/usr/bin/etcd` on free loopback ports with a throw-away
/// data dir, stopped by its PID. A test that kills etcd, fills its quota or raises an alarm uses
/// one of these, never the shared etcd of `TITAN_TEST_ETCD`.
///
/// ```swift
/// let etcd = try LocalEtcd(extraArguments: ["--quota-backend-bytes", "262144"])
/// try await etcd.start()
/// defer { etcd.stop() }
/// let client = EtcdClient(endpoints: [etcd.endpoint])
/// ```
public final class LocalEtcd: Sendable {
    /// Why a local etcd could not be started, in one sentence.
    public struct StartFailure: Error, CustomStringConvertible {
        /// The sentence.
        public var description: String
    }

    /// The etcd binary the member runs (Debian's package installs it there).
    public static let binary = "/usr/bin/etcd"

    /// The client URL, `http://127.0.0.1:<port>`.
    public let endpoint: String
    /// The port of ``endpoint``.
    public let clientPort: Int
    /// The port members talk to each other on (unused by a single member, but it must be free).
    public let peerPort: Int
    /// The data dir; ``kill()`` and ``terminate()`` keep it, ``stop()`` deletes it.
    public let dataDir: String
    /// More flags for etcd, e.g. `["--quota-backend-bytes", "262144"]`.
    public let extraArguments: [String]
    private let process = Mutex<Process?>(nil)

    /// Picks free ports and a temporary data dir; nothing runs until ``start()``. Throws
    /// ``StartFailure`` when etcd is not installed.
    public init(extraArguments: [String] = []) throws {
        self.extraArguments = extraArguments
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw StartFailure(description: "etcd not found at \(Self.binary): run Tools/install-deps")
        }
        clientPort = try freeLoopbackPort()
        peerPort = try freeLoopbackPort()
        endpoint = "http://127.0.0.1:\(clientPort)"
        dataDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("titan-etcd-test-\(UUID().uuidString)").path
    }

    /// Launches etcd (again, after ``kill()`` or ``terminate()``, on the same ports and data)
    /// and returns once it answers a status request; throws ``StartFailure`` with the end of
    /// its log if it exits or does not answer within 20 s.
    public func start() async throws {
        let launched = Process()
        launched.executableURL = URL(fileURLWithPath: Self.binary)
        launched.arguments = [
            "--name", "titan-test",
            "--data-dir", dataDir,
            "--listen-client-urls", endpoint,
            "--advertise-client-urls", endpoint,
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-cluster", "titan-test=http://127.0.0.1:\(peerPort)",
            "--log-level", "error",
        ] + extraArguments
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let logPath = dataDir + ".log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        launched.standardOutput = log
        launched.standardError = log
        try launched.run()
        ChildProcessRecord.started(launched.processIdentifier, executable: Self.binary)
        process.withLock { $0 = launched }
        try await waitUntilReady(logPath: logPath)
    }

    private func waitUntilReady(logPath: String) async throws {
        let client = EtcdClient(endpoints: [endpoint], requestTimeout: .seconds(1))
        defer { client.shutdown() }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard isRunning else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw StartFailure(description: "etcd exited at start: \(log.suffix(2000))")
            }
            if (try? await client.status()) != nil {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw StartFailure(description: "etcd at \(endpoint) did not answer within 20 s")
    }

    /// Whether the etcd process this started is still running.
    public var isRunning: Bool {
        process.withLock { $0?.isRunning ?? false }
    }

    /// Kills etcd at once (SIGKILL by PID) and waits for it to exit, keeping its data for a
    /// restart. A no-op when it is not running.
    public func kill() {
        let running = process.withLock { state -> Process? in
            defer { state = nil }
            return state
        }
        guard let running, running.isRunning else { return }
        Foundation.kill(running.processIdentifier, SIGKILL)
        running.waitUntilExit()
        ChildProcessRecord.exited(running.processIdentifier)
    }

    /// Stops etcd gracefully (SIGTERM by PID) and waits for it to exit, keeping its data for a
    /// restart. A no-op when it is not running.
    public func terminate() {
        let running = process.withLock { state -> Process? in
            defer { state = nil }
            return state
        }
        guard let running, running.isRunning else { return }
        running.terminate()
        running.waitUntilExit()
        ChildProcessRecord.exited(running.processIdentifier)
    }

    /// Stops etcd (SIGTERM by PID) and deletes its data and log.
    public func stop() {
        terminate()
        try? FileManager.default.removeItem(atPath: dataDir)
        try? FileManager.default.removeItem(atPath: dataDir + ".log")
    }
}
