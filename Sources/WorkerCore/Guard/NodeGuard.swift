import ClusterModel
import DockerClient
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix

/// The node guard: a small process (`titan-worker --guard`) that outlives its worker and kills
/// what a dead, frozen or cut-off worker left running once the worker's lease can have run out,
/// so that no attempt outlives its lease by more than a moment (``GuardBook``).
///
/// One guard per work directory: it holds `guard.lock` there and serves `guard.sock`; a second
/// guard started for the same directory exits at once. Workers connect and send
/// ``GuardMessage`` lines; a restarted worker reconnects to the same guard, so the containers it
/// adopts are not killed. The guard exits after `idleGrace` with no worker connected and no lease
/// to watch.
public struct NodeGuard: Sendable {
    let node: NodeID
    let workRoot: String
    let leaseTTLSeconds: Int64
    let dockerSocket: String?
    let logger: Logger
    let idleGrace: Duration

    /// Creates the guard of `node`, whose worker works in `workRoot` with leases of
    /// `leaseTTLSeconds`; `dockerSocket` is nil when the worker offers no docker runtime.
    public init(node: NodeID, workRoot: String, leaseTTLSeconds: Int64, dockerSocket: String?, logger: Logger, idleGrace: Duration = .seconds(3)) {
        self.node = node
        self.workRoot = workRoot
        self.leaseTTLSeconds = leaseTTLSeconds
        self.dockerSocket = dockerSocket
        self.logger = logger
        self.idleGrace = idleGrace
    }

    /// How long after a lease's TTL without renewal the guard acts: a worker that is alive but
    /// cannot renew fences itself at the TTL (it kills its jobs and reports nothing more); the
    /// guard, acting only for a worker that cannot, comes a moment later, so that a job it kills
    /// is never reported as having failed on its own.
    static let marginMillis: UInt64 = 1_000

    /// The socket a worker of `workRoot` talks to its guard on.
    public static func socketPath(workRoot: String) -> String {
        workRoot + "/guard.sock"
    }

    /// Serves until idle for `idleGrace`; returns at once if another guard holds the directory.
    public func run() async throws {
        try FileManager.default.createDirectory(atPath: workRoot, withIntermediateDirectories: true)
        let lock = open(workRoot + "/guard.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw GuardError("cannot open \(workRoot)/guard.lock (errno \(errno)): check the work directory") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            logger.info("another guard serves this work directory; exiting", metadata: ["work.dir": "\(workRoot)"])
            return
        }
        let path = Self.socketPath(workRoot: workRoot)
        unlink(path)  // a dead guard's socket: the lock says no guard serves it
        let book = GuardState(ttlMillis: UInt64(leaseTTLSeconds) * 1000 + Self.marginMillis)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("guarding", metadata: ["node.id": "\(node.rawValue)", "socket": "\(path)", "lease.ttl": "\(leaseTTLSeconds)"])
        let docker = dockerSocket.map { DockerClient(socketPath: $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { serving in
                        for try await connection in connections {
                            serving.addTask { await serve(connection, book: book) }
                        }
                    }
                }
            }
            // The clock: every 100 ms, act on the leases that ran out; stop once idle long enough.
            while true {
                try await Task.sleep(for: .milliseconds(100))
                for action in await book.expire() {
                    await perform(action, docker: docker)
                }
                if await book.mayExit(grace: idleGrace) {
                    logger.info("nothing to guard; exiting")
                    break
                }
            }
            group.cancelAll()
        }
        unlink(path)
    }

    /// Reads one worker's lines into the book until it disconnects.
    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, book: GuardState) async {
        await book.connected()
        var pending: [UInt8] = []
        do {
            try await connection.executeThenClose { inbound, _ in
                for try await var buffer in inbound {
                    pending += buffer.readBytes(length: buffer.readableBytes) ?? []
                    // A worker's lines are short; a peer that sends 64 KiB without a newline is not one.
                    guard pending.count <= 64 << 10 else { return }
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: pending[..<newline], as: UTF8.self)
                        pending.removeSubrange(...newline)
                        if let message = GuardMessage(line: Substring(line)) {
                            await book.apply(message)
                        } else {
                            logger.warning("ignored a line the guard does not understand", metadata: ["line": "\(line.prefix(80))"])
                        }
                    }
                }
            }
        } catch {
            logger.debug("a worker's connection failed", metadata: ["error": "\(error)"])
        }
        await book.disconnected()
    }

    /// Kills what ran under a lease that ran out: its containers (killed and removed) and its
    /// exec jobs' process groups.
    private func perform(_ action: GuardBook.Action, docker: DockerClient?) async {
        guard case let .kill(lease, groups) = action else { return }
        var killed = 0
        for group in groups where Self.stillOurs(group) {
            if Glibc.kill(-group.id, SIGKILL) == 0 { killed += 1 }
        }
        var removed = 0
        if let docker {
            do {
                let containers = try await docker.listContainers(labels: ["titan.node": node.rawValue, "titan.lease": "\(lease)"], all: true)
                // All killed first, many at a time (the leader places their replacements soon),
                // then removed.
                await Self.forEach(containers.map(\.id), parallel: 16) { _ = try? await docker.killContainer($0, signal: "SIGKILL") }
                await Self.forEach(containers.map(\.id), parallel: 16) { _ = try? await docker.removeContainer($0, force: true) }
                removed = containers.count
            } catch {
                logger.error("could not list the containers of an expired lease", metadata: ["lease": "\(lease)", "error": "\(error)"])
            }
        }
        logger.warning(
            "the worker's lease ran out unrenewed: killed what it ran",
            metadata: ["lease": "\(lease)", "process.groups": "\(killed)", "containers": "\(removed)"])
    }

    /// Runs `body` for every item, at most `parallel` at once.
    static func forEach(_ items: [String], parallel: Int, _ body: @escaping @Sendable (String) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            var next = items.makeIterator()
            for _ in 0..<parallel {
                guard let item = next.next() else { break }
                group.addTask { await body(item) }
            }
            while await group.next() != nil {
                if let item = next.next() { group.addTask { await body(item) } }
            }
        }
    }

    /// Whether process group `group` is still the job's: a pid can be a new group's id only while
    /// a process with that pid exists, so either the leader still runs with the recorded start
    /// time, or no process has that pid and any members left are the job's.
    static func stillOurs(_ group: GuardBook.Group) -> Bool {
        guard let start = ProcessStart.of(group.id) else { return true }
        return start == group.startTime
    }
}

/// The guard's book behind an actor, with the monotonic clock it is read with.
actor GuardState {
    private var book: GuardBook
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    init(ttlMillis: UInt64) {
        origin = clock.now
        book = GuardBook(ttlMillis: ttlMillis, now: 0)
    }

    private var now: UInt64 {
        let elapsed = clock.now - origin
        return UInt64(elapsed.components.seconds) * 1000 + UInt64(elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    func connected() { book.connected() }
    func disconnected() { book.disconnected(now: now) }

    func apply(_ message: GuardMessage) {
        switch message {
        case let .renewed(lease): book.renewed(lease, now: now)
        case let .execStarted(lease, group): book.started(group, lease: lease)
        case let .execEnded(group): book.ended(group: group)
        case let .released(lease): book.released(lease, now: now)
        }
    }

    func expire() -> [GuardBook.Action] { book.expire(now: now) }

    func mayExit(grace: Duration) -> Bool {
        book.mayExit(now: now, grace: UInt64(grace.components.seconds) * 1000)
    }
}

/// The guard could not start: one sentence.
struct GuardError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
